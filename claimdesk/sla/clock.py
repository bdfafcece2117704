"""Arithmetic on one clock: counted time so far, time left, and the warn/due/escalate times of its
ladder — computed once from `consumed_seconds` + `running_since`, never replayed from history."""
from __future__ import annotations

import logging
from datetime import datetime

from .calendar import BusinessCalendar, NoBusinessHours, add_business_time, business_time_between
from .models import SlaClock
from .scheduling import queue_schedule

log = logging.getLogger(__name__)


def calendar_of(clock: SlaClock, cals: dict[int, BusinessCalendar]) -> BusinessCalendar | None:
    return cals.get(clock.store_id) if clock.calendar == "business" else None


def add_time(start: datetime, seconds: float, cal) -> datetime:
    try:
        return add_business_time(start, max(0.0, seconds), cal)
    except NoBusinessHours:  # a store with no open hours at all: count wall time rather than never
        log.warning("store calendar has no open hours; counting wall time")
        return add_business_time(start, max(0.0, seconds), None)


def elapsed_seconds(clock: SlaClock, at: datetime, cal) -> float:
    """Counted time so far (business seconds on a business clock), pauses excluded."""
    extra = 0.0
    if clock.running_since is not None and clock.stopped_at is None:
        extra = max(0.0, business_time_between(clock.running_since, at, cal))
    return clock.consumed_seconds + extra


def remaining_seconds(clock: SlaClock, at: datetime, cal) -> float:
    return clock.target_seconds - elapsed_seconds(clock, at, cal)


def ladder_of(clock: SlaClock) -> dict[int, dict]:
    steps = getattr(clock, "ladder_steps", None)  # a batch's _BatchClock carries its version's, built once
    if steps is not None:
        return steps
    return {s["level"]: s for s in (clock.policy_version.ladder or [])}


def reschedule(clock: SlaClock, cal) -> None:
    """Recompute warn/due/escalate and the next pending step from consumed + running_since."""
    if clock.stopped_at is not None or clock.running_since is None:
        clock.next_fire_at = None
        clock.warn_at = None
        clock.escalate_at = None
        if clock.breached_at is None:
            clock.due_at = None
        queue_schedule(clock)
        return
    rs, used = clock.running_since, clock.consumed_seconds

    def at(mark: float) -> datetime:
        return add_time(rs, mark - used, cal) if mark > used else rs

    steps = ladder_of(clock)
    clock.warn_at = at(clock.warn_seconds) if clock.escalation_level < 1 else clock.warn_at
    if clock.breached_at is None:
        clock.due_at = at(clock.target_seconds)
    clock.escalate_at = at(clock.target_seconds + clock.escalate_after_seconds)
    pending = []
    if clock.escalation_level < 1 and 1 in steps:
        pending.append(clock.warn_at)
    if clock.escalation_level < 2 and 2 in steps:
        pending.append(clock.due_at)
    if clock.escalation_level < 3 and 3 in steps and clock.acknowledged_at is None:
        pending.append(clock.escalate_at)
    clock.next_fire_at = min(pending) if pending else None
    queue_schedule(clock)


def state_for_level(clock: SlaClock) -> str:
    return "breached" if clock.escalation_level >= 2 else "warning" if clock.escalation_level == 1 else "running"


