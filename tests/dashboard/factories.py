"""Factories of the dashboard tests: SLA clocks and their facts written directly (hand-computed
fixtures), on the policy versions the SLA migration seeds."""
from __future__ import annotations

from datetime import timedelta

import factory
import sqlalchemy as sa

from claimdesk.extensions import db
from claimdesk.sla.models import SlaClock, SlaEscalation, SlaFact, SlaPolicyVersion
from tests.factories import Base


def policy_version_id(key: str) -> int:
    return db.session.scalar(sa.select(SlaPolicyVersion.id).where(SlaPolicyVersion.key == key)
                             .order_by(SlaPolicyVersion.store_id.is_not(None), SlaPolicyVersion.version.desc())
                             .limit(1))


class ClockFactory(Base):
    """A clock row; open (stopped_at None) unless given. Deadline fields are set by the test."""

    class Meta:
        model = SlaClock

    case_type = "complaint"
    case_id = factory.Sequence(lambda n: 100000 + n)
    policy_key = "complaint.first_response"
    policy_version_id = factory.LazyAttribute(lambda o: policy_version_id(o.policy_key))
    generation = 1
    state = "running"
    calendar = "24x7"
    target_seconds = 3600
    warn_seconds = 2700
    escalate_after_seconds = 3600
    started_at = factory.LazyAttribute(lambda o: o.ended - timedelta(hours=1) if o.ended else None)
    consumed_seconds = 0.0
    paused_seconds = 0.0
    escalation_level = 0

    class Params:
        ended = None


class FactFactory(Base):
    """An ended clock's fact: `elapsed` counted seconds, ended at `ended_at`; its clock made alongside."""

    class Meta:
        model = SlaFact

    class Params:
        elapsed = 600.0
        store = None
        target = 3600

    case_type = "complaint"
    case_id = factory.Sequence(lambda n: 200000 + n)
    store_id = factory.LazyAttribute(lambda o: o.store.id)
    policy_key = "complaint.first_response"
    policy_version_id = factory.LazyAttribute(lambda o: policy_version_id(o.policy_key))
    generation = 1
    outcome = factory.LazyAttribute(lambda o: "breached" if o.elapsed > o.target else "met")
    calendar = "24x7"
    started_at = factory.LazyAttribute(lambda o: o.ended_at - timedelta(seconds=o.elapsed + o.paused_seconds))
    due_at = None
    target_seconds = factory.SelfAttribute("target")
    wall_seconds = factory.LazyAttribute(lambda o: o.elapsed + o.paused_seconds)
    business_seconds = factory.LazyAttribute(lambda o: o.elapsed + o.paused_seconds)
    elapsed_seconds = factory.SelfAttribute("elapsed")
    paused_seconds = 0.0
    paused_by_reason = factory.LazyFunction(dict)
    margin_seconds = factory.LazyAttribute(lambda o: o.target - o.elapsed)
    breached = factory.LazyAttribute(lambda o: o.outcome == "breached")
    max_level = 0
    holder_id = None
    clock_id = factory.LazyAttribute(lambda o: ClockFactory(
        case_type=o.case_type, case_id=o.case_id, store_id=o.store_id, policy_key=o.policy_key,
        state="met", ended=o.ended_at, stopped_at=o.ended_at, target_seconds=o.target).id)


def escalation(clock: SlaClock, level: int, fired_at) -> SlaEscalation:
    row = SlaEscalation(clock_id=clock.id, generation=clock.generation, level=level, case_type=clock.case_type,
                        case_id=clock.case_id, scheduled_at=fired_at, fired_at=fired_at, recipient_ids=[])
    db.session.add(row)
    db.session.flush()
    return row
