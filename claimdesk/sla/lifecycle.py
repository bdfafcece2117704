"""A clock's life, driven by the case engine's actions: start, pause, resume, stop (met or
cancelled, with its immutable fact) and acknowledge. Everything runs inside the caller's transaction.
Lock order is always case row, then its clocks — the order a case action takes — so a job firing a
ladder step and a user acting on the case never deadlock."""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..core.clock import now, utc
from ..extensions import db
from .calendar import business_time_between
from .clock import calendar_of, elapsed_seconds, reschedule, state_for_level
from .models import SlaClock, SlaFact, SlaPause
from .policies import current_version, current_versions, effective_policy, load_calendars

log = logging.getLogger(__name__)


def clocks_of(case_type: str, case_id: int, *, lock: bool = False) -> list[SlaClock]:
    stmt = sa.select(SlaClock).where(SlaClock.case_type == case_type, SlaClock.case_id == case_id) \
        .order_by(SlaClock.id)
    if lock and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=SlaClock)
    return list(db.session.scalars(stmt))


@dataclass
class Override:
    deadline: datetime | None = None
    target: int | None = None
    calendar: str | None = None


def start_clock(case, key: str, at: datetime, *, override: Override | None = None,
                cals: dict | None = None, clocks: list[SlaClock] | None = None,
                versions: dict | None = None) -> SlaClock | None:
    """Start (or restart, as a new generation) the case's clock for `key`. A running clock is left
    alone. Returns None when no policy has that key. A caller starting several clocks passes the case's
    `clocks` and the policies' current `versions` (policies.current_versions), loaded once for all."""
    if clocks is None:
        clocks = clocks_of(case.CASE_TYPE, case.id)
    existing = next((c for c in clocks if c.policy_key == key), None)
    if existing is not None and existing.stopped_at is None:
        return existing
    version = versions.get(key) if versions is not None else None
    if version is None:
        policy = effective_policy(key, case.store_id)
        if policy is None:
            log.warning("no SLA policy %s; clock not started for %s %s", key, case.CASE_TYPE, case.number)
            return None
        version = current_version(policy)
    target, calendar = version.target_seconds, version.calendar
    override = override or Override()
    if override.deadline is not None:
        target = max(1, int((utc(override.deadline) - at).total_seconds()))
        calendar = "24x7"  # a promised time is a wall-clock instant
    elif override.target is not None:
        target, calendar = int(override.target), override.calendar or "24x7"
    clock = existing or SlaClock(case_type=case.CASE_TYPE, case_id=case.id, policy_key=key, generation=0)
    clock.store_id = case.store_id
    clock.policy_version_id = version.id
    clock.policy_version = version
    clock.generation = (clock.generation or 0) + 1
    clock.state = "running"
    clock.calendar = calendar
    clock.target_seconds = target
    clock.warn_seconds = max(0, int(target * version.warn_ratio))
    clock.escalate_after_seconds = version.escalate_after_seconds
    clock.started_at = at
    clock.running_since = at
    clock.consumed_seconds = 0.0
    clock.paused_seconds = 0.0
    clock.pause_reason = clock.paused_at = None
    clock.escalation_level = 0
    clock.breached_at = clock.acknowledged_at = clock.acknowledged_by_id = None
    clock.stopped_at = None
    clock.warn_at = clock.due_at = clock.escalate_at = None
    if existing is None:
        db.session.add(clock)
    cals = cals if cals is not None else load_calendars([case.store_id])
    if case.pause_reason and case.pause_reason in (version.pause_reasons or []):
        db.session.flush()  # the pause row points at the clock
        _pause(clock, case.pause_reason, at, calendar_of(clock, cals))
    else:
        # deadlines computed before the row is written: one INSERT (the caller's flush), not INSERT + UPDATE
        reschedule(clock, calendar_of(clock, cals))
    return clock


