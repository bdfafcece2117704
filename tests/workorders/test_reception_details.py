"""Reception and delivery details: the wash comes after the final check; spare tyre and tool kit on the
check-in sheet and the delivery check; the key tag; where the finished car is parked."""
from __future__ import annotations

import pytest

from claimdesk.core import uow
from claimdesk.core.errors import GateBlocked
from claimdesk.workorders.services import delivery_blockers
from claimdesk.workorders.workflow import WF

WO = "work-orders"


def test_wash_only_after_the_final_check(wo, mover, workshop, api_as):
    mover.to(wo, "quality_check")
    for stage in ("self", "team_lead"):
        mover.run(wo, "pass_check", stage=stage)
    r = api_as(workshop).action(WO, wo.id, "wash")
    assert r.status_code == 409 and r.json["error"]["gate"] == "final_qc_signed"
    assert wo.washed_at is None
    mover.run(wo, "pass_check", stage="final", parking_spot="B-12")
    assert wo.state == "ready" and wo.parking_spot == "B-12"
    r = api_as(workshop).action(WO, wo.id, "wash", parking_spot="W-03")
    assert r.status_code == 200 and r.json["washed_at"] and r.json["parking_spot"] == "W-03"


def test_a_failed_final_check_takes_the_wash_permission_back(wo, mover, workshop):
    """After a failed check the new round has no final QC: no wash until it is signed again."""
    mover.to(wo, "quality_check")
    for stage in ("self", "team_lead"):
        mover.run(wo, "pass_check", stage=stage)
    mover.run(wo, "fail_check", stage="final", reason="noise still there")
    mover.run(wo, "complete_repair")
    with pytest.raises(GateBlocked) as err:
        WF.perform(wo, "wash", {}, workshop)
    assert err.value.gate == "final_qc_signed"
    uow.rollback()


def test_check_in_sheet_records_spare_tyre_tool_kit_and_key_tag(vehicle, advisor, api_as):
    api = api_as(advisor)
    r = api.post(WO, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "mileage_km": 21000,
                      "customer_description": "Service", "spare_tyre_present": True, "tool_kit_present": False,
                      "key_tag": "K-042"})
    assert r.status_code == 201, r.json
    assert (r.json["spare_tyre_present"], r.json["tool_kit_present"], r.json["key_tag"]) == (True, False, "K-042")
    r = api.action(WO, r.json["id"], "check_in", tool_kit_present=True, key_tag="K-043")
    assert r.status_code == 200 and r.json["tool_kit_present"] is True and r.json["key_tag"] == "K-043"
    assert api.post(WO, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "mileage_km": 21000,
                         "customer_description": "x", "key_tag": "K" * 21}).status_code == 422


def test_delivery_check_holds_the_car_without_spare_tyre_or_tool_kit(wo, mover, advisor, api_as):
    mover.run(wo, "check_in", spare_tyre_present=True, tool_kit_present=True)
    mover.to(wo, "ready")
    mover.run(wo, "notify_customer")
    api = api_as(advisor)
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", spare_tyre_returned=False, tool_kit_returned=False)
    assert r.status_code == 409 and r.json["error"]["gate"] == "spare_tyre_returned"
    assert {"spare_tyre_returned", "tool_kit_returned"} <= set(r.json["error"]["gates"])
    assert [g for g, _m in delivery_blockers(wo, {"tool_kit_returned": False})] == ["tool_kit_returned"]
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang")
    assert r.status_code == 200, r.json
    assert r.json["delivery_check"]["spare_tyre_returned"] is True
    assert r.json["delivery_check"]["tool_kit_returned"] is True


def test_no_spare_tyre_at_check_in_is_no_gate(wo, mover, advisor, api_as):
    mover.run(wo, "check_in", spare_tyre_present=False)
    mover.to(wo, "ready")
    r = api_as(advisor).action(WO, wo.id, "deliver", signed_by="Mr Wang", spare_tyre_returned=False)
    assert r.status_code == 200, r.json
    assert "spare_tyre_returned" not in r.json["delivery_check"]


def test_pages_and_printout_show_the_details(wo, mover, advisor, workshop, client, login):
    login(advisor)
    r = client.post(f"/work-orders/{wo.id}/act/check_in", data={
        "version": wo.version, "spare_tyre_present__present": "1", "spare_tyre_present": "1",
        "tool_kit_present__present": "1", "key_tag": "K-007"})
    assert r.status_code == 302
    assert wo.spare_tyre_present is True and wo.tool_kit_present is False and wo.key_tag == "K-007"
    mover.to(wo, "quality_check")
    for stage in ("self", "team_lead"):
        mover.run(wo, "pass_check", stage=stage)
    client.post("/logout")
    login(workshop)
    page = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert 'name="parking_spot"' in page  # the final check asks where the car is parked
    mover.run(wo, "pass_check", stage="final", parking_spot="C-5")
    client.post("/logout")
    login(advisor)
    page = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert "K-007" in page and "data-parking-spot" in page and 'name="spare_tyre_returned"' in page
    assert 'name="tool_kit_returned"' not in page  # no tool kit came in, none to hand back
    printout = client.get(f"/work-orders/{wo.id}/print").get_data(as_text=True)
    assert "K-007" in printout and "C-5" in printout
