"""The complaint API (api.md): create with the minimum fields, lists and filters, every action over
HTTP with its status codes, the error body, and the work orders a resolution opens."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimdesk.complaints.models import Complaint
from claimdesk.core import clock
from claimdesk.core.models import CaseEvent
from claimdesk.core.workflow import action_performed
from claimdesk.extensions import db
from claimdesk.workorders.models import WorkOrder
from tests.complaints.factories import ComplaintFactory, open_complaint
from tests.factories import CustomerFactory, VehicleFactory

T0 = datetime(2026, 4, 7, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen():
    clock.set_now(T0)
    yield


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def events_of(case_id):
    return count(CaseEvent, CaseEvent.case_type == "complaint", CaseEvent.case_id == case_id)


def work_order(advisor, customer, vehicle):
    from claimdesk.core import uow
    from claimdesk.workorders.services import open_work_order

    wo = open_work_order(advisor, {"customer_id": customer.id, "vehicle_id": vehicle.id,
                                   "mileage_km": vehicle.mileage_km, "customer_description": "Brake noise"})
    uow.commit()
    return wo


# --- create ----------------------------------------------------------------------------------------
def test_create_with_minimum_fields(api_as, clerk, customer):
    api = api_as(clerk)
    resp = api.post("complaints", {"customer_id": customer.id, "channel": "phone", "category": "waiting_time",
                                   "severity": "low", "description": "Waited three hours for an oil change."})
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["state"] == "listen" and body["number"].startswith("CP-2026-") and body["version"] == 1
    for key in ("id", "store_id", "assignee_id", "created_at", "updated_at", "customer_id", "channel",
                "category", "severity", "description"):
        assert key in body
    assert body["created_at"].endswith("+00:00") and body["cost_to_store"] == "0.00"
    got = api.get(f"complaints/{body['id']}").json
    assert got["description"] == "Waited three hours for an oil change." and got["customer_name"] == "王芳"


def test_create_regulator_defaults_high_with_deadline(api_as, clerk, customer):
    deadline = (T0 + timedelta(days=7)).isoformat()
    resp = api_as(clerk).post("complaints", {"customer_id": customer.id, "channel": "regulator",
                                             "category": "price", "description": "Overcharged for parts.",
                                             "deadline_at": deadline, "external_reference": "12315-8812"})
    assert resp.status_code == 201, resp.json
    assert resp.json["severity"] == "high" and resp.json["deadline_at"] == deadline


@pytest.mark.parametrize("patch,field", [
    ({"channel": "pigeon"}, "channel"),
    ({"category": "weather"}, "category"),
    ({"severity": "apocalyptic"}, "severity"),
    ({"description": "   "}, "description"),
    ({"customer_id": None}, "customer_id"),
    ({"customer_id": 999999}, "customer_id"),
    ({"deadline_at": "2026-05-01T10:00:00+08:00"}, "deadline_at"),  # phone complaints carry no deadline
])
def test_create_bad_input_is_422_with_fields_and_nothing_written(api_as, clerk, customer, patch, field):
    body = {"customer_id": customer.id, "channel": "phone", "category": "price", "severity": "low",
            "description": "Too expensive.", **patch}
    resp = api_as(clerk).post("complaints", body)
    assert resp.status_code == 422, resp.json
    err = resp.json["error"]
    assert err["code"] == "validation_error" and field in err["fields"] and err["message"]
    assert count(Complaint) == 0


def test_create_refused_to_workshop(api_as, workshop, customer):
    resp = api_as(workshop).post("complaints", {"customer_id": customer.id, "channel": "phone",
                                                "category": "price", "severity": "low", "description": "x"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "forbidden"
    assert count(Complaint) == 0


def test_create_needs_a_token(client, customer):
    resp = client.post("/api/v1/complaints", json={})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthenticated"


def test_malformed_json_is_400(api_as, clerk):
    resp = api_as(clerk).post("complaints", data="{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and "error" in resp.json


def test_other_store_is_404(api_as, clerk, other_store, make_user):
    outsider = make_user("customer_relations", store=other_store, username="outsider")
    c = open_complaint(outsider, store=other_store)
    api = api_as(clerk)
    assert api.get(f"complaints/{c.id}").status_code == 404
    assert api.action("complaints", c.id, "listen", account="x").status_code == 404
    assert api.get(f"complaints/{c.id}/events").status_code == 404


# --- lists -----------------------------------------------------------------------------------------
def test_list_filters(api_as, clerk, advisor, store, customer, vehicle):
    other = CustomerFactory(store=store, phone="13700001111")
    other_car = VehicleFactory(customer=other, plate="粤A99999")
    ComplaintFactory(customer=customer, vehicle_id=vehicle.id, channel="letter", category="price", severity="low",
                     created_at=T0 - timedelta(days=40))
    ComplaintFactory(customer=other, vehicle_id=other_car.id, channel="regulator", category="parts",
                     severity="high", state="resolve", assignee_id=advisor.id, created_at=T0 - timedelta(days=2))
    ComplaintFactory(customer=other, channel="phone", state="closed", escalation_level=1, created_at=T0)
    api = api_as(clerk)

    def numbers(query):
        resp = api.get(f"complaints?{query}")
        assert resp.status_code == 200, resp.json
        return resp.json["total"]

    assert numbers("") == 3
    assert numbers("channel=letter") == 1
    assert numbers("category=parts&severity=high") == 1
    assert numbers("state=closed") == 1
    assert numbers(f"assignee_id={advisor.id}") == 1
    assert numbers("escalated=true") == 1
    assert numbers("open=true") == 2
    assert numbers(f"from={(T0 - timedelta(days=7)).isoformat().replace('+', '%2B')}") == 2
    assert numbers(f"to={(T0 - timedelta(days=7)).isoformat().replace('+', '%2B')}") == 1
    assert numbers(f"customer_id={customer.id}") == 1
    assert numbers(f"store_id={store.id}") == 3
    page = api.get("complaints?per_page=2&page=2").json
    assert page["page"] == 2 and page["per_page"] == 2 and len(page["items"]) == 1 and page["total"] == 3


def test_list_search_by_phone_and_plate(api_as, clerk, store, customer, vehicle):
    second = VehicleFactory(customer=customer, plate="粤B77777")
    ComplaintFactory(customer=customer, vehicle_id=vehicle.id)
    ComplaintFactory(customer=customer, vehicle_id=second.id)
    ComplaintFactory(customer=CustomerFactory(store=store, phone="13600000000"))
    api = api_as(clerk)
    assert api.get("complaints?q=13912345678").json["total"] == 2
    assert api.get("complaints?q=139 1234").json["total"] == 2  # prefix, spaces ignored
    assert api.get("complaints?q=粤B12345").json["total"] == 1
    assert api.get("complaints?q=粤b77777").json["total"] == 1
    assert api.get("complaints?q=王").json["total"] == 2


@pytest.mark.parametrize("query", ["state=lost", "channel=fax", "per_page=500", "from=yesterday"])
def test_bad_list_filters_are_422(api_as, clerk, query):
    resp = api_as(clerk).get(f"complaints?{query}")
    assert resp.status_code == 422 and resp.json["error"]["fields"]


# --- actions over HTTP -----------------------------------------------------------------------------
def test_full_flow_through_the_api(api_as, clerk, advisor, customer, vehicle):
    cr, adv = api_as(clerk), api_as(advisor)
    cid = cr.post("complaints", {"customer_id": customer.id, "vehicle_id": vehicle.id, "channel": "on_site",
                                 "category": "repair_quality", "severity": "medium",
                                 "description": "Noise is back."}).json["id"]
    steps = [
        (adv, "listen", {"account": "The squeal started two days after the service."}, "apologise"),
        (adv, "apologise", {"note": "Apologised in person."}, "resolve"),
        (adv, "resolve", {"attribution": "misunderstanding", "resolution": "Explained the bedding-in of new pads.",
                          "discount": "50.00"}, "follow_up"),
        (cr, "follow_up", {"satisfied": True, "note": "Noise gone after 300 km."}, "closed"),
    ]
    for api, action, body, state in steps:
        resp = api.action("complaints", cid, action, **body)
        assert resp.status_code == 200, (action, resp.json)
        assert resp.json["state"] == state
    final = cr.get(f"complaints/{cid}").json
    assert final["discount"] == "50.00" and final["satisfied"] is True and final["closed_at"]
    timeline = cr.get(f"complaints/{cid}/events").json["items"]
    assert [e["action"] for e in timeline] == ["create", "listen", "apologise", "resolve", "follow_up"]
    assert timeline[1]["from_state"] == "listen" and timeline[1]["to_state"] == "apologise"
    assert timeline[1]["actor_id"] == advisor.id and timeline[1]["data"]["account"].startswith("The squeal")


def test_wrong_state_is_409_and_nothing_changes(api_as, advisor, customer):
    c = open_complaint(advisor, customer)
    resp = api_as(advisor).action("complaints", c.id, "resolve", attribution="our_fault", resolution="x")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "invalid_state"
    db.session.expire_all()
    assert c.state == "listen" and c.attribution is None and events_of(c.id) == 1


def test_role_refusal_is_403_and_nothing_changes(api_as, advisor, workshop, customer):
    c = open_complaint(advisor, customer)
    resp = api_as(workshop).action("complaints", c.id, "listen", account="I heard it too")
    assert resp.status_code == 403
    db.session.expire_all()
    assert c.state == "listen" and c.account is None and events_of(c.id) == 1


def test_empty_account_is_422(api_as, advisor, customer):
    c = open_complaint(advisor, customer)
    resp = api_as(advisor).action("complaints", c.id, "listen", account="")
    assert resp.status_code == 422 and "account" in resp.json["error"]["fields"]
    db.session.expire_all()
    assert c.state == "listen" and events_of(c.id) == 1


def test_version_conflict_is_409(api_as, advisor, customer):
    c = open_complaint(advisor, customer)
    resp = api_as(advisor).action("complaints", c.id, "listen", account="ok", version=c.version + 1)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "version_conflict"


def test_unknown_action_is_404_or_405(api_as, advisor, customer):
    c = open_complaint(advisor, customer)
    assert api_as(advisor).action("complaints", c.id, "teleport").status_code in (404, 405)


def test_closing_without_follow_up_is_refused(api_as, advisor, clerk, manager, customer):
    c = open_complaint(advisor, customer)
    adv = api_as(advisor)
    adv.action("complaints", c.id, "listen", account="a")
    adv.action("complaints", c.id, "apologise", note="sorry")
    adv.action("complaints", c.id, "resolve", attribution="our_fault", resolution="fixed")
    # the follow-up outcome is required
    resp = api_as(clerk).action("complaints", c.id, "follow_up", note="called")
    assert resp.status_code == 422 and "satisfied" in resp.json["error"]["fields"]
    # only a manager may close without one, and must say why
    assert adv.action("complaints", c.id, "close", reason="done").status_code == 403
    resp = api_as(manager).action("complaints", c.id, "close")
    assert resp.status_code == 422 and "reason" in resp.json["error"]["fields"]
    db.session.expire_all()
    assert c.state == "follow_up" and c.closed_at is None
    resp = api_as(manager).action("complaints", c.id, "close", reason="Customer emigrated; unreachable.")
    assert resp.status_code == 200 and resp.json["state"] == "closed"
    assert resp.json["close_reason"] == "Customer emigrated; unreachable."


def test_common_actions_over_http(api_as, clerk, advisor, manager, customer):
    c = open_complaint(clerk, customer)
    cr = api_as(clerk)
    assert cr.action("complaints", c.id, "assign", assignee_id=advisor.id).json["assignee_id"] == advisor.id
    assert cr.action("complaints", c.id, "assign", assignee_id=999999).status_code == 422
    note = cr.action("complaints", c.id, "note", text="Customer prefers WeChat.", visibility="internal")
    assert note.status_code == 200
    assert cr.action("complaints", c.id, "note", text="x", visibility="public").status_code == 422
    paused = cr.action("complaints", c.id, "pause", reason="waiting_customer")
    assert paused.status_code == 200 and paused.json["pause_reason"] == "waiting_customer"
    assert cr.action("complaints", c.id, "pause", reason="waiting_customer").status_code == 409
    assert cr.action("complaints", c.id, "resume").json["pause_reason"] is None
    esc = cr.action("complaints", c.id, "escalate", reason="VIP customer")
    assert esc.status_code == 200 and esc.json["escalation_level"] == 1 and esc.json["escalated_to_id"] == manager.id
    ack = api_as(manager).action("complaints", c.id, "acknowledge")
    assert ack.status_code == 200 and ack.json["assignee_id"] == manager.id
    kinds = [e["kind"] for e in cr.get(f"complaints/{c.id}/events").json["items"]]
    assert "note" in kinds and "escalation" in kinds


def test_reopen_loop_and_automatic_escalation_over_http(api_as, clerk, advisor, manager, customer):
    c = open_complaint(clerk, customer)
    cr, adv = api_as(clerk), api_as(advisor)
    adv.action("complaints", c.id, "listen", account="a")
    adv.action("complaints", c.id, "apologise", note="sorry")
    for n in (1, 2):
        adv.action("complaints", c.id, "resolve", attribution="our_fault", resolution=f"attempt {n}")
        resp = cr.action("complaints", c.id, "follow_up", satisfied=False, note="still broken")
        assert resp.status_code == 200 and resp.json["state"] == "resolve" and resp.json["reopen_count"] == n
    assert resp.json["escalation_level"] == 1 and resp.json["escalated_to_id"] == manager.id
    items = cr.get(f"complaints/{c.id}/events").json["items"]
    assert items[-1]["action"] == "escalate" and items[-1]["actor_id"] is None


def test_openapi_documents_the_complaint_routes(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/complaints" in spec["paths"]
    assert "/api/v1/complaints/{case_id}/actions/resolve" in spec["paths"]


# --- work orders ------------------------------------------------------------------------------------
def test_intake_links_a_work_order_and_takes_its_vehicle(api_as, clerk, advisor, customer, vehicle):
    wo = work_order(advisor, customer, vehicle)
    resp = api_as(clerk).post("complaints", {"customer_id": customer.id, "work_order_id": wo.id,
                                             "channel": "callback", "category": "repair_quality",
                                             "severity": "medium", "description": "Unhappy at the callback."})
    assert resp.status_code == 201, resp.json
    assert resp.json["work_order_id"] == wo.id and resp.json["vehicle_id"] == vehicle.id
    assert api_as(clerk).get(f"complaints?work_order_id={wo.id}").json["total"] == 1


def test_intake_refuses_another_customers_work_order(api_as, clerk, advisor, store, customer):
    other = CustomerFactory(store=store)
    wo = work_order(advisor, other, VehicleFactory(customer=other))
    resp = api_as(clerk).post("complaints", {"customer_id": customer.id, "work_order_id": wo.id,
                                             "channel": "phone", "category": "other", "severity": "low",
                                             "description": "x"})
    assert resp.status_code == 422 and "work_order_id" in resp.json["error"]["fields"]
    assert count(Complaint) == 0


def _to_resolve(api, cid):
    api.action("complaints", cid, "listen", account="a")
    api.action("complaints", cid, "apologise", note="sorry")


def test_our_fault_opens_an_internal_rework_work_order(api_as, clerk, advisor, customer, vehicle):
    wo = work_order(advisor, customer, vehicle)
    c = open_complaint(clerk, customer, vehicle=vehicle, work_order_id=wo.id)
    adv = api_as(advisor)
    _to_resolve(adv, c.id)
    resp = adv.action("complaints", c.id, "resolve", attribution="our_fault", resolution="Rework the brakes.",
                      root_cause="Pads fitted dry.", create_work_order=True, cost_to_store="420.00")
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["state"] == "follow_up" and body["resolution_work_order_kind"] == "rework"
    rework = db.session.get(WorkOrder, body["resolution_work_order_id"])
    assert rework.pay_type == "internal" and rework.parent_id == wo.id and rework.vehicle_id == vehicle.id
    assert c.number in rework.customer_description and "Pads fitted dry." in rework.customer_description
    event = api_as(clerk).get(f"complaints/{c.id}/events").json["items"][-1]
    assert event["data"]["work_order_number"] == rework.number


def test_not_our_fault_offers_a_free_inspection(api_as, advisor, customer, vehicle):
    c = open_complaint(advisor, customer, vehicle=vehicle)
    adv = api_as(advisor)
    _to_resolve(adv, c.id)
    resp = adv.action("complaints", c.id, "resolve", attribution="not_our_fault", resolution="Explained; offered "
                      "a free inspection.", create_work_order=True, work_order_description="Free brake inspection")
    assert resp.status_code == 200, resp.json
    wo = db.session.get(WorkOrder, resp.json["resolution_work_order_id"])
    assert resp.json["resolution_work_order_kind"] == "inspection"
    assert wo.pay_type == "internal" and wo.parent_id is None and wo.customer_description == "Free brake inspection"


def test_misunderstanding_opens_no_work_order(api_as, advisor, customer, vehicle):
    c = open_complaint(advisor, customer, vehicle=vehicle)
    adv = api_as(advisor)
    _to_resolve(adv, c.id)
    resp = adv.action("complaints", c.id, "resolve", attribution="misunderstanding", resolution="Explained.",
                      create_work_order=True)
    assert resp.status_code == 422 and "create_work_order" in resp.json["error"]["fields"]
    assert count(WorkOrder) == 0


def test_rework_without_a_vehicle_asks_for_one(api_as, advisor, customer, vehicle):
    c = open_complaint(advisor, customer, vehicle=False)
    adv = api_as(advisor)
    _to_resolve(adv, c.id)
    resp = adv.action("complaints", c.id, "resolve", attribution="our_fault", resolution="Rework.",
                      create_work_order=True)
    assert resp.status_code == 422 and "vehicle_id" in resp.json["error"]["fields"]
    resp = adv.action("complaints", c.id, "resolve", attribution="our_fault", resolution="Rework.",
                      create_work_order=True, vehicle_id=vehicle.id)
    assert resp.status_code == 200 and resp.json["vehicle_id"] == vehicle.id


def test_rework_failing_leaves_the_complaint_unresolved(api_as, advisor, customer, vehicle):
    c = open_complaint(advisor, customer, vehicle=vehicle)
    adv = api_as(advisor)
    _to_resolve(adv, c.id)
    before = events_of(c.id)
    # an odometer reading below the last recorded one makes the work order fail
    resp = adv.action("complaints", c.id, "resolve", attribution="our_fault", resolution="Rework.",
                      create_work_order=True, mileage_km=vehicle.mileage_km - 1000)
    assert resp.status_code == 422 and "mileage_km" in resp.json["error"]["fields"]
    db.session.expire_all()
    assert c.state == "resolve" and c.attribution is None and events_of(c.id) == before
    assert count(WorkOrder) == 0


def test_resolution_failing_after_the_work_order_leaves_no_work_order(app, api_as, advisor, customer, vehicle):
    """The work order is opened first; if anything after it fails, the whole step rolls back."""
    c = open_complaint(advisor, customer, vehicle=vehicle)
    adv = api_as(advisor)
    _to_resolve(adv, c.id)
    before = events_of(c.id)

    def boom(sender, action=None, **kw):
        if action.name == "resolve":
            raise RuntimeError("timeline store down")

    action_performed.connect(boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        resp = adv.action("complaints", c.id, "resolve", attribution="our_fault", resolution="Rework.",
                          create_work_order=True)
    finally:
        action_performed.disconnect(boom)
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert resp.status_code == 500 and resp.json["error"]["code"] == "internal_error"
    db.session.expire_all()
    assert count(WorkOrder) == 0
    assert c.state == "resolve" and c.resolution_work_order_id is None and events_of(c.id) == before


# --- every action, refused roles over HTTP ---------------------------------------------------------
ACTION_BODIES = {
    "listen": {"account": "a"}, "apologise": {"note": "sorry"},
    "resolve": {"attribution": "our_fault", "resolution": "fixed"},
    "follow_up": {"satisfied": True, "note": "ok"}, "escalate": {}, "close": {"reason": "decided"},
    "assign": {"assignee_id": 1}, "note": {"text": "x"}, "pause": {"reason": "waiting_customer"},
    "resume": {}, "acknowledge": {},
}


@pytest.mark.parametrize("action", sorted(ACTION_BODIES))
def test_workshop_gets_403_for_every_action(api_as, workshop, advisor, customer, action):
    c = open_complaint(advisor, customer)
    resp = api_as(workshop).action("complaints", c.id, action, **ACTION_BODIES[action])
    assert resp.status_code == 403 and resp.json["error"]["code"] == "forbidden"
    db.session.expire_all()
    assert c.version == 1 and events_of(c.id) == 1


@pytest.mark.parametrize("role,action", [("advisor", "follow_up"), ("advisor", "close"),
                                         ("customer_relations", "close")])
def test_other_refusals_over_http(api_as, make_user, advisor, customer, role, action):
    c = open_complaint(advisor, customer)
    assert api_as(make_user(role)).action("complaints", c.id, action, **ACTION_BODIES[action]).status_code == 403


def test_output_says_the_next_step_and_what_the_caller_may_do(api_as, clerk, advisor, manager, customer):
    c = open_complaint(clerk, customer)
    body = api_as(advisor).get(f"complaints/{c.id}").json
    assert "record their own account" in body["next_step"]
    assert "listen" in body["available_actions"] and "close" not in body["available_actions"]
    assert "close" in api_as(manager).get(f"complaints/{c.id}").json["available_actions"]
