"""Folding the append-only SLA ledgers (facts, escalations) into the dashboard's narrow read copies,
and the row sources the aggregates read: the copy up to the watermark plus the live tail after it.

Exactness rests on one rule: every ledger row with id <= watermark is in the copy, and no row with
id <= watermark can appear later. Ids come from a sequence, and a transaction that took a lower id may
commit after one that took a higher id, so `max(id)` alone is not safe. On PostgreSQL the fold first
takes a SHARE lock on the ledger tables in a savepoint that it rolls back at once: the lock waits for
every transaction that inserted into them to end (and holds new inserts back only for the moment it
takes to read max(id)), so every id up to that max is final. SQLite has one writer at a time, so max(id) is final.

Readers read the watermark w first and then take the copy's rows with id <= w and the ledger's rows
with id > w, so a fold committing in between changes nothing they see.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from ..claims.models import Claim
from ..core.clock import now
from ..extensions import db
from ..sla.models import SlaClock, SlaEscalation, SlaFact
from .models import DashEscalation, DashFact, DashPause, RollupState

log = logging.getLogger(__name__)

FACTS, ESCALATIONS = "facts", "escalations"
LEDGERS = {FACTS: SlaFact, ESCALATIONS: SlaEscalation}
#: rows folded per ledger per run: bounds the transaction after a bulk import or the first upgrade
#: (the tail covers the rest exactly until the next runs catch up)
BATCH = 250_000
#: how long the fold waits for the SHARE lock before leaving this round to the next one (ms)
LOCK_TIMEOUT_MS = 2000


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- folding -------------------------------------------------------------------------------------------
def _settled_max_ids() -> dict[str, int] | None:
    """The highest id of each ledger that can no longer be joined by a lower one; None when the lock
    could not be had quickly (a long transaction is writing facts: fold next round)."""
    def max_ids():
        return {name: int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(m.id), 0))) or 0)
                for name, m in LEDGERS.items()}

    if _dialect() != "postgresql":
        return max_ids()
    # inside a savepoint that is rolled back: the lock (and the lock_timeout) end with it, so SLA
    # writers wait only for the moment it takes to read two max(id)s, not for the whole fold
    savepoint = db.session.begin_nested()
    try:
        db.session.execute(sa.text(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}"))
        db.session.execute(sa.text("LOCK TABLE sla_facts, sla_escalations IN SHARE MODE"))
        return max_ids()
    except sa.exc.OperationalError as exc:
        log.warning("dashboard fold: ledgers busy (%s); next round", exc.orig.__class__.__name__)
        return None
    finally:
        savepoint.rollback()


def _state(name: str) -> RollupState:
    stmt = sa.select(RollupState).where(RollupState.name == name).execution_options(populate_existing=True)
    if _dialect() == "postgresql":
        stmt = stmt.with_for_update()  # two folds at once: the second waits, then sees the new watermark
    row = db.session.scalar(stmt)
    if row is None:
        row = RollupState(name=name, watermark=0, rows_folded=0)
        db.session.add(row)
        db.session.flush()
    return row


def fold(batch: int = BATCH) -> dict[str, int]:
    """Copy the ledger rows after each watermark (up to the settled max id, at most `batch`) into the
    read tables and move the watermarks, in the caller's transaction. Running it again with nothing new
    does nothing. Returns the rows folded per ledger."""
    settled = _settled_max_ids()
    if settled is None:
        return {FACTS: 0, ESCALATIONS: 0}
    out = {}
    for name, folder in ((FACTS, _fold_facts), (ESCALATIONS, _fold_escalations)):
        state = _state(name)
        lo = state.watermark
        hi = settled[name]
        model = LEDGERS[name]
        nth = db.session.scalar(sa.select(model.id).where(model.id > lo).order_by(model.id)
                                .offset(batch - 1).limit(1))
        if nth is not None:
            hi = min(hi, nth)
        if hi <= lo:
            out[name] = 0
            continue
        n = folder(lo, hi)
        state.watermark = hi
        state.rows_folded = (state.rows_folded or 0) + n
        state.folded_at = now()
        out[name] = n
    db.session.flush()
    return out


def behind() -> int:
    """How many ledger rows are not folded yet (0: the copies are caught up)."""
    total = 0
    for name, model in LEDGERS.items():
        w = watermark(name)
        total += int(db.session.scalar(sa.select(sa.func.count()).where(model.id > w)) or 0)
    return total


def _insert_from(model, columns: list[str], select, key, lo: int, hi: int) -> int:
    """INSERT … SELECT, then the rows now in the copy for that id range (psycopg reports no rowcount
    for INSERT … SELECT; a primary-key range count is cheap)."""
    db.session.execute(sa.insert(model.__table__).from_select(columns, select))
    return int(db.session.scalar(sa.select(sa.func.count()).where(key > lo, key <= hi)) or 0)


def _fold_facts(lo: int, hi: int) -> int:
    f = SlaFact
    in_range = [f.id > lo, f.id <= hi, f.outcome != "cancelled"]
    n = _insert_from(DashFact, ["fact_id", "ended_at", "store_id", "case_type", "policy_key", "holder_id",
                                "insurer_id", "breached", "elapsed_seconds"],
                     sa.select(f.id, f.ended_at, f.store_id, f.case_type, f.policy_key, f.holder_id,
                               Claim.insurer_id, f.breached, f.elapsed_seconds)
                     .select_from(f).outerjoin(Claim, sa.and_(f.case_type == "claim", Claim.id == f.case_id))
                     .where(*in_range), DashFact.fact_id, lo, hi)
    each = _reasons()
    _insert_from(DashPause, ["fact_id", "reason", "ended_at", "store_id", "case_type", "policy_key", "seconds"],
                 sa.select(f.id, each.c.key, f.ended_at, f.store_id, f.case_type, f.policy_key,
                           sa.cast(each.c.value, sa.Float))
                 .select_from(f).join(each, sa.true()).where(*in_range, f.paused_seconds > 0), DashPause.fact_id, lo, hi)
    return n


def _fold_escalations(lo: int, hi: int) -> int:
    e, c = SlaEscalation, SlaClock
    return _insert_from(DashEscalation, ["escalation_id", "fired_at", "store_id", "case_type", "level"],
                        sa.select(e.id, e.fired_at, c.store_id, e.case_type, e.level)
                        .join(c, c.id == e.clock_id).where(e.id > lo, e.id <= hi),
                        DashEscalation.escalation_id, lo, hi)


def _reasons():
    """The fact's per-reason JSON as (key, value) rows."""
    fn = sa.func.jsonb_each_text if _dialect() == "postgresql" else sa.func.json_each
    return fn(SlaFact.paused_by_reason).table_valued("key", "value")


