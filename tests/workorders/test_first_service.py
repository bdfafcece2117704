"""The first free service (首保): a brand rule in the store's settings; the advisor applies it on a work
order of a vehicle within its window; the covered lines go to the manufacturer (or the dealer) through the
one settlement; the vehicle records the use; a second use and a vehicle outside the window are refused and
change nothing; cancelling gives it back."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.extensions import db
from claimdesk.workorders import settlement
from claimdesk.workorders.services import open_work_order

WO = "work-orders"
RULE = {"brand": "Volkswagen", "months": 6, "km": 7500, "payer": "manufacturer",
        "labour_operations": ["FS01"], "parts": ["OIL-", "oil filter", "机滤"]}
LINES = [
    {"kind": "labour", "description": "First service labour", "operation_code": "FS01", "quantity": "1",
     "unit_price": "180.00"},
    {"kind": "part", "description": "Engine oil 5W-30", "part_number": "OIL-5W30", "quantity": "4.5",
     "unit_price": "68.00"},
    {"kind": "part", "description": "Oil filter", "part_number": "06A115561B", "quantity": "1", "unit_price": "45.50"},
    {"kind": "part", "description": "Wiper blades", "part_number": "WB-600", "quantity": "1", "unit_price": "120.00"},
]


@pytest.fixture(autouse=True)
def parts(store):
    from claimdesk.workorders.models import Part

    for ln in LINES:
        if ln["kind"] == "part":
            db.session.add(Part(store_id=store.id, part_number=ln["part_number"], name=ln["description"],
                                unit_price=Decimal(ln["unit_price"]), stock_qty=10))
    uow.commit()


@pytest.fixture
def rule(store):
    store.settings = {**(store.settings or {}), "first_service_rules": [RULE]}
    uow.commit()
    return RULE


@pytest.fixture
def new_car(vehicle):
    vehicle.purchase_date = now().date() - timedelta(days=60)
    vehicle.mileage_km = 3000
    uow.commit()
    return vehicle


def _wo(vehicle, advisor, mileage=3100):
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": mileage, "customer_description": "首保"})
    uow.commit()
    return wo


def _estimated(vehicle, advisor, api_as, mileage=3100):
    wo = _wo(vehicle, advisor, mileage)
    r = api_as(advisor).action(WO, wo.id, "estimate", lines=LINES)
    assert r.status_code == 200, r.json
    return wo


def test_applying_it_moves_the_covered_lines_to_the_manufacturer(rule, new_car, advisor, api_as):
    wo = _estimated(new_car, advisor, api_as)
    before = api_as(advisor).get(f"{WO}/{wo.id}").json
    assert before["first_service"]["state"] == "available" and before["first_service"]["applied"] is False
    r = api_as(advisor).action(WO, wo.id, "apply_first_service")
    assert r.status_code == 200, r.json
    out = r.json
    free = {ln["description"]: ln for ln in out["lines"]}
    assert free["Engine oil 5W-30"]["free_service"] and free["Engine oil 5W-30"]["pay_type"] == "warranty"
    assert free["Oil filter"]["free_service"] and free["First service labour"]["free_service"]
    assert not free["Wiper blades"]["free_service"] and free["Wiper blades"]["pay_type"] == "customer"
    covered = Decimal("180.00") + Decimal("306.00") + Decimal("45.50")
    assert out["first_service"]["applied"] is True and Decimal(out["first_service"]["amount"]) == covered
    db.session.expire_all()
    s = settlement.estimate_of(wo)  # the quote; once authorised, the bill
    assert s.manufacturer == covered and s.customer == Decimal("120.00")
    assert sum(s.shares.values()) == s.total == covered + Decimal("120.00")
    assert new_car.first_service_work_order_id == wo.id and new_car.first_service_number == wo.number
    events = api_as(advisor).get(f"{WO}/{wo.id}/events").json["items"]
    assert events[-1]["action"] == "apply_first_service" and events[-1]["data"]["payer"] == "manufacturer"
    vehicle = api_as(advisor).get(f"vehicles/{new_car.id}").json
    assert vehicle["first_service"]["state"] == "used" and vehicle["first_service"]["number"] == wo.number
    # applying again on the same work order is harmless (e.g. after a new estimate)
    assert api_as(advisor).action(WO, wo.id, "apply_first_service").status_code == 200


def test_a_dealer_paid_rule_charges_the_dealer(store, new_car, advisor, api_as):
    store.settings = {"first_service_rules": [{**RULE, "payer": "dealer", "labour_operations": ["*"]}]}
    uow.commit()
    wo = _estimated(new_car, advisor, api_as)
    assert api_as(advisor).action(WO, wo.id, "apply_first_service").status_code == 200
    db.session.expire_all()
    assert api_as(advisor).action(WO, wo.id, "authorise", signed_by="Mr Li", payment_method="cash",
                                  promised_at=(now() + timedelta(hours=4)).isoformat()).status_code == 200
    db.session.expire_all()
    s = wo.settlement  # the approved lines: the bill
    assert s.dealer == Decimal("531.50") and s.customer == Decimal("120.00") and sum(s.shares.values()) == s.total


def _unchanged(wo, version):
    db.session.expire_all()
    assert wo.version == version
    assert all(ln.pay_type == "customer" and not ln.free_service for ln in wo.lines)


def test_a_second_use_is_refused_and_changes_nothing(rule, new_car, advisor, api_as):
    first = _estimated(new_car, advisor, api_as)
    assert api_as(advisor).action(WO, first.id, "apply_first_service").status_code == 200
    second = _estimated(new_car, advisor, api_as, mileage=3300)
    version = second.version
    r = api_as(advisor).action(WO, second.id, "apply_first_service")
    assert r.status_code == 409 and r.json["error"]["code"] == "first_service_refused"
    assert first.number in r.json["error"]["message"] and "already used" in r.json["error"]["message"]
    _unchanged(second, version)
    db.session.expire_all()
    assert new_car.first_service_work_order_id == first.id


@pytest.mark.parametrize("case", ["too_old", "too_far", "no_date", "other_brand"])
def test_outside_the_window_is_refused(case, rule, new_car, advisor, api_as):
    mileage = 3100
    if case == "too_old":
        new_car.purchase_date = now().date() - timedelta(days=200)
    elif case == "no_date":
        new_car.purchase_date = None
    elif case == "other_brand":
        new_car.make = "Toyota"
    else:
        mileage = 8000
    uow.commit()
    wo = _estimated(new_car, advisor, api_as, mileage=mileage)
    version = wo.version
    r = api_as(advisor).action(WO, wo.id, "apply_first_service")
    assert r.status_code == 409 and r.json["error"]["code"] == "first_service_refused"
    _unchanged(wo, version)
    db.session.expire_all()
    assert new_car.first_service_work_order_id is None


def test_nothing_covered_is_refused(rule, new_car, advisor, api_as):
    wo = _wo(new_car, advisor)
    api_as(advisor).action(WO, wo.id, "estimate", lines=[LINES[3]])
    r = api_as(advisor).action(WO, wo.id, "apply_first_service")
    assert r.status_code == 422 and "lines" in r.json["error"]["fields"]
    db.session.expire_all()
    assert new_car.first_service_work_order_id is None


def test_cancelling_gives_it_back(rule, new_car, advisor, api_as):
    wo = _estimated(new_car, advisor, api_as)
    api_as(advisor).action(WO, wo.id, "apply_first_service")
    assert api_as(advisor).action(WO, wo.id, "cancel", reason="Customer went elsewhere").status_code == 200
    db.session.expire_all()
    assert new_car.first_service_work_order_id is None
    again = _estimated(new_car, advisor, api_as)
    assert api_as(advisor).action(WO, again.id, "apply_first_service").status_code == 200


def test_the_workshop_may_not_apply_it(rule, new_car, advisor, workshop, api_as):
    wo = _estimated(new_car, advisor, api_as)
    assert api_as(workshop).action(WO, wo.id, "apply_first_service").status_code == 403
    db.session.expire_all()
    assert new_car.first_service_work_order_id is None


def test_months_window_end_of_month():
    from claimdesk.customers.entitlements import add_months

    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 15), 12) == date(2027, 1, 15)


def test_pages_show_it_en_and_zh(app, rule, new_car, advisor, api_as, login, client):
    wo = _estimated(new_car, advisor, api_as)
    login(advisor)
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert 'data-first-service="available"' in html and "Apply first free service" in html
    assert 'data-first-service="available"' in client.get(f"/customers/vehicles/{new_car.id}").get_data(as_text=True)
    url = f"/work-orders/{wo.id}/act/apply_first_service"
    html = client.post(url, data={"version": wo.version}, follow_redirects=True).get_data(as_text=True)
    assert 'data-first-service="applied"' in html and "data-free-service" in html and "¥531.50" in html
    html = client.get(f"/customers/vehicles/{new_car.id}").get_data(as_text=True)
    assert 'data-first-service="used"' in html and wo.number in html
    # the printed settlement (once the customer signed and the car is ready) names it and who pays
    from tests.workorders.conftest import Mover

    Mover(advisor, None).run(wo, "authorise", signed_by="Mr Li", payment_method="cash",
                             promised_at=(now() + timedelta(hours=4)).isoformat())
    db.session.expire_all()
    from flask import render_template

    from claimdesk.workorders.views import labels

    with app.test_request_context("/"):
        printed = render_template("workorders/settlement.html", wo=wo, L=labels())
    assert "settlement-first-service" in printed and "Manufacturer (warranty)" in printed and "¥531.50" in printed
    client.post("/lang/zh")
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert "首保" in html and "本工单已使用" in html
    html = client.get(f"/customers/vehicles/{new_car.id}").get_data(as_text=True)
    assert "已于" in html and wo.number in html


def test_a_second_work_order_page_refuses_it(rule, new_car, advisor, api_as, login, client):
    first = _estimated(new_car, advisor, api_as)
    api_as(advisor).action(WO, first.id, "apply_first_service")
    second = _estimated(new_car, advisor, api_as, mileage=3300)
    login(advisor)
    html = client.get(f"/work-orders/{second.id}").get_data(as_text=True)
    assert 'data-first-service="used"' in html and first.number in html
    assert f'action="/work-orders/{second.id}/act/apply_first_service"' not in html
    r = client.post(f"/work-orders/{second.id}/act/apply_first_service", data={"version": second.version},
                    follow_redirects=True)
    assert "already used" in r.get_data(as_text=True)
    db.session.expire_all()
    assert new_car.first_service_work_order_id == first.id and not any(ln.free_service for ln in second.lines)


def test_a_line_the_manufacturer_refuses_goes_back_to_the_customer(rule, new_car, advisor, api_as):
    wo = _estimated(new_car, advisor, api_as)
    api_as(advisor).action(WO, wo.id, "apply_first_service")
    db.session.expire_all()
    oil = next(ln for ln in wo.lines if ln.part_number == "OIL-5W30")
    r = api_as(advisor).action(WO, wo.id, "decide_warranty",
                               lines=[{"line_id": oil.id, "warranty_status": "not_covered"}])
    assert r.status_code == 200, r.json
    db.session.expire_all()
    assert oil.pay_type == "customer" and not oil.free_service
