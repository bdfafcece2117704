"""Every action: who may run it (allowed / 403), in which state (409), its gates and bad input
(422/409 and nothing changed)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.workorders.models import WorkOrder
from claimdesk.workorders.services import delivery_blockers
from tests.factories import StoreFactory, UserFactory, VehicleFactory
from tests.workorders.conftest import LABOUR, PART
from tests.workorders.factories import PartFactory

WO = "work-orders"


def promised(hours=6):
    return (now() + timedelta(hours=hours)).isoformat()


def reload(wo):
    from claimdesk.extensions import db

    db.session.expire_all()
    return db.session.get(WorkOrder, wo.id)


# --- roles --------------------------------------------------------------------------------------
ROLE_CASES = [
    # (state to reach, action, fields, role allowed, roles refused)
    ("reception", "estimate", {"lines": [LABOUR]}, "advisor", ["workshop", "customer_relations"]),
    ("estimated", "authorise", {"signed_by": "Mr Wang", "promised_at": None}, "advisor",
     ["workshop", "customer_relations"]),
    ("authorised", "dispatch", {"team": "Team A"}, "workshop", ["advisor", "customer_relations"]),
    ("in_repair", "request_extra_work", {"lines": [PART]}, "workshop", ["customer_relations"]),
    ("in_repair", "complete_repair", {}, "workshop", ["advisor", "customer_relations"]),
    ("quality_check", "pass_check", {"stage": "self"}, "workshop", ["advisor", "customer_relations"]),
    ("quality_check", "fail_check", {"stage": "self", "reason": "noise"}, "workshop", ["advisor"]),
    ("ready", "notify_customer", {}, "advisor", ["workshop"]),
    ("ready", "deliver", {"signed_by": "Mr Wang"}, "advisor", ["workshop", "customer_relations"]),
    ("delivered", "follow_up", {"satisfaction": 5, "note": "fine"}, "customer_relations", ["workshop"]),
    ("estimated", "cancel", {"reason": "customer left"}, "advisor", ["workshop", "customer_relations"]),
]


@pytest.mark.parametrize("state,action,fields,allowed,refused", ROLE_CASES,
                         ids=[f"{c[1]}" for c in ROLE_CASES])
def test_roles(state, action, fields, allowed, refused, wo, mover, make_user, api_as):
    if state != "reception":
        mover.to(wo, state)
    fields = {k: (promised() if k == "promised_at" else v) for k, v in fields.items()}
    before = (wo.state, wo.version)
    for role in refused:
        r = api_as(make_user(role)).action(WO, wo.id, action, **fields)
        assert r.status_code == 403, (role, r.json)
        assert r.json["error"]["code"] == "forbidden"
        assert (reload(wo).state, reload(wo).version) == before
    r = api_as(make_user(allowed)).action(WO, wo.id, action, **fields)
    assert r.status_code == 200, r.json


def test_manager_may_do_everything(wo, mover, manager, api_as):
    mover.to(wo, "authorised")
    r = api_as(manager).action(WO, wo.id, "dispatch", team="Team B")
    assert r.status_code == 200 and r.json["state"] == "in_repair"


def test_create_roles(vehicle, workshop, clerk, manager, api_as):
    body = {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "mileage_km": 20500,
            "customer_description": "oil change"}
    assert api_as(workshop).post(WO, body).status_code == 403
    assert api_as(clerk).post(WO, body).status_code == 403
    assert api_as(manager).post(WO, body).status_code == 201


def test_other_store_is_404(wo, make_user, api_as):
    stranger = UserFactory(role="advisor", store=StoreFactory(code="S09"))
    api = api_as(stranger)
    assert api.get(f"{WO}/{wo.id}").status_code == 404
    assert api.action(WO, wo.id, "estimate", lines=[LABOUR]).status_code == 404
    assert api.get(f"{WO}/{wo.id}/events").status_code == 404
    assert api.get(WO).json["total"] == 0


# --- states (409) --------------------------------------------------------------------------------
@pytest.mark.parametrize("state,action,fields", [
    ("reception", "authorise", {"signed_by": "x", "promised_at": None}),
    ("estimated", "dispatch", {"team": "Team A"}),  # nothing is dispatched before authorisation
    ("authorised", "complete_repair", {}),
    ("in_repair", "pass_check", {"stage": "self"}),
    ("in_repair", "deliver", {"signed_by": "x"}),
    ("ready", "follow_up", {"satisfaction": 4}),
    ("delivered", "cancel", {"reason": "x"}),
    ("closed", "note", {"text": "after close"}),
])
def test_action_in_wrong_state_is_409_and_changes_nothing(state, action, fields, wo, mover, manager, api_as):
    if state != "reception":
        mover.to(wo, state)
    fields = {k: (promised() if k == "promised_at" else v) for k, v in fields.items()}
    version = wo.version
    r = api_as(manager).action(WO, wo.id, action, **fields)
    assert r.status_code == 409 and r.json["error"]["code"] == "invalid_state"
    assert reload(wo).version == version and reload(wo).state == state


def test_version_conflict(wo, advisor, api_as):
    r = api_as(advisor).action(WO, wo.id, "estimate", lines=[LABOUR], version=wo.version + 5)
    assert r.status_code == 409 and r.json["error"]["code"] == "version_conflict"
    r = api_as(advisor).action(WO, wo.id, "estimate", lines=[LABOUR], version=wo.version)
    assert r.status_code == 200


# --- estimate, money and bad input ---------------------------------------------------------------
def test_money_is_decimal_rounded_half_up_with_totals_per_pay_type(wo, advisor, api_as):
    lines = [
        {"kind": "labour", "description": "Diagnose", "quantity": "1.5", "unit_price": "33.33",
         "pay_type": "customer"},  # 49.995 → 50.00
        {"kind": "part", "description": "Washer", "quantity": 3, "unit_price": 0.1, "pay_type": "customer"},
        {"kind": "labour", "description": "Recall campaign", "quantity": "2", "unit_price": "150",
         "pay_type": "warranty"},
        {"kind": "part", "description": "Bumper", "quantity": "1", "unit_price": "1280.005",
         "pay_type": "insurance"},  # price rounded to 1280.01
        {"kind": "labour", "description": "Goodwill rework", "quantity": "0.25", "unit_price": "200",
         "pay_type": "internal"},
    ]
    r = api_as(advisor).action(WO, wo.id, "estimate", lines=lines)
    assert r.status_code == 200, r.json
    assert [ln["amount"] for ln in r.json["lines"]] == ["50.00", "0.30", "300.00", "1280.01", "50.00"]
    assert r.json["lines"][1]["unit_price"] == "0.10"
    assert r.json["estimate_totals"] == {"customer": "50.30", "warranty": "300.00", "insurance": "1280.01",
                                         "internal": "50.00", "labour": "400.00", "parts": "1280.31",
                                         "total": "1680.31"}
    assert r.json["lines"][2]["warranty_status"] == "covered"
    assert r.json["totals"]["total"] == "0.00"  # nothing approved yet


@pytest.mark.parametrize("line,field", [
    ({**LABOUR, "quantity": "-1"}, "quantity"),            # negative hours
    ({**PART, "quantity": "0"}, "quantity"),               # qty 0
    ({**PART, "unit_price": "-5"}, "unit_price"),
    ({**PART, "quantity": "abc"}, "quantity"),
    ({**PART, "quantity": "NaN"}, "quantity"),
    ({**PART, "part_number": "NOPE-1"}, "part_number"),    # unknown part
    ({**LABOUR, "part_number": "X"}, "part_number"),
    ({**LABOUR, "kind": "paint"}, "kind"),
    ({**LABOUR, "pay_type": "cash"}, "pay_type"),
    ({**LABOUR, "description": ""}, "description"),
])
def test_bad_lines_are_422_and_nothing_changes(line, field, wo, advisor, api_as):
    r = api_as(advisor).action(WO, wo.id, "estimate", lines=[LABOUR, line])
    assert r.status_code == 422, r.json
    assert field in str(r.json["error"]["fields"])
    fresh = reload(wo)
    assert fresh.state == "reception" and fresh.lines == []


def test_estimate_needs_lines(wo, advisor, api_as):
    r = api_as(advisor).action(WO, wo.id, "estimate", lines=[])
    assert r.status_code == 422 and "lines" in r.json["error"]["fields"]
    r = api_as(advisor).post(f"{WO}/{wo.id}/actions/estimate", None, data="not json",
                             headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_parts_stock_decides_availability(wo, store, advisor, api_as):
    PartFactory(store=store, part_number="BP-100", stock_qty=4)
    PartFactory(store=store, part_number="ABS-1", stock_qty=0, lead_time_days=5, safety_related=True)
    r = api_as(advisor).action(WO, wo.id, "estimate", lines=[
        {**PART, "part_number": "bp-100", "quantity": "2"},
        {**PART, "description": "ABS sensor", "part_number": "ABS-1"}])
    assert r.status_code == 200, r.json
    first, second = r.json["lines"]
    assert first["availability"] == "in_stock" and first["part_number"] == "BP-100" and first["part_id"]
    assert second["availability"] == "on_order" and second["eta"] == (now() + timedelta(days=5)).date().isoformat()
    assert second["safety_related"] is True


def test_estimate_replace_and_remove_line(wo, advisor, api_as):
    api = api_as(advisor)
    api.action(WO, wo.id, "estimate", lines=[LABOUR, PART])
    r = api.action(WO, wo.id, "estimate", lines=[PART], replace=False)
    assert len(r.json["lines"]) == 3
    r = api.action(WO, wo.id, "estimate", lines=[LABOUR])
    assert [ln["description"] for ln in r.json["lines"]] == [LABOUR["description"]]
    r = api.action(WO, wo.id, "remove_line", line_id=r.json["lines"][0]["id"])
    assert r.status_code == 200 and r.json["lines"] == [] and r.json["state"] == "reception"


def test_check_in_sheet_and_mileage(wo, vehicle, advisor, api_as):
    api = api_as(advisor)
    r = api.action(WO, wo.id, "check_in", fuel_level=40, damage=[{"panel": "rear_bumper", "kind": "dent"}],
                   valuables="sunglasses", covers_fitted=True, licence_checked=True)
    assert r.status_code == 200, r.json
    assert r.json["damage"] == [{"panel": "rear_bumper", "kind": "dent", "note": None}]
    assert r.json["fuel_level"] == 40 and r.json["covers_fitted"] is True
    r = api.action(WO, wo.id, "check_in", mileage_km=100)
    assert r.status_code == 422 and "mileage_km" in r.json["error"]["fields"]
    assert reload(wo).mileage_km == 21000
    r = api.action(WO, wo.id, "check_in", fuel_level=140)
    assert r.status_code == 422
    r = api.action(WO, wo.id, "check_in", mileage_km=12100, mileage_reason="typo at reception")
    assert r.status_code == 200 and r.json["mileage_km"] == 12100


def test_create_bad_input(vehicle, advisor, api_as, store):
    api = api_as(advisor)
    base = {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "mileage_km": 21000,
            "customer_description": "noise"}
    r = api.post(WO, {**base, "mileage_km": 19999})
    assert r.status_code == 422 and "mileage_km" in r.json["error"]["fields"]
    other = VehicleFactory(customer__store=store)
    r = api.post(WO, {**base, "vehicle_id": other.id})
    assert r.status_code == 422 and "vehicle_id" in r.json["error"]["fields"]
    r = api.post(WO, {**base, "customer_id": 999999})
    assert r.status_code == 422 and "customer_id" in r.json["error"]["fields"]
    r = api.post(WO, {"customer_id": vehicle.customer_id})
    assert r.status_code == 422
    assert api.get(WO, query_string={"open": "0"}).json["total"] == 0


# --- authorisation -------------------------------------------------------------------------------
def test_authorise_records_signature_and_per_line_decisions(wo, mover, advisor, api_as):
    mover.to(wo, "estimated", lines=[LABOUR, PART, {**PART, "description": "Wiper blades"}])
    ids = [ln.id for ln in wo.lines]
    r = api_as(advisor).action(WO, wo.id, "authorise", signed_by="Mr Wang", promised_at=promised(),
                               signature_channel="wechat", payment_method="cash", old_parts="customer_takes",
                               free_wash=True, decisions=[{"line_id": ids[2], "approved": False}])
    assert r.status_code == 200, r.json
    body = r.json
    assert body["signed_by"] == "Mr Wang" and body["signature_channel"] == "wechat" and body["free_wash"]
    assert [ln["decision"] for ln in body["lines"]] == ["approved", "approved", "declined"]
    assert body["totals"]["customer"] == "780.00"


def test_authorise_gates_and_bad_input(wo, mover, advisor, api_as):
    mover.to(wo, "estimated")
    api = api_as(advisor)
    past = (now() - timedelta(hours=1)).isoformat()
    r = api.action(WO, wo.id, "authorise", signed_by="Mr Wang", promised_at=past)
    assert r.status_code == 422 and "promised_at" in r.json["error"]["fields"]
    r = api.action(WO, wo.id, "authorise", signed_by="Mr Wang", promised_at=promised(),
                   decisions=[{"line_id": ln.id, "approved": False} for ln in wo.lines])
    assert r.status_code == 409 and r.json["error"]["gate"] == "line_approved"
    assert "approved no line" in r.json["error"]["message"]
    r = api.action(WO, wo.id, "authorise", signed_by="", promised_at=promised())
    assert r.status_code == 422
    r = api.action(WO, wo.id, "authorise", signed_by="Mr Wang", promised_at="2030-01-01T10:00:00")
    assert r.status_code == 422  # naive time: which zone?
    fresh = reload(wo)
    assert fresh.state == "estimated" and all(ln.decision == "proposed" for ln in fresh.lines)


def test_warranty_pending_blocks_authorisation_until_decided(wo, mover, advisor, api_as):
    mover.to(wo, "estimated", lines=[{**LABOUR, "warranty_status": "pending"}, PART])
    api = api_as(advisor)
    r = api.action(WO, wo.id, "authorise", signed_by="Mr Wang", promised_at=promised())
    assert r.status_code == 409 and r.json["error"]["gate"] == "warranty_decided"
    line_id = wo.lines[0].id
    r = api.action(WO, wo.id, "decide_warranty", lines=[{"line_id": line_id, "warranty_status": "covered"}])
    assert r.status_code == 200 and r.json["lines"][0]["pay_type"] == "warranty"
    r = api.action(WO, wo.id, "authorise", signed_by="Mr Wang", promised_at=promised())
    assert r.status_code == 200
    assert r.json["totals"]["warranty"] == "300.00" and r.json["totals"]["customer"] == "480.00"


def test_signature_image_must_be_png_data_url(wo, mover, advisor, api_as):
    mover.to(wo, "estimated")
    api = api_as(advisor)
    r = api.action(WO, wo.id, "authorise", signed_by="W", promised_at=promised(),
                   signature_image="javascript:alert(1)")
    assert r.status_code == 422
    r = api.action(WO, wo.id, "authorise", signed_by="W", promised_at=promised(),
                   signature_image="data:image/png;base64,iVBORw0KGgo=")
    assert r.status_code == 200 and r.json["has_signature_image"] is True
    event = api.get(f"{WO}/{wo.id}/events").json["items"][-1]
    assert event["action"] == "authorise" and event["data"]["signature_image"] == "✓"


# --- workshop ------------------------------------------------------------------------------------
def test_dispatch_with_technician_and_priority(wo, mover, workshop, advisor, api_as):
    mover.to(wo, "authorised")
    api = api_as(workshop)
    r = api.action(WO, wo.id, "dispatch", team="Team A", technician_id=advisor.id)
    assert r.status_code == 422 and "technician_id" in r.json["error"]["fields"]
    r = api.action(WO, wo.id, "dispatch", team="Team A", technician_id=workshop.id, priority="urgent")
    assert r.status_code == 200 and r.json["technician_id"] == workshop.id and r.json["priority"] == "urgent"
    assert r.json["dispatched_at"]


def test_extra_work_declined_is_recorded_and_not_worked(wo, mover, advisor, workshop, api_as):
    mover.to(wo, "in_repair")
    ws, adv = api_as(workshop), api_as(advisor)
    r = ws.action(WO, wo.id, "request_extra_work", reason="worn discs", lines=[
        {"kind": "part", "description": "Brake discs", "quantity": "2", "unit_price": "350", "pay_type": "customer",
         "safety_related": True},
        {"kind": "labour", "description": "Fit discs", "quantity": "1", "unit_price": "200", "pay_type": "customer"}])
    assert r.status_code == 200
    extra = [ln["id"] for ln in r.json["lines"] if ln["is_extra"]]
    # the work order waits for the customer
    r = ws.action(WO, wo.id, "complete_repair")
    assert r.status_code == 409 and r.json["error"]["gate"] == "extra_work_decided"
    assert "waits for the customer" in r.json["error"]["message"]
    r = adv.action(WO, wo.id, "decide_extra_work", decisions=[{"line_id": extra[0], "approved": False}],
                   decided_by="Mr Wang", channel="phone")
    assert r.status_code == 200
    assert ws.action(WO, wo.id, "complete_repair").status_code == 409  # one still pending
    r = adv.action(WO, wo.id, "decide_extra_work", decisions=[{"line_id": extra[1], "decision": "declined"}],
                   decided_by="Mr Wang")
    lines = {ln["id"]: ln for ln in r.json["lines"]}
    assert lines[extra[0]]["decision"] == "declined" and lines[extra[0]]["decided_by"] == "Mr Wang"
    assert lines[extra[0]]["decision_channel"] == "phone"
    r = ws.action(WO, wo.id, "complete_repair")
    assert r.status_code == 200
    lines = {ln["id"]: ln for ln in r.json["lines"]}
    assert not lines[extra[0]]["done"] and all(ln["done"] for ln in r.json["lines"] if ln["decision"] == "approved")
    assert r.json["totals"]["customer"] == "780.00"


def test_decide_extra_work_bad_input(wo, mover, advisor, api_as):
    mover.to(wo, "in_repair")
    api = api_as(advisor)
    r = api.action(WO, wo.id, "decide_extra_work", decisions=[{"line_id": wo.lines[0].id, "approved": True}],
                   decided_by="Mr Wang")
    assert r.status_code == 422  # not an additional line
    r = api.action(WO, wo.id, "decide_extra_work", decisions=[{"line_id": 99999, "approved": True}],
                   decided_by="Mr Wang")
    assert r.status_code == 422
    r = api.action(WO, wo.id, "decide_extra_work", decisions=[{"line_id": wo.lines[0].id}], decided_by="x")
    assert r.status_code == 422


def test_checks_in_order_with_items_and_rework(wo, mover, workshop, api_as):
    from tests.factories import check_signer

    mover.to(wo, "quality_check")
    api = api_as(workshop)
    # one person signs one check: the technician, the team leader, the QC inspector
    signers = {stage: api_as(check_signer(wo.store, stage, workshop)) for stage in ("team_lead", "final")}
    signers["self"] = api
    r = signers["team_lead"].action(WO, wo.id, "pass_check", stage="team_lead")
    assert r.status_code == 409 and r.json["error"]["gate"] == "self_check_signed"
    r = signers["final"].action(WO, wo.id, "pass_check", stage="final")
    assert r.status_code == 409 and r.json["error"]["gate"] == "team_lead_check_signed"
    assert "final QC" in r.json["error"]["message"]
    r = api.action(WO, wo.id, "pass_check", stage="self", items=[{"item": "torque", "passed": False}])
    assert r.status_code == 422
    r = api.action(WO, wo.id, "pass_check", stage="self", items=[{"item": "torque", "passed": True}],
                   signed_by="Tech Li")
    assert r.status_code == 200 and r.json["checks"][0]["signed_by"] == "Tech Li"
    assert r.json["checks"][0]["items"] == [{"item": "torque", "passed": True, "note": None}]
    r = api.action(WO, wo.id, "pass_check", stage="self")
    assert r.status_code == 409 and r.json["error"]["gate"] == "check_already_signed"
    r = signers["team_lead"].action(WO, wo.id, "pass_check", stage="team_lead",
                                    recommendations="replace wipers next time")
    assert r.status_code == 200
    r = signers["final"].action(WO, wo.id, "fail_check", stage="final")
    assert r.status_code == 422 and "reason" in r.json["error"]["fields"]
    r = signers["final"].action(WO, wo.id, "fail_check", stage="final", reason="squeak still there",
                   items=[{"item": "fault confirmed gone", "passed": False}])
    assert r.status_code == 200
    assert r.json["state"] == "in_repair" and r.json["rework_count"] == 1
    assert not any(ln["done"] for ln in r.json["lines"])
    # a new round: the checks start again from the self-check
    assert api.action(WO, wo.id, "complete_repair").status_code == 200
    assert signers["team_lead"].action(WO, wo.id, "pass_check", stage="team_lead").status_code == 409
    for stage in ("self", "team_lead", "final"):
        r = signers[stage].action(WO, wo.id, "pass_check", stage=stage)
        assert r.status_code == 200, r.json
    assert r.json["state"] == "ready" and r.json["ready_at"]
    assert [(c["round"], c["stage"], c["passed"]) for c in r.json["checks"]] == [
        (0, "self", True), (0, "team_lead", True), (0, "final", False),
        (1, "self", True), (1, "team_lead", True), (1, "final", True)]


# --- delivery ------------------------------------------------------------------------------------
def test_delivery_gates_are_named(wo, mover, advisor, workshop, api_as):
    mover.to(wo, "estimated", lines=[LABOUR, PART, {**PART, "description": "Brake hose", "safety_related": True}])
    mover.run(wo, "authorise", signed_by="Mr Wang", promised_at=promised(), free_wash=True,
              decisions=[{"line_id": wo.lines[2].id, "approved": False}])
    mover.to(wo, "quality_check")
    assert [g for g, _m in delivery_blockers(wo)][:1] == ["final_qc_signed"]
    assert "final QC not signed" in delivery_blockers(wo)[0][1]
    mover.to(wo, "ready")
    api = api_as(advisor)
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", payment_method="cash")
    assert r.status_code == 409 and r.json["error"]["gate"] == "wash_done"
    assert set(r.json["error"]["gates"]) == {"wash_done", "declined_safety_signed"}
    assert api_as(workshop).action(WO, wo.id, "wash").status_code == 200
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", payment_method="cash")
    assert r.status_code == 409 and r.json["error"]["gate"] == "declined_safety_signed"
    assert "Brake hose" in r.json["error"]["message"]
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", payment_method="cash", car_clean=False,
                   declined_signoff=[wo.lines[2].id])
    assert r.status_code == 409 and r.json["error"]["gate"] == "car_clean"
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", payment_method="cash", paid_amount="700",
                   declined_signoff=[wo.lines[2].id])
    assert r.status_code == 422 and "paid_amount" in r.json["error"]["fields"]
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", payment_method="cash", next_service_km=100,
                   declined_signoff=[wo.lines[2].id])
    assert r.status_code == 422 and "next_service_km" in r.json["error"]["fields"]
    fresh = reload(wo)
    assert fresh.state == "ready" and fresh.lines[2].declined_signed_by is None
    r = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", payment_method="cash", paid_amount="780.00",
                   declined_signoff=[wo.lines[2].id], next_service_date=(now() + timedelta(days=180)).date().isoformat(),
                   next_service_km=31000, preferred_callback_time="evenings")
    assert r.status_code == 200, r.json
    assert r.json["lines"][2]["declined_signed_by"] == "Mr Wang"
    assert r.json["delivery_check"]["car_clean"] is True and r.json["paid_amount"] == "780.00"
    v = reload(wo).vehicle
    assert v.next_service_km == 31000 and v.next_service_date is not None


def test_deliver_with_nothing_for_the_customer_to_pay(vehicle, advisor, mover):
    from claimdesk.workorders.services import open_work_order

    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 21000, "customer_description": "accident", "pay_type": "insurance"})
    uow.commit()
    lines = [{**LABOUR, "pay_type": "insurance"}, {**PART, "pay_type": "insurance"}]
    mover.to(wo, "delivered", lines=lines)
    assert wo.state == "delivered" and wo.paid_amount == 0 and wo.approved_totals["insurance"] == 780


def test_notify_customer_records_pickup(wo, mover, advisor, api_as):
    mover.to(wo, "ready")
    pickup = (now() + timedelta(hours=3)).isoformat()
    r = api_as(advisor).action(WO, wo.id, "notify_customer", pickup_at=pickup)
    assert r.status_code == 200 and r.json["customer_notified_at"] and r.json["pickup_at"]


# --- follow-up, cancel, comeback ----------------------------------------------------------------
def test_follow_up_no_answer_then_unhappy(wo, mover, clerk, api_as):
    mover.to(wo, "delivered")
    api = api_as(clerk)
    r = api.action(WO, wo.id, "follow_up", outcome="no_answer", note="rang twice")
    assert r.status_code == 200 and r.json["state"] == "delivered" and r.json["follow_up_attempts"] == 1
    r = api.action(WO, wo.id, "follow_up", note="reached")
    assert r.status_code == 422 and "satisfaction" in r.json["error"]["fields"]
    r = api.action(WO, wo.id, "follow_up", satisfaction=6, note="x")
    assert r.status_code == 422
    r = api.action(WO, wo.id, "follow_up", satisfaction=2, note="still squeaks")
    assert r.status_code == 200 and r.json["state"] == "closed" and r.json["closed_at"]
    events = api.get(f"{WO}/{wo.id}/events").json["items"]
    assert events[-1]["data"]["unhappy"] is True


def test_cancel_needs_reason(wo, mover, advisor, api_as):
    mover.to(wo, "in_repair")
    api = api_as(advisor)
    assert api.action(WO, wo.id, "cancel").status_code == 422
    r = api.action(WO, wo.id, "cancel", reason="customer took the car away")
    assert r.status_code == 200 and r.json["state"] == "cancelled" and r.json["closed_at"]


def test_comeback_links_to_parent(wo, mover, advisor, store, api_as):
    mover.to(wo, "closed")
    api = api_as(advisor)
    body = {"customer_id": wo.customer_id, "vehicle_id": wo.vehicle_id, "mileage_km": 21500,
            "customer_description": "squeak is back", "parent_id": wo.id, "pay_type": "internal"}
    r = api.post(WO, body)
    assert r.status_code == 201 and r.json["parent_id"] == wo.id and r.json["pay_type"] == "internal"
    assert api.get(WO, query_string={"parent_id": wo.id}).json["total"] == 1
    other = VehicleFactory(customer=wo.customer)
    r = api.post(WO, {**body, "vehicle_id": other.id, "mileage_km": other.mileage_km})
    assert r.status_code == 422 and "parent_id" in r.json["error"]["fields"]


def test_list_filters(wo, mover, vehicle, advisor, api_as):
    mover.to(wo, "in_repair")
    api = api_as(advisor)
    assert api.get(WO, query_string={"state": "in_repair"}).json["total"] == 1
    assert api.get(WO, query_string={"state": "ready"}).json["total"] == 0
    assert api.get(WO, query_string={"team": "Team A"}).json["total"] == 1
    assert api.get(WO, query_string={"vehicle_id": vehicle.id, "open": "1"}).json["items"][0]["plate"] == vehicle.plate
    assert api.get(WO, query_string={"q": wo.number}).json["total"] == 1
    assert api.get(WO, query_string={"per_page": 500}).status_code == 422


# --- SLA declarations ----------------------------------------------------------------------------
def test_sla_clocks_declared(wo, mover, advisor, workshop):
    from claimdesk.core.workflow import action_performed

    seen = []

    def listen(sender, case, action, event, context):
        seen.append((action.name, set(action.starts) | set(context.starts), set(action.stops) | set(context.stops),
                     set(action.cancels), dict(context.deadlines)))

    action_performed.connect(listen)
    try:
        mover.to(wo, "in_repair")
        mover.run(wo, "request_extra_work", lines=[PART])
        mover.run(wo, "decide_extra_work", decisions=[{"line_id": wo.lines[-1].id, "approved": True}],
                  decided_by="W")
        mover.to(wo, "closed")
    finally:
        action_performed.disconnect(listen)
    by = {}
    for name, starts, stops, cancels, deadlines in seen:
        by.setdefault(name, []).append((starts, stops, deadlines))
    assert by["authorise"][0][0] == {"work_order.promised_completion"}
    assert by["authorise"][0][2]["work_order.promised_completion"] == wo.promised_at
    assert by["request_extra_work"][0][0] == {"work_order.extra_work_approval"}
    assert by["decide_extra_work"][0][1] == {"work_order.extra_work_approval"}
    assert [s[1] for s in by["pass_check"]] == [set(), set(), {"work_order.promised_completion"}]
    assert by["deliver"][0][0] == {"work_order.follow_up_call"}
    assert by["follow_up"][0][1] == {"work_order.follow_up_call"}
    from claimdesk.workorders.workflow import WF

    assert set(WF.actions["cancel"].cancels) == {"work_order.promised_completion", "work_order.extra_work_approval",
                                                 "work_order.follow_up_call"}


def test_parts_api(store, advisor, clerk, api_as):
    api = api_as(advisor)
    r = api.post("parts", {"part_number": "abc-1", "name": "Filter", "unit_price": "68"})
    assert r.status_code == 201 and r.json["part_number"] == "ABC-1" and r.json["unit_price"] == "68.00"
    assert api.post("parts", {"part_number": "ABC-1", "name": "dup", "unit_price": "1"}).status_code == 422
    assert api.post("parts", {"part_number": "X", "name": "x", "unit_price": "-1"}).status_code == 422
    assert api_as(clerk).post("parts", {"part_number": "Y", "name": "y", "unit_price": "1"}).status_code == 403
    assert api.get("parts", query_string={"q": "ABC"}).json["total"] == 1
