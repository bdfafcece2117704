"""The clock engine: start, stop, cancel, pause, resume, acknowledge — and firing the ladder.

Everything runs inside the caller's transaction (a request or a job). Deadlines are computed once
and kept on the clock (`consumed_seconds` + `running_since`), never replayed from history. Lock
order is always case row, then its clocks — the same order a case action takes — so a job firing a
ladder step and a user acting on the case never deadlock.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from ..core import bulk, events, uow
from ..core.clock import now, utc
from ..extensions import db
from .calendar import BusinessCalendar, NoBusinessHours, add_business_time, business_time_between
from .models import ACTIVE_STATES, SlaClock, SlaEscalation, SlaFact, SlaPause, SlaPolicyVersion
from .policies import current_version, effective_policy, load_calendars

log = logging.getLogger(__name__)
_SCHEDULE_KEY = "claimdesk.sla.schedule"


# --- time arithmetic on one clock ---------------------------------------------------------------
def _cal(clock: SlaClock, cals: dict[int, BusinessCalendar]) -> BusinessCalendar | None:
    return cals.get(clock.store_id) if clock.calendar == "business" else None


def _add(start: datetime, seconds: float, cal) -> datetime:
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


def _ladder(clock: SlaClock) -> dict[int, dict]:
    steps = getattr(clock, "ladder_steps", None)  # a batch's _BatchClock carries its version's, built once
    if steps is not None:
        return steps
    return {s["level"]: s for s in (clock.policy_version.ladder or [])}


def _reschedule(clock: SlaClock, cal) -> None:
    """Recompute warn/due/escalate and the next pending step from consumed + running_since."""
    if clock.stopped_at is not None or clock.running_since is None:
        clock.next_fire_at = None
        clock.warn_at = None
        clock.escalate_at = None
        if clock.breached_at is None:
            clock.due_at = None
        _queue_schedule(clock)
        return
    rs, used = clock.running_since, clock.consumed_seconds

    def at(mark: float) -> datetime:
        return _add(rs, mark - used, cal) if mark > used else rs

    steps = _ladder(clock)
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
    _queue_schedule(clock)


def _state_for_level(clock: SlaClock) -> str:
    return "breached" if clock.escalation_level >= 2 else "warning" if clock.escalation_level == 1 else "running"


# --- scheduling the RQ fast path after commit ---------------------------------------------------
def _queue_schedule(clock: SlaClock) -> None:
    """Remember the clock's next step for after commit. _reschedule is the last thing that touches a
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
    from .jobs import HORIZON

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
    from . import jobs

    try:
        jobs.schedule_fires(todo)
    except Exception as exc:  # noqa: BLE001 — Redis down: the sweep picks these up
        log.warning("could not schedule %d SLA jobs (%s); the sweep will fire them", len(todo), exc)


def discard_schedule() -> None:
    db.session.info.pop(_SCHEDULE_KEY, None)


# --- lifecycle, driven by the case engine -------------------------------------------------------
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
        _pause(clock, case.pause_reason, at, _cal(clock, cals))
    else:
        # deadlines computed before the row is written: one INSERT (the caller's flush), not INSERT + UPDATE
        _reschedule(clock, _cal(clock, cals))
    return clock


def _pause(clock: SlaClock, reason: str, at: datetime, cal) -> None:
    if clock.running_since is not None:
        clock.consumed_seconds += max(0.0, business_time_between(clock.running_since, at, cal))
    clock.running_since = None
    clock.pause_reason = reason
    clock.paused_at = at
    clock.state = "paused"
    db.session.add(SlaPause(clock_id=clock.id, generation=clock.generation, reason=reason, started_at=at))
    _reschedule(clock, cal)


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
        _pause(clock, reason, at, _cal(clock, cals))
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
        clock.state = _state_for_level(clock)
        _reschedule(clock, _cal(clock, cals))
        out.append(clock)
    return out


def end_clock(case, clock: SlaClock, at: datetime, outcome: str, cals=None) -> SlaFact | None:
    """Stop a clock: `met` (its target action happened) or `cancelled`; writes the immutable fact."""
    if clock.stopped_at is not None:
        return None
    cals = cals if cals is not None else load_calendars([clock.store_id])
    cal = _cal(clock, cals)
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
    _reschedule(clock, cal)
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
            _reschedule(clock, _cal(clock, cals))
            out.append(clock)
    return out


# --- firing the ladder ---------------------------------------------------------------------------
@dataclass
class CaseRow:
    """The few case columns the ladder needs (events.record takes this as the case)."""

    CASE_TYPE: str
    id: int
    store_id: int
    number: str
    assignee_id: int | None
    escalation_level: int


