"""GET /api/v1/vehicles/{id}/sanbao, the confirmation, the rule sets; the pages in English and Chinese;
the status on work-order, complaint and vehicle pages."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from claimdesk.core import clock, uow
from claimdesk.extensions import db
from claimdesk.sanbao.rules import rule_set_for
from tests.factories import VehicleFactory

from .conftest import cst


@pytest.fixture
def risky(car, repair):
    """Three repairs of the same problem (warning), one of them still running for 7 days."""
    repair(car, cst(2025, 4, 1, 9, 0), cst(2025, 4, 9, 9, 0))
    repair(car, cst(2025, 6, 1, 9, 0), cst(2025, 6, 10, 9, 0))
    now = clock.now()
    running = repair(car, now - timedelta(days=7), None)
    from claimdesk.sanbao import jobs

    assert jobs.sweep() >= 3  # the hourly sweep: days and repeats warn, the substitute duty is due
    uow.commit()
    return running


def test_the_ledger_api(car, risky, api_as, advisor):
    r = api_as(advisor).get(f"vehicles/{car.id}/sanbao")
    assert r.status_code == 200
    body = r.get_json()
    assert body["covered"] and body["rule_set"]["code"] == "2022" and body["purchase_date"] == "2025-03-01"
    assert body["days_used"] == 8 + 9 + 7
    assert body["problems"][0]["repairs"] == 3 and body["problems"][0]["key"] == "transmission:P0741"
    assert body["substitute_due"] == [risky.id]
    assert {c["condition"] for c in body["conditions"]} >= {"repair_days", "same_problem", "safety", "substitute"}
    assert body["level"] == "exceeded"  # the substitute duty of the running repair
    assert len(body["episodes"]) == 3 and body["episodes"][2]["running"]
    assert {(a["condition"], a["level"]) for a in body["alerts"]} >= {("same_problem", "warning"),
                                                                      ("repair_days", "warning")}


def test_the_api_is_store_scoped_and_validates(car, other_store, api_as, make_user, advisor, risky):
    from tests.factories import UserFactory

    outsider = UserFactory(role="advisor", store=other_store)
    assert api_as(outsider).get(f"vehicles/{car.id}/sanbao").status_code == 404
    assert api_as(outsider).put(f"work-orders/{risky.id}/sanbao", {"quality": True}).status_code == 404
    r = api_as(advisor).put(f"work-orders/{risky.id}/sanbao", {"quality": True, "system": "warp_drive"})
    assert r.status_code == 422 and "system" in r.get_json()["error"]["fields"]
    workshop = make_user("workshop", username="tech2")
    assert api_as(workshop).put(f"work-orders/{risky.id}/sanbao", {"quality": False}).status_code == 403


def test_rule_set_thresholds_are_configurable_by_managers(api_as, advisor, manager, make_user, store):
    """A group-wide set is changed by a group-wide account only; a store manager copies it for the store and
    changes the copy, which then applies to the store's cars (and to no other store's)."""
    rs = rule_set_for(date(2024, 1, 1), store.id)
    assert rs.store_id is None
    assert api_as(advisor).patch(f"sanbao/rule-sets/{rs.id}", {"warn_repair_days": 25}).status_code == 403
    r = api_as(manager).patch(f"sanbao/rule-sets/{rs.id}", {"warn_repair_days": 25})
    assert r.status_code == 403 and "group-wide" in r.get_json()["error"]["message"]
    assert api_as(advisor).post(f"sanbao/rule-sets/{rs.id}/copy").status_code == 403
    r = api_as(manager).post(f"sanbao/rule-sets/{rs.id}/copy")
    assert r.status_code == 200 and r.get_json()["code"] == rs.code and r.get_json()["id"] != rs.id
    mine = r.get_json()["id"]
    assert api_as(manager).post(f"sanbao/rule-sets/{rs.id}/copy").get_json()["id"] == mine  # once per store
    r = api_as(manager).patch(f"sanbao/rule-sets/{mine}", {"warn_repair_days": 31})
    assert r.status_code == 422 and "warn_repair_days" in r.get_json()["error"]["fields"]
    r = api_as(manager).patch(f"sanbao/rule-sets/{mine}", {"warn_repair_days": 25})
    assert r.status_code == 200 and r.get_json()["warn_repair_days"] == 25
    db.session.expire_all()
    assert rule_set_for(date(2024, 1, 1), store.id).id == mine  # the store's cars follow its own set
    assert rule_set_for(date(2024, 1, 1), store.id + 1000).warn_repair_days == 20  # others the group's
    boss = make_user("manager", username="groupmgr", is_group=True)
    assert api_as(boss).patch(f"sanbao/rule-sets/{rs.id}", {"warn_repair_days": 19}).status_code == 200
    codes = [x["code"] for x in api_as(advisor).get("sanbao/rule-sets").get_json()]
    assert codes == ["2013", "2022", "2022"]


def test_another_store_s_set_is_out_of_reach(api_as, manager, make_user, other_store, store):
    rs = rule_set_for(date(2024, 1, 1), store.id)
    theirs = make_user("manager", username="futian", store=other_store)
    copy = api_as(theirs).post(f"sanbao/rule-sets/{rs.id}/copy").get_json()["id"]
    assert api_as(manager).patch(f"sanbao/rule-sets/{copy}", {"warn_repair_days": 21}).status_code == 404
    assert copy not in [x["id"] for x in api_as(manager).get("sanbao/rule-sets").get_json()]


def test_the_spec_has_the_ledger(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/vehicles/{vehicle_id}/sanbao" in spec["paths"]
    assert "SanbaoOut" in spec["components"]["schemas"] or any("Sanbao" in k for k in spec["components"]["schemas"])


@pytest.mark.parametrize("lang, words", [("en", ("三包 ledger", "Repair days used", "Limit passed")),
                                         ("zh", ("三包台账", "累计修理天数", "已超上限"))])
def test_the_vehicle_page(car, risky, login, advisor, client, lang, words):
    login(advisor)
    client.post(f"/lang/{lang}")
    html = client.get(f"/sanbao/vehicles/{car.id}").get_data(as_text=True)
    for w in words:
        assert w in html
    assert 'data-days-used="24"' in html and f'data-episode="{risky.id}"' in html


def test_confirmation_form(car, risky, login, advisor, client):
    login(advisor)
    r = client.post(f"/sanbao/work-orders/{risky.id}/episode", data={
        "quality": "1", "system": "engine", "fault_code": "P0300", "replacement": "none"})
    assert r.status_code == 302
    db.session.expire_all()
    from claimdesk.sanbao import ledger

    assert "engine:P0300" in ledger.build(car).problems
    r = client.post(f"/sanbao/work-orders/{risky.id}/episode", data={"quality": "1", "system": "nope"})
    assert r.status_code == 302  # refused: back to the page with the reason
    db.session.expire_all()
    assert "engine:P0300" in ledger.build(car).problems


def test_status_on_work_order_complaint_and_vehicle_pages(car, risky, login, advisor, client):
    login(advisor)
    client.post("/lang/en")
    wo_page = client.get(f"/work-orders/{risky.id}").get_data(as_text=True)
    assert "data-substitute-duty" in wo_page and "provide a substitute car or a transport allowance" in wo_page
    assert 'data-sanbao-level="exceeded"' in wo_page
    vehicle_page = client.get(f"/customers/vehicles/{car.id}").get_data(as_text=True)
    assert "24 of 30 repair days used" in vehicle_page
    from claimdesk.complaints.services import open_complaint

    c = open_complaint(advisor, {"customer_id": car.customer_id, "vehicle_id": car.id, "channel": "phone",
                                 "category": "repair_quality", "severity": "high",
                                 "description": "Gearbox again"})
    uow.commit()
    page = client.get(f"/complaints/{c.id}").get_data(as_text=True)
    assert "The car is at 三包 risk" in page
    client.post("/lang/zh")
    assert "该车存在三包风险" in client.get(f"/complaints/{c.id}").get_data(as_text=True)


def test_no_status_for_a_car_without_purchase_date(store, login, advisor, client):
    v = VehicleFactory(customer__store=store)
    login(advisor)
    assert "sanbao-status" not in client.get(f"/customers/vehicles/{v.id}").get_data(as_text=True)


def test_at_risk_list_and_home_panel(car, risky, login, manager, client, other_store):
    login(manager)
    client.post("/lang/en")
    html = client.get("/sanbao/at-risk").get_data(as_text=True)
    assert f'data-vehicle="{car.id}"' in html
    assert "Vehicles at 三包 risk" in client.get("/").get_data(as_text=True)
    assert client.get("/sanbao/rule-sets").status_code == 200
    group = rule_set_for(date(2024, 1, 1), car.store_id)
    html = client.get("/sanbao/rule-sets").get_data(as_text=True)
    assert "Copy for my store" in html  # the group's set is read-only here
    r = client.post("/sanbao/rule-sets", data={"id": group.id, "warn_same_problem": "2"})
    assert r.status_code == 403
    r = client.post(f"/sanbao/rule-sets/{group.id}/copy")
    assert r.status_code == 302
    rs = rule_set_for(date(2024, 1, 1), car.store_id)
    assert rs.store_id == car.store_id and f'data-store-set="S01"' in client.get("/sanbao/rule-sets").get_data(as_text=True)
    r = client.post("/sanbao/rule-sets", data={"id": rs.id, "warn_same_problem": "9"})
    assert r.status_code == 422
    r = client.post("/sanbao/rule-sets", data={"id": rs.id, "warn_same_problem": "2"})
    assert r.status_code == 302
    db.session.expire_all()
    assert rule_set_for(date(2024, 1, 1), car.store_id).warn_same_problem == 2
