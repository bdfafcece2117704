"""Scheduling the RQ fast path: a clock's next ladder step is remembered in the session
(`session.info`) while the transaction runs and becomes one RQ job at its exact time after commit —
for steps within the horizon; later ones are scheduled by the `schedule_upcoming` job when they come
near. The database stays the source of truth: the sweep (`jobs.sweep`) fires whatever Redis lost."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from .. import jobs
from ..core import uow
from ..core.clock import now
from ..extensions import db
from .models import SlaClock

log = logging.getLogger(__name__)

QUEUE = "sla"
#: steps further away than this get their RQ job from `schedule_upcoming`, not at once
HORIZON = timedelta(hours=1)
_SCHEDULE_KEY = "claimdesk.sla.schedule"


def fire_job_id(clock_id: int, generation: int, at: datetime) -> str:
    return f"sla-fire-{clock_id}-g{generation}-{int(at.timestamp())}"


def schedule_fires(items) -> None:
    """Schedule fire_clock jobs for (clock_id, generation, at) in one Redis round trip."""
    q = jobs.get_queue(QUEUE)
    retry = jobs._retry()
    with q.connection.pipeline() as pipe:
        for clock_id, generation, at in items:
            job = q.create_job("claimdesk.sla.jobs.fire_clock", args=(clock_id, generation),
                               job_id=fire_job_id(clock_id, generation, at), retry=retry,
                               result_ttl=60, failure_ttl=7 * 86400)
            q.schedule_job(job, at, pipeline=pipe)
        pipe.execute()


def queue_schedule(clock: SlaClock) -> None:
    """Remember the clock's next step for after commit. reschedule is the last thing that touches a
    clock's generation and next_fire_at, so the values taken here are the ones that get committed;
    taking them now (the clock may not even have an id yet) saves re-loading every expired clock after
    the commit."""
    pending: dict = db.session.info.get(_SCHEDULE_KEY)
    if pending is None:
        pending = db.session.info[_SCHEDULE_KEY] = {}
        uow.after_commit(_flush_schedule)
        uow.on_rollback(discard_schedule)  # else the next unit of work finds it and never flushes
    # generation and time as plain values: after commit the ORM object is expired, and reading its
    # attributes would cost a query each; the id is read from its identity key after the flush
    pending[id(clock)] = (clock, clock.generation, clock.next_fire_at)


def _flush_schedule() -> None:
    """After commit: one RQ job per clock at its next step, id from clock id, generation and time —
    for steps within the horizon; later ones are scheduled by `schedule_upcoming` when they come
    near (Redis does not hold a job for every 30-day timer). Redis down is fine: the rows are
    committed and the sweep enqueues what is due."""
    pending = db.session.info.pop(_SCHEDULE_KEY, None) or {}
    horizon = now() + HORIZON
    todo = []
    for clock, generation, fire_at in pending.values():
        state = sa.inspect(clock, raiseerr=False)
        # an ORM clock: its primary key from the identity key (no query after commit); a batch's
        # plain-row clock (_BatchClock) carries its id
        clock_id = (state.identity[0] if state.identity else None) if state is not None else clock.id
        if fire_at is not None and fire_at <= horizon and clock_id is not None:
            todo.append((clock_id, generation, fire_at))
    if not todo:
        return
    try:
        schedule_fires(todo)
    except Exception as exc:  # noqa: BLE001 — Redis down: the sweep picks these up
        log.warning("could not schedule %d SLA jobs (%s); the sweep will fire them", len(todo), exc)


def discard_schedule() -> None:
    db.session.info.pop(_SCHEDULE_KEY, None)