def due_clock_ids(at: datetime, limit: int = 5000) -> list[tuple[int, int, int]]:
    """(id, generation, level) of clocks with a step due — an index range scan on next_fire_at."""
    rows = db.session.execute(sa.select(SlaClock.id, SlaClock.generation, SlaClock.escalation_level)
                              .where(SlaClock.next_fire_at <= at)
                              .order_by(SlaClock.next_fire_at).limit(limit))
    return [tuple(r) for r in rows]


def process_due(clock_ids, at: datetime | None = None) -> int:
    """Fire every ladder step that is due on these clocks. Idempotent: a clock whose step already
    fired (or that stopped, paused or moved on) is skipped. Returns the number of steps fired."""
    from ..core.workflow import REGISTRY

    at = at or now()
    ids = sorted(set(clock_ids))
    if not ids:
        return 0
    is_pg = db.session.get_bind().dialect.name == "postgresql"
    # 1. which cases: read without locks, then lock cases (ordered) before their clocks
    refs = db.session.execute(sa.select(SlaClock.case_type, SlaClock.case_id).where(
        SlaClock.id.in_(ids), SlaClock.next_fire_at <= at)).all()
    by_type: dict[str, set[int]] = defaultdict(set)
    for case_type, case_id in refs:
        by_type[case_type].add(case_id)
    cases: dict[tuple[str, int], CaseRow] = {}
    tables = {}
    for case_type in sorted(by_type):
        wf = REGISTRY.get(case_type)
        if wf is None:
            log.error("SLA clock of unknown case type %s; skipped", case_type)
            continue
        t = wf.model.__table__
        tables[case_type] = t
        stmt = sa.select(t.c.id, t.c.store_id, t.c.number, t.c.assignee_id, t.c.escalation_level).where(
            t.c.id.in_(sorted(by_type[case_type]))).order_by(t.c.id)
        if is_pg:
            stmt = stmt.with_for_update()
        for row in db.session.execute(stmt):
            cases[(case_type, row.id)] = CaseRow(case_type, row.id, row.store_id, row.number, row.assignee_id,
                                                 row.escalation_level)
    if not cases:
        return 0
    # 2. the clocks, locked, re-checked now that we hold the case rows — plain rows, not ORM objects
    cols = [getattr(SlaClock, c.key) for c in SlaClock.__table__.c]
    stmt = sa.select(*cols).where(SlaClock.id.in_(ids), SlaClock.next_fire_at <= at).order_by(SlaClock.id)
    if is_pg:
        stmt = stmt.with_for_update(of=SlaClock)
    rows = [r for r in db.session.execute(stmt).mappings() if (r["case_type"], r["case_id"]) in cases]
    if not rows:
        return 0
    versions = {v.id: v for v in db.session.scalars(sa.select(SlaPolicyVersion).where(
        SlaPolicyVersion.id.in_(sorted({r["policy_version_id"] for r in rows}))))}
    ladders = {vid: {s["level"]: s for s in (v.ladder or [])} for vid, v in versions.items()}
    clocks = [_BatchClock(r, versions[r["policy_version_id"]], ladders[r["policy_version_id"]]) for r in rows]
    store_ids = {c.store_id for c in clocks}
    cals = load_calendars(store_ids)
    people = _recipients_by_store(store_ids, {cases[(c.case_type, c.case_id)].assignee_id for c in clocks})
    # 3. decide the steps
    plan = []  # (clock, level, scheduled_at)
    for clock in clocks:
        steps = clock.ladder_steps
        level = clock.escalation_level
        if level < 2 and 2 in steps and clock.due_at is not None and clock.due_at <= at:
            plan.append((clock, 2, clock.due_at))  # a late warning is noise once breached: skip to breach
            level = 2
        elif level < 1 and 1 in steps and clock.warn_at is not None and clock.warn_at <= at:
            plan.append((clock, 1, clock.warn_at))
            level = 1
        if (2 <= level < 3 and 3 in steps and clock.acknowledged_at is None and clock.escalate_at is not None
                and clock.escalate_at <= at):
            plan.append((clock, 3, clock.escalate_at))
    # 4. the ledger is the final guard: only steps whose row went in have effects
    fired_keys: set = set()
    recips: dict = {}
    if plan:
        who: dict = {}  # recipients depend only on the step and the case's store and assignee

        def recipients(c, lvl):
            case = cases[(c.case_type, c.case_id)]
            key = (c.policy_version_id, lvl, case.store_id, case.assignee_id)
            if key not in who:
                who[key] = _recipients(steps_for(c, lvl), case, people)
            return who[key]

        rows = [{"clock_id": c.id, "generation": c.generation, "level": lvl, "case_type": c.case_type,
                 "case_id": c.case_id, "scheduled_at": sched, "fired_at": at,
                 "recipient_ids": recipients(c, lvl)}
                for c, lvl, sched in plan]
        fired_keys = {(r.clock_id, r.level) for r in bulk.insert_many(
            SlaEscalation.__table__, rows, conflict=("clock_id", "generation", "level"),
            returning=("clock_id", "level"))}
        recips = {(r["clock_id"], r["level"]): r["recipient_ids"] for r in rows}
    notices: list = []
    case_updates: dict[tuple[str, int], int] = {}
    timeline: list[dict] = []
    _apply(plan, fired_keys, recips, cases, people, at, notices, case_updates, timeline)
    fired = len([1 for c, lvl, _s in plan if (c.id, lvl) in fired_keys])
    for clock in clocks:
        _reschedule(clock, _cal(clock, cals))
    # 5. the clocks that changed: one executemany UPDATE (what the ORM flush wrote, without the ORM)
    _write_clocks(clocks)
    # 6. the cases: escalation flag without bumping the version (no 409 for someone editing it)
    by_table: dict[str, list] = defaultdict(list)
    for (case_type, case_id), level in case_updates.items():
        by_table[case_type].append({"b_id": case_id, "b_level": level})
        _sync_loaded_case(case_type, case_id, level)
    for case_type, params in by_table.items():
        t = tables[case_type]
        db.session.connection().execute(
            sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(
                escalation_level=sa.bindparam("b_level"), escalation_acknowledged_by_id=None), params)
    events.record_many(timeline)
    if notices:
        from ..notifications import services as notifications

        notifications.deliver(notices)
    return fired


