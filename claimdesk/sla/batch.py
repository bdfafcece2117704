"""Firing the ladder in batches without the ORM: the clocks with a step due (an index range scan on
`next_fire_at`), their cases and recipients read as plain rows, every step's escalation row, notices,
timeline events and clock updates written in bulk. Idempotent: a step that already fired, or a clock
that stopped, paused or moved on, is skipped; the escalation ledger's unique key is the final guard."""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from ..core import bulk, events
from ..core.clock import now
from ..extensions import db
from .clock import calendar_of, ladder_of, reschedule, state_for_level
from .models import SlaClock, SlaEscalation, SlaPolicyVersion
from .policies import load_calendars

log = logging.getLogger(__name__)


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
        reschedule(clock, calendar_of(clock, cals))
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
        clock.state = "paused" if clock.running_since is None else state_for_level(clock)
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
    return ladder_of(clock).get(level, {"level": level, "notify": []})


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


