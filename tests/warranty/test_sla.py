"""The warranty clocks with the real SLA engine: the submission deadline from the repair's completion
(the brand's days), the old-part return deadline, the manufacturer's decision and the reimbursement; a late
submission breaches and escalates up the ladder (time injected, no worker, no sleeps)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from claimdesk.core import clock as core_clock
from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.notifications.models import Notification
from claimdesk.sla import batch
from claimdesk.sla.models import SlaClock, SlaFact
from claimdesk.warranty.workflow import WF
from tests.warranty.factories import brand_rule, open_claim, warranty_work_order
from tests.warranty.test_flow import give_evidence

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def clock_of(claim, key):
    return db.session.scalar(sa.select(SlaClock).where(SlaClock.case_type == "warranty",
                                                       SlaClock.case_id == claim.id, SlaClock.policy_key == key))


def fire_due():
    """Fire the due ladder steps of the warranty clocks (the work order's own clocks are not under test)."""
    ids = [i for i, _g, _l in batch.due_clock_ids(core_clock.now())]
    ours = set(db.session.scalars(sa.select(SlaClock.id).where(SlaClock.id.in_(ids), SlaClock.case_type == "warranty")))
    n = batch.process_due([i for i in ids if i in ours])
    uow.commit()
    return n


def move(delta):
    core_clock.set_now(core_clock.now() + delta)


def inbox(user):
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                               .order_by(Notification.id))]


@pytest.fixture
def people(store, make_user):
    return {"advisor": make_user("advisor", username="wadvisor"),
            "manager": make_user("manager", username="wmgr"),
            "store_manager": make_user("manager", username="wstoremgr", is_store_manager=True)}


@pytest.fixture
def claim(people, store):
    core_clock.set_now(T0)
    brand_rule(submission_days=15, preauth_threshold=None)
    return open_claim(people["advisor"], warranty_work_order(people["advisor"], store, completed_days_ago=1))


def test_submission_clock_runs_to_the_brands_deadline(claim):
    c = clock_of(claim, "warranty.submission")
    assert c.state == "running" and c.calendar == "24x7"
    assert c.due_at == claim.submission_due_at == T0 - timedelta(days=1) + timedelta(days=15)


def test_late_submission_breaches_and_escalates(claim, people):
    move(timedelta(days=11))  # 75 % of the 14 days left: the warning
    assert fire_due() == 1
    assert inbox(people["advisor"]) == ["sla.warning"]
    move(timedelta(days=3, hours=1))  # past the deadline
    assert fire_due() == 1
    c = clock_of(claim, "warranty.submission")
    db.session.refresh(claim)
    assert c.state == "breached" and c.escalation_level == 2 and claim.escalation_level >= 1
    assert "sla.breach" in inbox(people["manager"])
    move(timedelta(days=2))  # nobody acknowledged: the next rung of the ladder
    assert fire_due() == 1
    assert clock_of(claim, "warranty.submission").escalation_level == 3
    assert inbox(people["store_manager"]), "the store manager hears of the late submission"
    # submitting late stops the clock as breached, on the record
    give_evidence(claim, people["advisor"])
    WF.perform(claim, "submit", {"manufacturer_claim_number": "VW-LATE"}, people["advisor"])
    uow.commit()
    fact = db.session.scalar(sa.select(SlaFact).where(SlaFact.clock_id == c.id))
    assert fact.outcome == "breached" and fact.breached


def test_submission_in_time_is_met_and_starts_decision_and_part_return(claim, people):
    move(timedelta(days=3))
    give_evidence(claim, people["advisor"])
    WF.perform(claim, "submit", {"manufacturer_claim_number": "VW-OK"}, people["advisor"])
    uow.commit()
    assert clock_of(claim, "warranty.submission").state == "met"
    decision, part_return = clock_of(claim, "warranty.decision"), clock_of(claim, "warranty.part_return")
    assert decision.state == "running" and decision.target_seconds == 30 * 86400
    assert part_return.state == "running" and part_return.due_at == claim.return_due_at \
        == core_clock.now() + timedelta(days=20)
    WF.perform(claim, "ship_parts", {"waybill": "SF1", "shipped_on": core_clock.now().date().isoformat()},
               people["advisor"])
    WF.perform(claim, "record_decision", {"lines": [{"line_id": ln.id, "decision": "approved"}
                                                    for ln in claim.lines]}, people["advisor"])
    uow.commit()
    assert clock_of(claim, "warranty.part_return").state == "met"
    assert clock_of(claim, "warranty.decision").state == "met"
    reimbursement = clock_of(claim, "warranty.reimbursement")
    assert reimbursement.state == "running" and reimbursement.target_seconds == 45 * 86400
    WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN", "amount": str(claim.claimed_amount),
                                               "received_on": core_clock.now().date().isoformat()},
               people["advisor"])
    uow.commit()
    assert claim.state == "reimbursed" and clock_of(claim, "warranty.reimbursement").state == "met"
    WF.perform(claim, "close", {}, people["advisor"])
    uow.commit()
    assert claim.state == "closed"