#: the clock columns the ladder changes (escalation, state, schedule)
_FIRE_COLUMNS = ("state", "escalation_level", "breached_at", "warn_at", "due_at", "escalate_at", "next_fire_at")


class _BatchClock:
    """One locked clock row of a batch, with the attributes the ladder code reads and writes."""

    def __init__(self, row, version, ladder_steps):
        self.__dict__.update(row)
        self.policy_version = version
        self.ladder_steps = ladder_steps
        self.loaded = tuple(row[k] for k in _FIRE_COLUMNS)

    def changes(self) -> dict:
        return {k: getattr(self, k) for k, old in zip(_FIRE_COLUMNS, self.loaded) if getattr(self, k) != old}


def _write_clocks(clocks) -> None:
    """UPDATE the changed clocks (one executemany; `updated_at` as the ORM's onupdate would set it) and
    refresh any clock object already loaded in the session from its row, as a populate_existing load
    would have."""
    stamp = now()
    params = []
    for c in clocks:
        if c.changes():
            c.updated_at = stamp
            params.append({"b_id": c.id, "b_updated_at": stamp,
                           **{f"b_{k}": getattr(c, k) for k in _FIRE_COLUMNS}})
    if params:
        t = SlaClock.__table__
        db.session.connection().execute(
            sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(
                updated_at=sa.bindparam("b_updated_at"), **{k: sa.bindparam(f"b_{k}") for k in _FIRE_COLUMNS}),
            params)
    batch = {c.id: c for c in clocks}
    keys = [c.key for c in SlaClock.__table__.c]
    for obj in [o for o in db.session.identity_map.values() if isinstance(o, SlaClock) and o.id in batch]:
        c = batch[obj.id]
        for k in keys:
            set_committed_value(obj, k, getattr(c, k))
        set_committed_value(obj, "policy_version", c.policy_version)


def _apply(plan, fired_keys, recips, cases, people, at, notices, case_updates, timeline) -> None:
    """The effects of the steps that went into the ledger: clock, case flag, timeline, notices."""
    from .notices import notice_rows

    names: dict = {}
    for clock, lvl, sched in plan:
        if (clock.id, lvl) not in fired_keys:
            continue
        case = cases[(clock.case_type, clock.case_id)]
        recipient_ids = recips[(clock.id, lvl)]
        clock.escalation_level = max(clock.escalation_level, lvl)
        if lvl == 2:
            clock.breached_at = at
        clock.state = "paused" if clock.running_since is None else _state_for_level(clock)
        step = steps_for(clock, lvl)
        if step.get("escalate"):
            case_level = max(case.escalation_level, lvl - 1)
            case.escalation_level = case_level
            case_updates[(clock.case_type, clock.case_id)] = case_level
        action = {1: "sla_warning", 2: "sla_breached", 3: "escalated"}[lvl]
        key = tuple(recipient_ids)
        if key not in names:
            names[key] = _names(recipient_ids, people)
        timeline.append(events.values(case, kind="sla" if lvl == 1 else "escalation", action=action, actor=None,
                                      at=at, data={"timer": clock.policy_key, "level": lvl, "due_at": clock.due_at,
                                                   "late_seconds": round((at - sched).total_seconds(), 3),
                                                   "notified": list(names[key])}))
        notices.extend(notice_rows(clock, lvl, case, recipient_ids, at))


