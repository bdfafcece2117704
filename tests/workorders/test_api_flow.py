"""The full happy path through the JSON API, with the contract's minimum fields."""
from __future__ import annotations

from datetime import timedelta

from claimdesk.core.clock import now
from tests.workorders.conftest import LABOUR, PART


def test_happy_path_through_the_api(vehicle, advisor, workshop, clerk, api_as):
    adv, ws, cr = api_as(advisor), api_as(workshop), api_as(clerk)
    r = adv.post("work-orders", {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                 "mileage_km": 21000, "customer_description": "Squeak when braking"})
    assert r.status_code == 201, r.json
    wo = r.json
    assert wo["state"] == "reception" and wo["number"].startswith("WO-") and wo["mileage_km"] == 21000
    wid = wo["id"]

    r = adv.action("work-orders", wid, "estimate", lines=[LABOUR, PART])
    assert r.status_code == 200, r.json
    assert r.json["state"] == "estimated"
    assert r.json["estimate_totals"]["customer"] == "780.00"
    assert [ln["amount"] for ln in r.json["lines"]] == ["300.00", "480.00"]

    promised = (now() + timedelta(hours=6)).isoformat()
    r = adv.action("work-orders", wid, "authorise", signed_by="Mr Wang", promised_at=promised)
    assert r.status_code == 200, r.json
    assert r.json["state"] == "authorised" and r.json["totals"]["customer"] == "780.00"
    assert all(ln["decision"] == "approved" for ln in r.json["lines"])

    r = ws.action("work-orders", wid, "dispatch", team="Team A")
    assert r.status_code == 200 and r.json["state"] == "in_repair" and r.json["team"] == "Team A"

    r = ws.action("work-orders", wid, "request_extra_work", lines=[
        {"kind": "part", "description": "Brake fluid", "quantity": "1", "unit_price": "90.00",
         "pay_type": "customer"}])
    assert r.status_code == 200, r.json
    extra_id = [ln for ln in r.json["lines"] if ln["is_extra"]][0]["id"]
    r = adv.action("work-orders", wid, "decide_extra_work", decisions=[{"line_id": extra_id, "approved": True}],
                   decided_by="Mr Wang")
    assert r.status_code == 200, r.json
    assert r.json["totals"]["customer"] == "870.00"

    r = ws.action("work-orders", wid, "complete_repair")
    assert r.status_code == 200 and r.json["state"] == "quality_check"
    from tests.factories import check_signer

    store = workshop.store
    signers = {"self": ws, "team_lead": api_as(check_signer(store, "team_lead")),
               "final": api_as(check_signer(store, "final"))}  # one person signs one check
    for stage in ("self", "team_lead", "final"):
        r = signers[stage].action("work-orders", wid, "pass_check", stage=stage)
        assert r.status_code == 200, r.json
    assert r.json["state"] == "ready"

    r = adv.action("work-orders", wid, "deliver", signed_by="Mr Wang")
    assert r.status_code == 409 and r.json["error"]["gate"] == "payment_recorded"
    r = adv.action("work-orders", wid, "deliver", signed_by="Mr Wang", payment_method="alipay",
                   next_service_km=31000)
    assert r.status_code == 200, r.json
    assert r.json["state"] == "delivered" and r.json["paid_amount"] == "870.00"

    r = cr.action("work-orders", wid, "follow_up", satisfaction=4, note="happy")
    assert r.status_code == 200 and r.json["state"] == "closed" and r.json["satisfaction"] == 4

    r = adv.get(f"work-orders/{wid}/events")
    actions = [e["action"] for e in r.json["items"]]
    assert actions == ["create", "estimate", "authorise", "dispatch", "request_extra_work", "decide_extra_work",
                       "complete_repair", "pass_check", "pass_check", "pass_check", "deliver", "follow_up"]
    assert r.json["items"][-1]["to_state"] == "closed"
    r = adv.get(f"vehicles/{vehicle.id}")
    assert r.json["next_service_km"] == 31000