def _pause(clock: SlaClock, reason: str, at: datetime, cal) -> None:
    if clock.running_since is not None:
        clock.consumed_seconds += max(0.0, business_time_between(clock.running_since, at, cal))
    clock.running_since = None
    clock.pause_reason = reason
    clock.paused_at = at
    clock.state = "paused"
    db.session.add(SlaPause(clock_id=clock.id, generation=clock.generation, reason=reason, started_at=at))
    reschedule(clock, cal)


def _open_pause(clock: SlaClock) -> SlaPause | None:
    return db.session.scalar(sa.select(SlaPause).where(
        SlaPause.clock_id == clock.id, SlaPause.generation == clock.generation, SlaPause.ended_at.is_(None))
        .order_by(SlaPause.id.desc()).limit(1))


def _close_pause(clock: SlaClock, at: datetime, cals) -> None:
    row = _open_pause(clock)
    wall = max(0.0, (at - clock.paused_at).total_seconds()) if clock.paused_at else 0.0
    if row is not None:
        row.ended_at = at
        row.wall_seconds = wall
        store_cal = cals.get(clock.store_id)
        row.business_seconds = business_time_between(row.started_at, at, store_cal) if store_cal else wall
    clock.paused_seconds += wall
    clock.pause_reason = None
    clock.paused_at = None


def pause_clocks(case, reason: str, at: datetime) -> list[SlaClock]:
    """Stop the clocks whose policy says `reason` stops them; others keep running."""
    out = []
    cals = None
    for clock in clocks_of(case.CASE_TYPE, case.id, lock=True):
        if clock.stopped_at is not None or clock.running_since is None:
            continue
        if reason not in (clock.policy_version.pause_reasons or []):
            continue
        cals = cals or load_calendars([case.store_id])
        _pause(clock, reason, at, calendar_of(clock, cals))
        out.append(clock)
    return out


def resume_clocks(case, at: datetime) -> list[SlaClock]:
    out = []
    cals = None
    for clock in clocks_of(case.CASE_TYPE, case.id, lock=True):
        if clock.stopped_at is not None or clock.running_since is not None:
            continue
        cals = cals or load_calendars([case.store_id])
        _close_pause(clock, at, cals)
        clock.running_since = at
        clock.state = state_for_level(clock)
        reschedule(clock, calendar_of(clock, cals))
        out.append(clock)
    return out


def end_clock(case, clock: SlaClock, at: datetime, outcome: str, cals=None) -> SlaFact | None:
    """Stop a clock: `met` (its target action happened) or `cancelled`; writes the immutable fact."""
    if clock.stopped_at is not None:
        return None
    cals = cals if cals is not None else load_calendars([clock.store_id])
    cal = calendar_of(clock, cals)
    was_paused = clock.running_since is None
    if was_paused:  # paused: the open pause ends with the clock
        _close_pause(clock, at, cals)
    elapsed = elapsed_seconds(clock, at, cal)
    breached = clock.escalation_level >= 2 or elapsed > clock.target_seconds
    clock.consumed_seconds = elapsed
    clock.running_since = None
    clock.stopped_at = at
    if outcome == "cancelled":
        clock.state = "cancelled"
    else:
        clock.state = "breached" if breached else "met"
        if breached and clock.breached_at is None:
            clock.breached_at = at
            clock.due_at = clock.due_at or at
    reschedule(clock, cal)
    by_reason: dict[str, float] = defaultdict(float)
    if was_paused or clock.paused_seconds:  # a clock never paused in this run has no pause rows to add up
        db.session.flush()
        for reason, secs in db.session.execute(sa.select(SlaPause.reason, sa.func.sum(SlaPause.wall_seconds))
                                               .where(SlaPause.clock_id == clock.id,
                                                      SlaPause.generation == clock.generation)
                                               .group_by(SlaPause.reason)):
            by_reason[reason] += float(secs or 0)
    store_cal = cals.get(clock.store_id)
    fact = SlaFact(
        clock_id=clock.id, generation=clock.generation, case_type=clock.case_type, case_id=clock.case_id,
        store_id=clock.store_id, policy_key=clock.policy_key, policy_version_id=clock.policy_version_id,
        outcome="cancelled" if outcome == "cancelled" else ("breached" if breached else "met"),
        calendar=clock.calendar, started_at=clock.started_at, ended_at=at, due_at=clock.due_at,
        target_seconds=clock.target_seconds, wall_seconds=(at - clock.started_at).total_seconds(),
        business_seconds=business_time_between(clock.started_at, at, store_cal) if store_cal else
        (at - clock.started_at).total_seconds(),
        elapsed_seconds=elapsed, paused_seconds=clock.paused_seconds, paused_by_reason=dict(by_reason),
        margin_seconds=clock.target_seconds - elapsed, breached=breached, max_level=clock.escalation_level,
        holder_id=getattr(case, "assignee_id", None), created_at=now())
    db.session.add(fact)
    return fact