def steps_for(clock: SlaClock, level: int) -> dict:
    return _ladder(clock).get(level, {"level": level, "notify": []})


def _sync_loaded_case(case_type: str, case_id: int, level: int) -> None:
    """Keep an already loaded case object in step with the row without marking it dirty."""
    from sqlalchemy.orm.util import identity_key

    from ..core.workflow import REGISTRY

    obj = db.session.identity_map.get(identity_key(REGISTRY[case_type].model, case_id))
    if obj is not None:
        set_committed_value(obj, "escalation_level", level)
        set_committed_value(obj, "escalation_acknowledged_by_id", None)


@dataclass
class Person:
    id: int
    store_id: int
    name: str
    role: str
    is_store_manager: bool
    is_group: bool


def _recipients_by_store(store_ids, assignee_ids=()) -> dict:
    """Managers, store managers and group managers of the stores, and the assignees — one query."""
    from ..auth.models import User

    assignees = sorted(i for i in assignee_ids if i)
    rows = db.session.execute(sa.select(User.id, User.store_id, User.full_name, User.username, User.role,
                                        User.is_store_manager, User.is_group, User.active).where(
        sa.or_(sa.and_(User.active.is_(True), User.role == "manager",
                       sa.or_(User.store_id.in_(sorted(store_ids)), User.is_group.is_(True))),
               User.id.in_(assignees))))
    out = {"by_id": {}, "managers": defaultdict(list), "store_managers": defaultdict(list), "group": []}
    for r in rows:
        p = Person(r.id, r.store_id, r.full_name or r.username, r.role, r.is_store_manager, r.is_group)
        out["by_id"][p.id] = p
        if not r.active or r.role != "manager":
            continue
        if p.is_group:
            out["group"].append(p.id)
            continue
        (out["store_managers"] if p.is_store_manager else out["managers"])[p.store_id].append(p.id)
    return out


def _recipients(step: dict, case: CaseRow, people) -> list[int]:
    ids: list[int] = []
    for who in step.get("notify", []):
        if who == "assignee":
            found = [case.assignee_id] if case.assignee_id else []
            found = found or people["managers"].get(case.store_id, []) or people["store_managers"].get(case.store_id, [])
        elif who == "manager":
            found = people["managers"].get(case.store_id, []) or people["store_managers"].get(case.store_id, [])
        elif who == "store_manager":
            found = people["store_managers"].get(case.store_id, []) or people["group"]
        elif who == "group_manager":
            found = people["group"]
        else:
            found = []
        for uid in found:
            if uid not in ids:
                ids.append(uid)
    return ids


def _names(ids, people) -> list[str]:
    from ..auth.models import User

    out = []
    for uid in ids:
        p = people["by_id"].get(uid)
        if p is None:
            u = db.session.get(User, uid)
            out.append(u.display_name if u else str(uid))
        else:
            out.append(p.name)
    return out


# --- re-baselining ------------------------------------------------------------------------------
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
    used = elapsed_seconds(clock, at, _cal(clock, cals))
    cal = cals.get(clock.store_id) if version.calendar == "business" else None
    return _add(at, version.target_seconds - used, cal) if version.target_seconds > used else at


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
        cal_old = _cal(clock, cals)
        if clock.running_since is not None:  # bank the running stretch on the old calendar first
            clock.consumed_seconds = elapsed_seconds(clock, at, cal_old)
            clock.running_since = at
        clock.policy_version_id = version.id
        clock.policy_version = version
        clock.calendar = version.calendar
        clock.target_seconds = version.target_seconds
        clock.warn_seconds = int(version.target_seconds * version.warn_ratio)
        clock.escalate_after_seconds = version.escalate_after_seconds
        _reschedule(clock, _cal(clock, cals))
        if clock.due_at != old_due:
            moved += 1
            events.record(case, kind="sla", action="sla_rebaselined", actor=None, at=at,
                          data={"timer": clock.policy_key, "from_due_at": old_due, "to_due_at": clock.due_at,
                                "policy_version": version.version})
    db.session.flush()
    return moved


