"""Clocks driven by case actions, pauses, the ladder, facts — time injected, no worker, no sleeps."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimdesk.core import clock as core_clock
from claimdesk.core import events, uow
from claimdesk.core.errors import Conflict
from claimdesk.extensions import db
from claimdesk.notifications.models import Notification
from claimdesk.sla import batch
from claimdesk.sla.jobs import fire_clock
from claimdesk.sla.models import SlaClock, SlaEscalation, SlaFact, SlaPause
from tests.sla.casetype import WF, open_gadget
from tests.sla.conftest import T0, move
from tests.sla.factories import make_policy


def clock_of(g, key):
    return db.session.scalar(sa.select(SlaClock).where(SlaClock.case_type == "gadget", SlaClock.case_id == g.id,
                                                       SlaClock.policy_key == key))


def sla_events(g):
    return [(e.kind, e.action) for e in events.timeline("gadget", g.id) if e.kind in ("sla", "escalation")]


def inbox(user):
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def fire_due():
    n = batch.process_due([i for i, _g, _l in batch.due_clock_ids(core_clock.now())])
    uow.commit()
    return n


def test_creation_starts_the_declared_clock_with_warn_and_due(gadget):
    c = clock_of(gadget, "gadget.reply")
    assert c.state == "running" and c.generation == 1 and c.calendar == "24x7"
    assert c.started_at == T0
    assert c.due_at == T0 + timedelta(hours=1)
    assert c.warn_at == T0 + timedelta(minutes=45)
    assert c.next_fire_at == c.warn_at


def test_action_stops_one_clock_met_and_starts_another(gadget, ladder_people):
    move(600)
    WF.perform(gadget, "work", {}, ladder_people["assignee"])
    uow.commit()
    reply, fix = clock_of(gadget, "gadget.reply"), clock_of(gadget, "gadget.fix")
    assert reply.state == "met" and reply.next_fire_at is None and reply.stopped_at == T0 + timedelta(seconds=600)
    assert fix.state == "running" and fix.due_at == T0 + timedelta(seconds=600, hours=4)
    fact = db.session.scalar(sa.select(SlaFact).where(SlaFact.clock_id == reply.id))
    assert fact.outcome == "met" and not fact.breached
    assert fact.elapsed_seconds == 600 and fact.margin_seconds == 3000 and fact.wall_seconds == 600
    assert fact.holder_id == ladder_people["assignee"].id


def test_the_ladder_warns_breaches_and_escalates_once_each(gadget, ladder_people):
    p = ladder_people
    move(timedelta(minutes=44))
    assert fire_due() == 0
    move(timedelta(minutes=1))
    assert fire_due() == 1
    c = clock_of(gadget, "gadget.reply")
    assert c.state == "warning" and c.escalation_level == 1 and c.next_fire_at == c.due_at
    assert [n.kind for n in inbox(p["assignee"])] == ["sla.warning"]
    assert inbox(p["manager"]) == []
    assert fire_due() == 0  # nothing more until due
    move(timedelta(minutes=15))
    assert fire_due() == 1
    db.session.refresh(gadget)
    assert c.state == "breached" and c.breached_at == core_clock.now()
    assert gadget.escalation_level == 1
    assert [n.kind for n in inbox(p["manager"])] == ["sla.breach"]
    assert [n.kind for n in inbox(p["assignee"])] == ["sla.warning", "sla.breach"]
    assert inbox(p["store_manager"]) == []
    move(timedelta(hours=1))  # escalate_after_seconds of the test policy
    assert fire_due() == 1
    db.session.refresh(gadget)
    assert gadget.escalation_level == 2 and c.escalation_level == 3 and c.next_fire_at is None
    assert [n.kind for n in inbox(p["store_manager"])] == ["sla.escalation"]
    assert sla_events(gadget) == [("sla", "sla_warning"), ("escalation", "sla_breached"), ("escalation", "escalated")]
    move(timedelta(days=2))
    assert fire_due() == 0
    assert len(inbox(p["manager"])) == 1 and len(inbox(p["store_manager"])) == 1


def test_late_processing_skips_the_warning_and_breaches(gadget, ladder_people):
    move(timedelta(minutes=90))  # the worker was down past both warn and due
    assert fire_due() == 1
    c = clock_of(gadget, "gadget.reply")
    assert c.escalation_level == 2
    ledger = db.session.scalars(sa.select(SlaEscalation).where(SlaEscalation.clock_id == c.id)).all()
    assert [(e.level, e.scheduled_at) for e in ledger] == [(2, T0 + timedelta(hours=1))]
    assert ledger[0].fired_at - ledger[0].scheduled_at == timedelta(minutes=30)


def test_acknowledge_stops_further_levels(gadget, ladder_people):
    move(timedelta(minutes=61))
    fire_due()
    WF.perform(gadget, "acknowledge", {}, ladder_people["manager"])
    uow.commit()
    c = clock_of(gadget, "gadget.reply")
    assert c.acknowledged_by_id == ladder_people["manager"].id and c.next_fire_at is None
    move(timedelta(hours=5))
    assert fire_due() == 0
    assert inbox(ladder_people["store_manager"]) == []


def test_acknowledge_without_escalation_is_409_and_changes_nothing(gadget, ladder_people):
    with pytest.raises(Conflict):
        WF.perform(gadget, "acknowledge", {}, ladder_people["manager"])
    uow.rollback()
    assert clock_of(gadget, "gadget.reply").acknowledged_at is None


def test_pause_stops_only_the_clocks_whose_policy_names_the_reason(policies, store, customer, ladder_people):
    make_policy("gadget.strict", 3600, pause_reasons=())
    g = open_gadget(store, customer, ladder_people["assignee"], starts=("gadget.reply", "gadget.strict"))
    move(timedelta(minutes=20))
    WF.perform(g, "pause", {"reason": "waiting_customer"}, ladder_people["assignee"])
    uow.commit()
    reply, strict = clock_of(g, "gadget.reply"), clock_of(g, "gadget.strict")
    assert reply.state == "paused" and reply.next_fire_at is None and reply.due_at is None
    assert reply.consumed_seconds == 1200
    assert strict.state == "running"
    move(timedelta(hours=1))
    assert fire_due() == 1  # only the strict clock breaches (and skips its warning)
    assert reply.escalation_level == 0 and strict.escalation_level == 2
    WF.perform(g, "resume", {}, ladder_people["assignee"])
    uow.commit()
    assert reply.state == "running" and reply.paused_seconds == 3600
    assert reply.due_at == core_clock.now() + timedelta(minutes=40)
    pause = db.session.scalar(sa.select(SlaPause).where(SlaPause.clock_id == reply.id))
    assert pause.reason == "waiting_customer" and pause.wall_seconds == 3600
    move(timedelta(minutes=10))
    WF.perform(g, "drop", {}, ladder_people["assignee"])  # a final state cancels what still runs
    uow.commit()
    fact = db.session.scalar(sa.select(SlaFact).where(SlaFact.clock_id == reply.id))
    assert fact.outcome == "cancelled" and fact.paused_by_reason == {"waiting_customer": 3600}
    assert fact.elapsed_seconds == 1800 and fact.paused_seconds == 3600
    strict_fact = db.session.scalar(sa.select(SlaFact).where(SlaFact.clock_id == strict.id))
    assert strict_fact.breached and strict_fact.outcome == "cancelled" and strict_fact.margin_seconds < 0


def test_a_fact_adds_up_the_pauses_of_its_run_even_when_it_ends_paused(policies, store, customer,
                                                                       ladder_people):
    make_policy("gadget.patient", 3600 * 8, pause_reasons=("waiting_customer", "waiting_parts"))
    who = ladder_people["assignee"]
    g = open_gadget(store, customer, who, starts=("gadget.patient",))
    plain = open_gadget(store, customer, who, starts=("gadget.reply",))
    uow.commit()
    move(timedelta(minutes=5))
    WF.perform(g, "pause", {"reason": "waiting_customer"}, who)
    move(timedelta(minutes=20))
    WF.perform(g, "resume", {}, who)
    move(timedelta(minutes=10))
    WF.perform(g, "pause", {"reason": "waiting_parts"}, who)
    uow.commit()
    move(timedelta(minutes=30))
    WF.perform(g, "drop", {}, who)  # ends the clock while it is paused: that pause is closed and counted
    uow.commit()
    fact = db.session.scalar(sa.select(SlaFact).where(SlaFact.clock_id == clock_of(g, "gadget.patient").id))
    assert fact.paused_by_reason == {"waiting_customer": 1200, "waiting_parts": 1800}
    assert fact.paused_seconds == 3000 and fact.elapsed_seconds == 900

    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        WF.perform(plain, "drop", {}, who)  # never paused: nothing to add up, no pause rows read
        uow.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    fact = db.session.scalar(sa.select(SlaFact).where(SlaFact.clock_id == clock_of(plain, "gadget.reply").id))
    assert fact.paused_by_reason == {} and fact.paused_seconds == 0
    assert not [s for s in seen if "sla_pauses" in s]


def test_clock_started_while_paused_starts_paused(policies, store, customer, ladder_people):
    g = open_gadget(store, customer, ladder_people["assignee"])
    WF.perform(g, "pause", {"reason": "waiting_customer"}, ladder_people["assignee"])
    WF.perform(g, "work", {}, ladder_people["assignee"])
    uow.commit()
    assert clock_of(g, "gadget.fix").state == "paused"


def test_business_calendar_clock(gadgets, store, customer, ladder_people):
    make_policy("gadget.reply", 2 * 3600, calendar="business")
    core_clock.set_now(T0 + timedelta(hours=2))  # Monday 11:00 Guangzhou
    g = open_gadget(store, customer, ladder_people["assignee"])
    c = clock_of(g, "gadget.reply")
    # 1 h before lunch, 1 h after: 14:30; warning after 1.5 h: 13:30 + 0.5 h = 14:00
    assert c.due_at == T0 + timedelta(hours=5, minutes=30)
    assert c.warn_at == T0 + timedelta(hours=5)


def test_promised_time_and_per_case_target_override(policies, gadget, ladder_people):
    promised = T0 + timedelta(hours=30)
    WF.perform(gadget, "promise", {"promised_at": promised.isoformat()}, ladder_people["assignee"])
    c = clock_of(gadget, "gadget.promise")
    assert c.due_at == promised and c.calendar == "24x7" and c.target_seconds == 30 * 3600
    WF.perform(gadget, "work", {}, ladder_people["assignee"])  # stops reply
    WF.perform(gadget, "letter", {"hours": 24}, ladder_people["assignee"])  # restarts reply with 24 h
    uow.commit()
    reply = clock_of(gadget, "gadget.reply")
    assert reply.generation == 2 and reply.target_seconds == 86400 and reply.due_at == T0 + timedelta(hours=24)


def test_restart_is_a_new_generation_and_the_ladder_fires_again(gadget, ladder_people):
    WF.perform(gadget, "work", {}, ladder_people["assignee"])
    uow.commit()
    move(timedelta(hours=4, minutes=1))
    assert fire_due() == 1
    fix = clock_of(gadget, "gadget.fix")
    assert fix.escalation_level == 2 and fix.generation == 1
    WF.perform(gadget, "reopen_fix", {}, ladder_people["assignee"])  # stop + start: a new run
    uow.commit()
    assert fix.generation == 2 and fix.escalation_level == 0 and fix.state == "running"
    facts = db.session.scalars(sa.select(SlaFact).where(SlaFact.clock_id == fix.id)).all()
    assert [(f.generation, f.outcome) for f in facts] == [(1, "breached")]
    move(timedelta(hours=4, minutes=1))
    assert fire_due() == 1
    ledger = db.session.execute(sa.select(SlaEscalation.generation, SlaEscalation.level).where(
        SlaEscalation.clock_id == fix.id).order_by(SlaEscalation.id)).all()
    assert [tuple(r) for r in ledger] == [(1, 2), (2, 2)]


def test_cancel_and_stop_of_a_breached_clock(gadget, ladder_people):
    WF.perform(gadget, "work", {}, ladder_people["assignee"])
    WF.perform(gadget, "abandon_fix", {}, ladder_people["assignee"])
    uow.commit()
    assert clock_of(gadget, "gadget.fix").state == "cancelled"


def test_stale_and_duplicate_jobs_do_nothing(gadget, ladder_people):
    c = clock_of(gadget, "gadget.reply")
    move(timedelta(minutes=30))
    assert fire_clock(c.id, c.generation) == 0  # early (a stale job from an older schedule)
    move(timedelta(minutes=31))
    assert fire_clock(c.id, c.generation) == 1
    uow.commit()
    assert fire_clock(c.id, c.generation) == 0  # the duplicate
    assert fire_clock(c.id, c.generation - 1) == 0  # an older generation
    uow.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaEscalation)) == 1


def test_ledger_is_the_final_guard(gadget, ladder_people):
    c = clock_of(gadget, "gadget.reply")
    move(timedelta(minutes=61))
    # someone else already fired level 2 but the clock row did not show it (e.g. a lost update)
    db.session.add(SlaEscalation(clock_id=c.id, generation=c.generation, level=2, case_type="gadget",
                                 case_id=gadget.id, scheduled_at=c.due_at, fired_at=core_clock.now()))
    db.session.flush()
    assert fire_due() == 0
    assert inbox(ladder_people["manager"]) == []
    assert sla_events(gadget) == []


def test_facts_are_immutable(gadget, ladder_people):
    WF.perform(gadget, "work", {}, ladder_people["assignee"])
    uow.commit()
    fact = db.session.scalar(sa.select(SlaFact))
    fact.margin_seconds = 1
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.flush()
    uow.rollback()


def test_unassigned_warning_goes_to_the_managers(policies, store, customer, ladder_people):
    open_gadget(store, customer, ladder_people["assignee"])
    uow.commit()
    move(timedelta(minutes=46))
    fire_due()
    assert [n.kind for n in inbox(ladder_people["manager"])] == ["sla.warning"]


def test_escalation_does_not_bump_the_case_version(gadget, ladder_people):
    v = gadget.version
    move(timedelta(minutes=61))
    fire_due()
    db.session.refresh(gadget)
    assert gadget.version == v and gadget.escalation_level == 1
    WF.perform(gadget, "note", {"text": "called the customer", "version": v}, ladder_people["assignee"])