def stop_clocks(case, keys, at: datetime, outcome: str = "met", cals: dict | None = None) -> list[SlaClock]:
    keys = set(keys)
    out = []
    for clock in clocks_of(case.CASE_TYPE, case.id, lock=True):
        if clock.stopped_at is None and (keys is None or clock.policy_key in keys or "*" in keys):
            cals = cals or load_calendars([case.store_id])
            end_clock(case, clock, at, outcome, cals)
            out.append(clock)
    return out


def acknowledge_clocks(case, user, at: datetime) -> list[SlaClock]:
    """The caller owns the escalation: further levels of the escalated clocks stop."""
    out = []
    cals = None
    for clock in clocks_of(case.CASE_TYPE, case.id, lock=True):
        if clock.stopped_at is None and clock.escalation_level >= 2 and clock.acknowledged_at is None:
            cals = cals or load_calendars([case.store_id])
            clock.acknowledged_at = at
            clock.acknowledged_by_id = getattr(user, "id", None)
            reschedule(clock, calendar_of(clock, cals))
            out.append(clock)
    return out


# --- what a case action does to its clocks ------------------------------------------------------
def _override(context, key: str):
    if key in context.deadlines and context.deadlines[key] is not None:
        return Override(deadline=context.deadlines[key])
    if key in context.targets and context.targets[key] is not None:
        value = context.targets[key]
        if isinstance(value, (tuple, list)):
            return Override(target=int(value[0]), calendar=value[1])
        # a per-case target such as "24 h for letters" is wall-clock time
        return Override(target=int(value), calendar="24x7")
    return None


def on_action_performed(sender, case=None, action=None, event=None, context=None, **_kw) -> None:
    """The rule that ties clocks to the case engine (connected to `action_performed` by the package's
    init_app): an action's stops, cancels, pause, resume and acknowledge, then its starts.
    Runs inside the action's transaction, so a refused action changes no clock either."""
    at = context.at
    stops = [*action.stops, *context.stops]
    cancels = list(action.cancels)
    starts = [*action.starts, *context.starts]  # after the stops: stopping and starting a key restarts it
    # an action that stops one clock and starts another (resolve) reads the store's calendar once
    cals = load_calendars([case.store_id]) if starts and stops and case.state not in sender.final_states \
        else None
    if stops:
        stop_clocks(case, stops, at, "met", cals=cals)
    if cancels:
        stop_clocks(case, cancels, at, "cancelled")
    if action.name == "pause" and case.pause_reason:
        pause_clocks(case, case.pause_reason, at)
    elif action.name == "resume":
        resume_clocks(case, at)
    elif action.name == "acknowledge":
        acknowledge_clocks(case, context.actor, at)
    if case.state in sender.final_states:
        stop_clocks(case, {"*"}, at, "cancelled")
        return
    if starts:
        keys = list(dict.fromkeys(starts))
        cals = cals or load_calendars([case.store_id])
        versions = current_versions(keys, case.store_id)
        # the case's clocks, read once for all keys; a case that is being created has none yet
        clocks = [] if action.name == "create" and context.from_state is None else \
            clocks_of(case.CASE_TYPE, case.id)
        for key in keys:
            clock = start_clock(case, key, at, override=_override(context, key), cals=cals, clocks=clocks,
                                versions=versions)
            if clock is not None and action.name == "create":
                context.new_rows.append(clock)  # the creation's numbering statement may write it
