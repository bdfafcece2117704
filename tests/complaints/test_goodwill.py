"""A complaint's promised goodwill lands on the bill: the waiver and discount become adjustment lines
of the open work order (customer → dealer), compensation and what the bill cannot carry become goodwill
payments, and the complaint shows what was actually granted."""
from __future__ import annotations

from claimdesk.core import uow
from claimdesk.workorders.services import open_work_order
from tests.factories import VehicleFactory
from tests.workorders.conftest import Mover

WO = "work-orders"


def work_order(advisor, store):
    vehicle = VehicleFactory(customer__store=store, mileage_km=20000)
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 21000, "customer_description": "Squeak when braking"})
    uow.commit()
    return wo  # lines of the Mover: labour 300.00 + part 480.00, customer pays 780.00


def complaint_about(api, wo):
    body = api.post("complaints", {"customer_id": wo.customer_id, "work_order_id": wo.id, "channel": "on_site",
                                   "category": "waiting_time", "severity": "medium",
                                   "description": "Waited two hours past the promised time."}).json
    for action, fields in (("listen", {"account": "Promised 3 pm, ready at 5 pm."}),
                           ("apologise", {"note": "Apologised."})):
        assert api.action("complaints", body["id"], action, **fields).status_code == 200
    return body["id"]


def resolve(api, cid, **goodwill):
    resp = api.action("complaints", cid, "resolve", attribution="our_fault", resolution="Waived labour",
                      **goodwill)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_waiver_and_discount_on_the_bill_compensation_paid(advisor, workshop, store, api_as):
    api = api_as(advisor)
    wo = Mover(advisor, workshop).to(work_order(advisor, store), "ready")
    cid = complaint_about(api, wo)
    body = resolve(api, cid, labour_waived="200.00", discount="50", compensation="100")
    granted = {(g["kind"], g["paid_directly"]): g for g in body["goodwill_granted"]}
    assert granted[("labour_waiver", False)]["amount"] == "200.00"
    assert granted[("goodwill_discount", False)]["work_order_number"] == wo.number
    assert granted[("compensation", True)]["amount"] == "100.00"
    s = api.get(f"{WO}/{wo.id}").json["settlement"]
    assert s["shares"]["customer"] == "530.00" and s["shares"]["dealer"] == "250.00" and s["total"] == "780.00"
    assert {a["complaint_id"] for a in s["adjustments"]} == {cid} and s["goodwill"] == "250.00"
    # goodwill from a complaint is changed on the complaint, not removed from the work order
    assert api.action(WO, wo.id, "remove_adjustment",
                      adjustment_id=s["adjustments"][0]["id"]).status_code == 409
    # delivery takes exactly the customer's share after the goodwill
    assert api.action(WO, wo.id, "deliver", signed_by="Mr Wang", paid_amount="780.00").status_code == 422
    done = api.action(WO, wo.id, "deliver", signed_by="Mr Wang", paid_amount="530.00")
    assert done.status_code == 200 and done.json["paid_amount"] == "530.00"


def test_more_goodwill_than_the_customer_pays_is_paid_directly(advisor, workshop, store, api_as):
    api = api_as(advisor)
    wo = Mover(advisor, workshop).to(work_order(advisor, store), "in_repair")
    cid = complaint_about(api, wo)
    body = resolve(api, cid, discount="1000.00")
    assert sorted((g["amount"], g["paid_directly"]) for g in body["goodwill_granted"]) == [
        ("220.00", True), ("780.00", False)]
    assert api.get(f"{WO}/{wo.id}").json["settlement"]["shares"]["customer"] == "0.00"


def test_a_new_resolution_replaces_the_goodwill(advisor, workshop, clerk, store, api_as):
    api = api_as(advisor)
    wo = Mover(advisor, workshop).to(work_order(advisor, store), "ready")
    cid = complaint_about(api, wo)
    resolve(api, cid, labour_waived="100.00", compensation="50")
    assert api_as(clerk).action("complaints", cid, "follow_up", satisfied=False, note="Not enough").status_code == 200
    body = resolve(api, cid, labour_waived="300.00")
    assert [(g["kind"], g["amount"]) for g in body["goodwill_granted"]] == [("labour_waiver", "300.00")]
    s = api.get(f"{WO}/{wo.id}").json["settlement"]
    assert s["shares"]["customer"] == "480.00" and len(s["adjustments"]) == 1


def test_goodwill_after_payment_is_refunded(advisor, workshop, store, api_as):
    api = api_as(advisor)
    wo = Mover(advisor, workshop).to(work_order(advisor, store), "delivered")
    assert wo.paid_amount == 780
    cid = complaint_about(api, wo)
    resolve(api, cid, discount="80.00")
    body = api.get(f"{WO}/{wo.id}").json
    assert body["settlement"]["balance_due"] == "-80.00"
    assert api.action(WO, wo.id, "refund", method="cash", amount="80.01").status_code == 422
    body = api.action(WO, wo.id, "refund", method="cash").json
    assert body["settlement"]["received"] == "700.00" and body["settlement"]["refunded"] == "80.00"
    assert body["paid_amount"] == "700.00" and body["settlement"]["balance_due"] == "0.00"
    assert api.action(WO, wo.id, "refund", method="cash").status_code == 409


def test_no_open_work_order_means_a_goodwill_payment(advisor, store, api_as):
    api = api_as(advisor)
    vehicle = VehicleFactory(customer__store=store)
    cid = api.post("complaints", {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "channel": "phone",
                                  "category": "service_attitude", "severity": "low",
                                  "description": "Rude on the phone"}).json["id"]
    for action, fields in (("listen", {"account": "x"}), ("apologise", {"note": "y"})):
        api.action("complaints", cid, action, **fields)
    body = resolve(api, cid, discount="150")
    assert body["goodwill_granted"] == [{"kind": "goodwill_discount", "amount": "150.00", "work_order_id": None,
                                         "work_order_number": None, "work_order_state": None,
                                         "paid_directly": True}]
