"""A delay agreed with the customer (revise_promise): new time, reason, who agreed and how; the
promised-completion clock re-bases on the new time; the timeline, the page and the printout show it."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimdesk.core import clock, uow
from claimdesk.core.errors import Conflict, Forbidden, ValidationFailed
from claimdesk.core.models import CaseEvent
from claimdesk.extensions import db
from claimdesk.sla.models import SlaClock, SlaFact
from claimdesk.workorders.workflow import WF

KEY = "work_order.promised_completion"


def _clocks(wo):
    return db.session.scalars(sa.select(SlaClock).where(
        SlaClock.case_type == "work_order", SlaClock.case_id == wo.id, SlaClock.policy_key == KEY)).all()


def _facts(wo):
    return db.session.scalars(sa.select(SlaFact).where(
        SlaFact.case_type == "work_order", SlaFact.case_id == wo.id, SlaFact.policy_key == KEY)
        .order_by(SlaFact.id)).all()


def _near(a, b):
    """A clock's due time is its start plus whole target seconds: within a second of the promise."""
    return abs((a - b).total_seconds()) < 1


def test_revise_in_time_rebases_the_clock(wo, mover, advisor):
    mover.to(wo, "in_repair")
    first = wo.promised_at
    (clk,) = _clocks(wo)
    assert _near(clk.due_at, first) and clk.generation == 1
    new = first + timedelta(days=1)
    mover.run(wo, "revise_promise", promised_at=new.isoformat(), reason="Brake discs on order",
              agreed_by="Mr Wang", channel="phone")
    db.session.refresh(clk)
    assert wo.promised_at == new and wo.state == "in_repair"
    assert clk.generation == 2 and clk.state == "running" and _near(clk.due_at, new)
    (fact,) = _facts(wo)
    assert fact.outcome == "cancelled"  # superseded by the agreed time, not missed
    (rev,) = wo.promise_history
    assert rev["from"] == first and rev["to"] == new and rev["agreed_by"] == "Mr Wang"
    assert rev["reason"] == "Brake discs on order" and rev["channel"] == "phone" and rev["by"] == advisor.display_name
    event = db.session.scalars(sa.select(CaseEvent).where(
        CaseEvent.case_id == wo.id, CaseEvent.case_type == "work_order", CaseEvent.action == "revise_promise")).one()
    assert event.data["previous_promised_at"] == first.isoformat() and event.data["late"] is False
    assert event.data["reason"] == "Brake discs on order"


def test_revise_after_the_promise_was_missed_records_the_breach(wo, mover):
    mover.to(wo, "in_repair")
    first = wo.promised_at
    clock.set_now(first + timedelta(hours=1))
    try:
        mover.run(wo, "revise_promise", promised_at=(first + timedelta(hours=5)).isoformat(),
                  reason="Extra work", agreed_by="Mrs Li", channel="wechat")
        (fact,) = _facts(wo)
        assert fact.outcome == "breached"
        (clk,) = _clocks(wo)
        assert clk.state == "running" and _near(clk.due_at, first + timedelta(hours=5))
        # the car is ready before the new time: the new promise is met
        mover.to(wo, "ready")
        db.session.refresh(clk)
        assert clk.state == "met"
        assert [f.outcome for f in _facts(wo)] == ["breached", "met"]
    finally:
        clock.set_now(None)


def test_revise_refusals(wo, mover, advisor, workshop):
    mover.to(wo, "estimated")
    with pytest.raises(Conflict):  # nothing promised before the customer signs
        WF.perform(wo, "revise_promise", {"promised_at": clock.now().isoformat(), "reason": "x", "agreed_by": "y"},
                   advisor)
    uow.rollback()
    mover.to(wo, "authorised")
    later = (wo.promised_at + timedelta(hours=2)).isoformat()
    with pytest.raises(Forbidden):
        WF.perform(wo, "revise_promise", {"promised_at": later, "reason": "x", "agreed_by": "y"}, workshop)
    uow.rollback()
    with pytest.raises(ValidationFailed) as err:
        WF.perform(wo, "revise_promise", {"promised_at": (clock.now() - timedelta(minutes=1)).isoformat(),
                                          "reason": "x", "agreed_by": "y"}, advisor)
    assert "promised_at" in err.value.fields
    uow.rollback()
    with pytest.raises(ValidationFailed) as err:
        WF.perform(wo, "revise_promise", {"promised_at": wo.promised_at.isoformat(), "reason": "x",
                                          "agreed_by": "y"}, advisor)
    uow.rollback()
    with pytest.raises(ValidationFailed) as err:  # reason and who agreed are required
        WF.perform(wo, "revise_promise", {"promised_at": later}, advisor)
    assert {"reason", "agreed_by"} <= set(err.value.fields)
    uow.rollback()
    mover.to(wo, "ready")
    with pytest.raises(Conflict):  # the car is ready: nothing left to promise
        WF.perform(wo, "revise_promise", {"promised_at": later, "reason": "x", "agreed_by": "y"}, advisor)
    uow.rollback()


def test_revise_through_the_api_and_the_pages(wo, mover, advisor, api_as, client, login):
    mover.to(wo, "in_repair")
    new = wo.promised_at + timedelta(hours=20)
    api = api_as(advisor)
    r = api.action("work-orders", wo.id, "revise_promise", promised_at=new.isoformat(), reason="Waiting for parts",
                   agreed_by="Mr Wang", channel="phone", version=wo.version)
    assert r.status_code == 200, r.json
    assert r.json["promise_revisions"][0]["agreed_by"] == "Mr Wang"
    assert r.json["promise_revisions"][0]["reason"] == "Waiting for parts"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/work-orders/{case_id}/actions/revise_promise" in spec["paths"], sorted(spec["paths"])[:40]
    login(advisor)
    page = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert "Waiting for parts" in page and 'name="agreed_by"' in page
    printout = client.get(f"/work-orders/{wo.id}/print").get_data(as_text=True)
    assert "Waiting for parts" in printout and "Mr Wang" in printout
