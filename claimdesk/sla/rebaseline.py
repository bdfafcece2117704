"""Re-baselining: moving the open clocks of a policy onto its current version (preview and the
audited run), keeping what each clock already counted."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..core import events
from ..extensions import db
from .clock import add_time, calendar_of, elapsed_seconds, reschedule
from .models import ACTIVE_STATES, SlaClock, SlaPolicyVersion
from .policies import load_calendars


def rebaseline_candidates(version: SlaPolicyVersion, store_id: int | None) -> list[SlaClock]:
    """Open clocks of the policy's key (in its scope) that use another version and have not
    breached — a breach is a fact and is never moved."""
    stmt = sa.select(SlaClock).where(SlaClock.policy_key == version.key, SlaClock.state.in_(ACTIVE_STATES),
                                     SlaClock.stopped_at.is_(None), SlaClock.escalation_level < 2,
                                     SlaClock.policy_version_id != version.id)
    if store_id is not None:
        stmt = stmt.where(SlaClock.store_id == store_id)
    else:  # the group default: stores without an override of their own
        from .models import SlaPolicy

        overridden = sa.select(SlaPolicy.store_id).where(SlaPolicy.key == version.key,
                                                         SlaPolicy.store_id.is_not(None))
        stmt = stmt.where(SlaClock.store_id.not_in(overridden))
    return list(db.session.scalars(stmt.order_by(SlaClock.id)))


def rebaseline_preview(version: SlaPolicyVersion, store_id: int | None, at: datetime) -> dict:
    clocks = rebaseline_candidates(version, store_id)
    cals = load_calendars({c.store_id for c in clocks})
    earlier = later = same = 0
    for c in clocks:
        new_due = _new_due(c, version, at, cals)
        if new_due is None or c.due_at is None or abs((new_due - c.due_at).total_seconds()) < 1:
            same += 1
        elif new_due < c.due_at:
            earlier += 1
        else:
            later += 1
    return {"open_clocks": len(clocks), "would_move": earlier + later, "earlier": earlier, "later": later,
            "unchanged": same}


def _new_due(clock: SlaClock, version: SlaPolicyVersion, at: datetime, cals) -> datetime | None:
    """Where the deadline would go: the time used so far (on the clock's calendar) stays used, the
    rest of the new target is counted on the new calendar from now."""
    if clock.running_since is None:
        return None
    used = elapsed_seconds(clock, at, calendar_of(clock, cals))
    cal = cals.get(clock.store_id) if version.calendar == "business" else None
    return add_time(at, version.target_seconds - used, cal) if version.target_seconds > used else at


def rebaseline(version: SlaPolicyVersion, store_id: int | None, at: datetime) -> int:
    """Apply `version` to the open clocks of its key; each moved deadline is a timeline event."""
    from ..core.workflow import REGISTRY

    moved = 0
    clocks = rebaseline_candidates(version, store_id)
    cals = load_calendars({c.store_id for c in clocks})
    for clock in clocks:
        wf = REGISTRY.get(clock.case_type)
        if wf is None:
            continue
        case = db.session.get(wf.model, clock.case_id)
        old_due = clock.due_at
        cal_old = calendar_of(clock, cals)
        if clock.running_since is not None:  # bank the running stretch on the old calendar first
            clock.consumed_seconds = elapsed_seconds(clock, at, cal_old)
            clock.running_since = at
        clock.policy_version_id = version.id
        clock.policy_version = version
        clock.calendar = version.calendar
        clock.target_seconds = version.target_seconds
        clock.warn_seconds = int(version.target_seconds * version.warn_ratio)
        clock.escalate_after_seconds = version.escalate_after_seconds
        reschedule(clock, calendar_of(clock, cals))
        if clock.due_at != old_due:
            moved += 1
            events.record(case, kind="sla", action="sla_rebaselined", actor=None, at=at,
                          data={"timer": clock.policy_key, "from_due_at": old_due, "to_due_at": clock.due_at,
                                "policy_version": version.version})
    db.session.flush()
    return moved


