"""SLA jobs on RQ: fire one clock's due step (the fast path, scheduled at the exact time), fire a
batch (what the sweep found), the sweep itself (every minute), and re-baselining.

Every job re-reads the clocks under lock and does nothing if the step is not due any more, so a
stale or duplicated job is harmless; the escalation ledger's unique key is the final guard.
"""
from __future__ import annotations

import hashlib
import logging
import time

import sqlalchemy as sa
from rq.job import Job

from .. import jobs
from ..core import uow
from ..core.clock import now
from ..extensions import db
from . import rebaseline as rebaselining
from .batch import due_clock_ids, process_due
from .models import SlaClock
from .scheduling import HORIZON, QUEUE, schedule_fires

log = logging.getLogger(__name__)

BATCH = 2000
#: the fast path takes along other clocks due right now (one job, many clocks, under load)
PIGGYBACK = 200



#: RQ keeps scheduled times in whole seconds (truncated), so a job can start up to a second early
EARLY_WAIT = 1.5


def fire_clock(clock_id: int, generation: int) -> int:
    """The step of one clock is due (scheduled at warn/due/escalate time)."""
    t = now()
    row = db.session.execute(sa.select(SlaClock.generation, SlaClock.next_fire_at).where(
        SlaClock.id == clock_id)).first()
    if row is not None and row.generation == generation and row.next_fire_at is not None:
        early = (row.next_fire_at - t).total_seconds()
        if 0 < early <= EARLY_WAIT:  # started before its time by the scheduler's rounding: wait it out
            time.sleep(early)
            t = now()
        elif early > EARLY_WAIT and row.next_fire_at <= t + HORIZON:  # far too early: put it back
            uow.after_commit(lambda: schedule_fires([(clock_id, generation, row.next_fire_at)]))
    ids = [clock_id] + [i for i, _g, _l in due_clock_ids(t, limit=PIGGYBACK) if i != clock_id]
    fired = process_due(ids, t)
    if fired:
        log.info("SLA: clock %s (generation %s): %d step(s) fired", clock_id, generation, fired)
    return fired


def fire_batch(clock_ids: list[int]) -> int:
    fired = process_due(clock_ids, now())
    log.info("SLA batch of %d clocks: %d step(s) fired", len(clock_ids), fired)
    return fired


@jobs.periodic(60, queue=QUEUE)
def sweep(limit: int = 20000) -> int:
    """The safety net: clocks whose step is due (index range scan on next_fire_at) go out in batches.
    A batch job's id comes from its clocks and their levels, so a sweep that runs again before the
    batch did enqueues nothing new."""
    due = due_clock_ids(now(), limit=limit)
    if not due:
        return 0
    q = jobs.get_queue(QUEUE)
    retry = jobs._retry()
    batches = [due[i:i + BATCH] for i in range(0, len(due), BATCH)]
    ids = ["sla-batch-" + hashlib.sha1(",".join(f"{c}:{g}:{lv}" for c, g, lv in b).encode()).hexdigest()[:20]
           for b in batches]
    existing = Job.fetch_many(ids, connection=q.connection)
    with q.connection.pipeline() as pipe:
        for batch, job_id, old in zip(batches, ids, existing):
            if old is not None and old.get_status(refresh=False) in ("queued", "started", "scheduled"):
                continue
            job = q.create_job("claimdesk.sla.jobs.fire_batch", args=([c for c, _g, _l in batch],),
                               job_id=job_id, retry=retry, result_ttl=300, failure_ttl=7 * 86400)
            q.enqueue_job(job, pipeline=pipe)
        pipe.execute()
    log.info("SLA sweep: %d due clocks in %d batch(es)", len(due), len(batches))
    return len(due)


@jobs.periodic(600, queue=QUEUE)
def schedule_upcoming(limit: int = 100_000) -> int:
    """Schedule the exact-time jobs of steps coming due within the horizon (same ids as at commit,
    so scheduling twice is harmless). Runs every 10 minutes; the horizon is an hour."""
    t = now()
    rows = db.session.execute(sa.select(SlaClock.id, SlaClock.generation, SlaClock.next_fire_at).where(
        SlaClock.next_fire_at > t, SlaClock.next_fire_at <= t + HORIZON).order_by(SlaClock.next_fire_at)
        .limit(limit)).all()
    for i in range(0, len(rows), 1000):
        schedule_fires([tuple(r) for r in rows[i:i + 1000]])
    return len(rows)


def rebaseline(rebaseline_id: int) -> int:
    """Apply a policy's current version to its open clocks (the audited run asked for in the UI/API)."""
    from .models import SlaPolicyVersion, SlaRebaseline

    run = db.session.get(SlaRebaseline, rebaseline_id)
    if run is None or run.state == "done":
        return 0
    version = db.session.get(SlaPolicyVersion, run.policy_version_id)
    moved = rebaselining.rebaseline(version, version.store_id, now())
    run.moved = moved
    run.state = "done"
    run.finished_at = now()
    return moved
