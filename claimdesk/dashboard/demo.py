"""Demo data for the dashboard. The case seeders backdate their cases with core.clock.set_now, so
their clocks end and write facts, but no SLA sweep ran while that history was made: no ladder step
ever fired. This seeder runs last and fills that gap for the store:

1. the escalation ledger for the history — for every ended clock, the steps the ladder would have
   fired while it ran (warning at its warning point, breach at its deadline, escalation a further
   period later), at those times, taken from the clock's own fact and policy version;
2. the live ladder now — the real engine (`process_due`) fires what is due on the open clocks,
   with timeline events and inbox notices, as the sweep would on the first minute of the app.

Use `seed-demo --months 12 --cases 150` for a fuller history (the case seeders spread their cases
over --months).
"""
from __future__ import annotations

import sqlalchemy as sa

from ..core.clock import now
from ..extensions import db
from ..sla import batch
from ..sla.calendar import add_business_time
from ..sla.models import SlaClock, SlaEscalation, SlaFact, SlaPolicyVersion
from ..sla.policies import load_calendars


def _ladder_levels(version: SlaPolicyVersion) -> set[int]:
    return {int(s["level"]) for s in (version.ladder or [])}


def replay_ladder(store_id: int) -> int:
    """Ledger rows for the ended clocks of a store (idempotent: the ledger's unique key)."""
    cals = load_calendars([store_id])
    existing = {(c, g, lv) for c, g, lv in db.session.execute(
        sa.select(SlaEscalation.clock_id, SlaEscalation.generation, SlaEscalation.level)
        .join(SlaClock, SlaClock.id == SlaEscalation.clock_id).where(SlaClock.store_id == store_id))}
    versions = {v.id: v for v in db.session.scalars(sa.select(SlaPolicyVersion))}
    rows = []
    facts = db.session.execute(sa.select(
        SlaFact.clock_id, SlaFact.generation, SlaFact.case_type, SlaFact.case_id, SlaFact.policy_version_id,
        SlaFact.calendar, SlaFact.started_at, SlaFact.ended_at, SlaFact.due_at, SlaFact.target_seconds,
        SlaFact.elapsed_seconds, SlaFact.paused_seconds, SlaFact.breached, SlaFact.outcome)
        .where(SlaFact.store_id == store_id).order_by(SlaFact.id))
    for f in facts:
        version = versions.get(f.policy_version_id)
        if version is None:
            continue
        levels = _ladder_levels(version)
        cal = cals.get(store_id) if f.calendar == "business" else None
        steps = []
        warn_seconds = f.target_seconds * version.warn_ratio
        # the warning point is exact only for a clock that never paused before it; skip the others
        if 1 in levels and f.elapsed_seconds >= warn_seconds and f.paused_seconds == 0:
            steps.append((1, add_business_time(f.started_at, warn_seconds, cal)))
        if f.breached and 2 in levels:
            due = f.due_at
            if due is None and f.paused_seconds == 0:
                due = add_business_time(f.started_at, f.target_seconds, cal)
            if due is not None and due <= f.ended_at:
                steps.append((2, due))
                if 3 in levels:
                    further = add_business_time(due, version.escalate_after_seconds, cal)
                    if further <= f.ended_at:
                        steps.append((3, further))
        for level, at in steps:
            if at > f.ended_at or (f.clock_id, f.generation, level) in existing:
                continue
            existing.add((f.clock_id, f.generation, level))
            rows.append({"clock_id": f.clock_id, "generation": f.generation, "level": level,
                         "case_type": f.case_type, "case_id": f.case_id, "scheduled_at": at, "fired_at": at,
                         "recipient_ids": []})
    if rows:
        db.session.execute(sa.insert(SlaEscalation), rows)
    return len(rows)


def fire_due_now(store_id: int) -> int:
    """The engine's own ladder on the store's open clocks whose step is due now."""
    at = now()
    ids = [cid for cid, _g, _l in batch.due_clock_ids(at, limit=100000)]
    if not ids:
        return 0
    mine = set(db.session.scalars(sa.select(SlaClock.id).where(SlaClock.id.in_(ids), SlaClock.store_id == store_id)))
    return batch.process_due(sorted(mine), at) if mine else 0


def seed_dashboard(*, store, echo=print, **_kw) -> None:
    history = replay_ladder(store.id)
    fired = fire_due_now(store.id)
    db.session.flush()
    echo(f"{store.code}: dashboard history — {history} ladder steps of ended timers, {fired} fired now")