# --- reading: copy up to the watermark + live tail -------------------------------------------------------
def watermark(name: str) -> int:
    """The ledger's watermark. Read before the aggregate, the copy is then cut at it (id <= w) and the
    tail starts after it (id > w): a fold committing in between moves nothing from one side to the
    other, and the planner sees a literal, so the tail is a short primary-key range scan."""
    return int(db.session.scalar(sa.select(RollupState.watermark).where(RollupState.name == name)) or 0)


def facts_source(conds_for, *, direct: bool = False, also=None):
    """Ended, not cancelled clocks as rows (policy_key, holder_id, store_id, insurer_id, breached,
    elapsed_seconds) — only what the stats group and sort, so the sorts stay narrow. `conds_for(columns)`
    gives the filters for a row source. direct=True reads only the SLA facts (what the copy must always
    agree with). `also`: a select of the same columns to add (the running clocks that breached)."""
    f = SlaFact
    tail = sa.select(f.policy_key, f.holder_id, f.store_id, Claim.insurer_id.label("insurer_id"), f.breached,
                     f.elapsed_seconds) \
        .select_from(f).outerjoin(Claim, sa.and_(f.case_type == "claim", Claim.id == f.case_id)) \
        .where(f.outcome != "cancelled", *conds_for(f))
    extra = [also] if also is not None else []
    if direct:
        return sa.union_all(tail, *extra).subquery("facts") if extra else tail.subquery("facts")
    w = watermark(FACTS)
    d = DashFact
    copy = sa.select(d.policy_key, d.holder_id, d.store_id, d.insurer_id, d.breached, d.elapsed_seconds) \
        .where(d.fact_id <= w, *conds_for(d))
    return sa.union_all(copy, tail.where(f.id > w), *extra).subquery("facts")


def pauses_source(conds_for, *, direct: bool = False):
    """Paused seconds per ended, not cancelled clock and reason: rows (reason, seconds)."""
    f = SlaFact
    each = _reasons()
    tail = sa.select(each.c.key.label("reason"), sa.cast(each.c.value, sa.Float).label("seconds")) \
        .select_from(f).join(each, sa.true()) \
        .where(f.outcome != "cancelled", f.paused_seconds > 0, *conds_for(f))
    if direct:
        return tail.subquery("pauses")
    w = watermark(FACTS)
    p = DashPause
    copy = sa.select(p.reason, p.seconds).where(p.fact_id <= w, *conds_for(p))
    return sa.union_all(copy, tail.where(f.id > w)).subquery("pauses")


def escalations_source(conds_for, *, direct: bool = False):
    """Fired ladder steps as rows (level), filtered on (fired_at, store_id, case_type)."""
    e, c = SlaEscalation, SlaClock

    class Live:  # the live ledger's columns under the copy's names
        fired_at, store_id, case_type = e.fired_at, c.store_id, e.case_type

    tail = sa.select(e.level).join(c, c.id == e.clock_id).where(*conds_for(Live))
    if direct:
        return tail.subquery("escalations")
    w = watermark(ESCALATIONS)
    d = DashEscalation
    copy = sa.select(d.level).where(d.escalation_id <= w, *conds_for(d))
    return sa.union_all(copy, tail.where(e.id > w)).subquery("escalations")
