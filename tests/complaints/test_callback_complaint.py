"""An unhappy follow-up call (satisfaction ≤ 2) opens a complaint in the same transaction: linked to the
work order, assigned to customer relations, first-response clock running; the work order page links it."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk.complaints.models import Complaint
from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.sla.models import SlaClock
from tests.workorders.conftest import Mover

WO = "work-orders"


def _complaints(wo):
    return db.session.scalars(sa.select(Complaint).where(Complaint.work_order_id == wo.id)).all()


def _open_wo(vehicle, advisor):
    from claimdesk.workorders.services import open_work_order

    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 30000, "customer_description": "Noise from the front"})
    uow.commit()
    return wo


def test_unhappy_callback_opens_a_complaint_for_customer_relations(vehicle, advisor, workshop, make_user, api_as):
    make_user("customer_relations", username="cr_late")
    cr = make_user("customer_relations", username="cr_first")
    # the longest-serving CR colleague: the one created first among those of the store
    first_cr = db.session.scalars(sa.select(type(cr)).where(type(cr).role == "customer_relations")
                                  .order_by(type(cr).id)).first()
    wo = _open_wo(vehicle, advisor)
    Mover(advisor, workshop).to(wo, "delivered")
    r = api_as(advisor).action(WO, wo.id, "follow_up", satisfaction=2, note="Still squeaks after the repair")
    assert r.status_code == 200 and r.json["state"] == "closed"
    (complaint,) = _complaints(wo)
    assert complaint.state == "listen" and complaint.channel == "callback"
    assert complaint.assignee_id == first_cr.id
    assert complaint.customer_id == wo.customer_id and complaint.vehicle_id == wo.vehicle_id
    assert "Still squeaks after the repair" in complaint.description and complaint.number.startswith("CP")
    clocks = {c.policy_key: c for c in db.session.scalars(sa.select(SlaClock).where(
        SlaClock.case_type == "complaint", SlaClock.case_id == complaint.id))}
    assert clocks["complaint.first_response"].state == "running"
    assert clocks["complaint.first_response"].due_at is not None
    # the work order's timeline names it; its API output links it for those who may read complaints
    events = api_as(advisor).get(f"{WO}/{wo.id}/events").json["items"]
    assert events[-1]["data"]["complaint_number"] == complaint.number
    linked = api_as(advisor).get(f"{WO}/{wo.id}").json["linked_cases"]
    assert {"case_type": "complaint", "case_id": complaint.id} in [
        {k: c[k] for k in ("case_type", "case_id")} for c in linked]
    # it is in customer relations' list
    items = api_as(cr).get("complaints", query_string={"assignee_id": first_cr.id}).json["items"]
    assert complaint.id in [c["id"] for c in items]


def test_satisfied_or_unreached_callbacks_open_nothing(vehicle, advisor, workshop, clerk, api_as):
    mover = Mover(advisor, workshop)
    happy = _open_wo(vehicle, advisor)
    mover.to(happy, "delivered")
    assert api_as(clerk).action(WO, happy.id, "follow_up", satisfaction=3, note="ok").status_code == 200
    missed = _open_wo(vehicle, advisor)
    mover.to(missed, "delivered")
    assert api_as(clerk).action(WO, missed.id, "follow_up", outcome="no_answer").status_code == 200
    assert _complaints(happy) == [] and _complaints(missed) == []


def test_without_customer_relations_the_advisor_gets_it(vehicle, advisor, workshop, clerk):
    clerk.active = False
    uow.commit()
    wo = _open_wo(vehicle, advisor)
    mover = Mover(advisor, workshop)
    mover.to(wo, "delivered")
    mover.run(wo, "follow_up", satisfaction=1, note="")
    (complaint,) = _complaints(wo)
    assert complaint.assignee_id == wo.assignee_id == advisor.id


def test_an_open_complaint_about_the_visit_is_not_duplicated(vehicle, advisor, workshop, clerk, api_as):
    wo = _open_wo(vehicle, advisor)
    mover = Mover(advisor, workshop)
    mover.to(wo, "delivered")
    r = api_as(clerk).post("complaints", {"customer_id": wo.customer_id, "work_order_id": wo.id, "channel": "phone",
                                          "category": "waiting_time", "description": "Waited two hours"})
    assert r.status_code == 201, r.json
    mover.run(wo, "follow_up", satisfaction=2, note="")
    assert [c.id for c in _complaints(wo)] == [r.json["id"]]


def test_a_refused_callback_opens_no_complaint(vehicle, advisor, workshop, api_as):
    wo = _open_wo(vehicle, advisor)
    Mover(advisor, workshop).to(wo, "delivered")
    r = api_as(advisor).action(WO, wo.id, "follow_up", satisfaction=2, note="x", version=wo.version - 1)
    assert r.status_code == 409
    assert _complaints(wo) == []


def test_work_order_page_links_the_complaint(vehicle, advisor, workshop, client, login):
    wo = _open_wo(vehicle, advisor)
    mover = Mover(advisor, workshop)
    mover.to(wo, "delivered")
    mover.run(wo, "follow_up", satisfaction=2, note="not happy")
    (complaint,) = _complaints(wo)
    login(advisor)
    page = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert "data-callback-complaint" in page and f"/complaints/{complaint.id}" in page
