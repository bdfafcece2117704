""""Not satisfied" (不满意) ticked at the follow-up call opens the same complaint as a score of 1-2, even
with a score of 3-5; it needs a reason; the page form, the timeline and the work order page show it."""
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


def _delivered(vehicle, advisor, workshop):
    from claimdesk.workorders.services import open_work_order

    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 30000, "customer_description": "Noise from the front"})
    uow.commit()
    Mover(advisor, workshop).to(wo, "delivered")
    return wo


def test_not_satisfied_with_a_good_score_opens_a_complaint(vehicle, advisor, workshop, clerk, api_as):
    wo = _delivered(vehicle, advisor, workshop)
    r = api_as(clerk).action(WO, wo.id, "follow_up", satisfaction=4, not_satisfied=True,
                             not_satisfied_reason="Waited two hours at delivery")
    assert r.status_code == 200, r.json
    assert r.json["state"] == "closed" and r.json["not_satisfied"] is True
    assert r.json["not_satisfied_reason"] == "Waited two hours at delivery"
    (complaint,) = _complaints(wo)
    assert complaint.channel == "callback" and complaint.assignee_id == clerk.id
    assert "Waited two hours at delivery" in complaint.description
    clock = db.session.scalar(sa.select(SlaClock).where(
        SlaClock.case_type == "complaint", SlaClock.case_id == complaint.id,
        SlaClock.policy_key == "complaint.first_response"))
    assert clock.state == "running"
    events = api_as(clerk).get(f"{WO}/{wo.id}/events").json["items"]
    assert events[-1]["data"]["not_satisfied"] is True
    assert events[-1]["data"]["complaint_number"] == complaint.number


def test_not_satisfied_needs_a_reason_and_changes_nothing_without(vehicle, advisor, workshop, clerk, api_as):
    wo = _delivered(vehicle, advisor, workshop)
    version = wo.version
    r = api_as(clerk).action(WO, wo.id, "follow_up", satisfaction=5, not_satisfied=True, not_satisfied_reason=" ")
    assert r.status_code == 422 and "not_satisfied_reason" in r.json["error"]["fields"]
    db.session.expire_all()
    assert wo.state == "delivered" and wo.version == version and wo.satisfaction is None
    assert _complaints(wo) == []


def test_a_good_score_without_the_mark_opens_nothing(vehicle, advisor, workshop, clerk, api_as):
    wo = _delivered(vehicle, advisor, workshop)
    r = api_as(clerk).action(WO, wo.id, "follow_up", satisfaction=4, not_satisfied_reason="ignored")
    assert r.status_code == 200 and r.json["not_satisfied"] is False and r.json["not_satisfied_reason"] is None
    assert _complaints(wo) == []


def test_page_form_ticks_not_satisfied_en_and_zh(vehicle, advisor, workshop, clerk, login, client):
    wo = _delivered(vehicle, advisor, workshop)
    login(clerk)
    url = f"/work-orders/{wo.id}"
    html = client.get(url).get_data(as_text=True)
    assert 'name="not_satisfied"' in html and "Not satisfied (opens a complaint whatever the score)" in html
    html = client.post(f"{url}/act/follow_up", data={"outcome": "reached", "satisfaction": "3", "not_satisfied": "1",
                                                   "not_satisfied_reason": "Price higher than quoted"},
                       follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert wo.state == "closed" and wo.not_satisfied and len(_complaints(wo)) == 1
    assert "data-not-satisfied" in html and "Price higher than quoted" in html
    client.post("/lang/zh")
    html = client.get(url).get_data(as_text=True)
    assert ">不满意</span>" in html  # the badge on the callback line
    other = _delivered(vehicle, advisor, workshop)
    html = client.get(f"/work-orders/{other.id}").get_data(as_text=True)
    assert "不满意原因" in html and "不满意（无论评分多少，均转为投诉）" in html
