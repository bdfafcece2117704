"""The SLA aggregates of the dashboard: clocks breached and at risk now, and per timer, advisor,
store and insurer over the period — total / met / breached / breach rate / p50 / p90.

A clock counts as breached from the moment it breaches: the period's figures combine the clocks that
ended in it (their immutable facts) with the clocks still running whose deadline passed in it (read
through the open-deadline index). The counted time (p50/p90) is that of the ended clocks.

The facts come from the dashboard's fold-maintained copies of the append-only SLA ledgers plus the
live rows after their watermark (rollups.py): the same numbers as aggregating the ledgers directly
(`direct=True`), without their joins and JSON.

Percentiles are `percentile_cont` on PostgreSQL; SQLite has no ordered-set aggregates, so there the
same linear interpolation is done with window functions (row_number / count over the group).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..auth.models import User
from ..core.workflow import REGISTRY
from ..extensions import db
from ..sla.models import SlaClock, SlaEscalation
from . import rollups
from .queries_base import CASE_TYPES, Filters, _aware, _dialect, _insurer_names, _store_filter, _stores, _user_names


# --- SLA: live clocks --------------------------------------------------------------------------------
def breached_expr(now: datetime):
    """A clock counts as breached as soon as its deadline passed, whether or not the sweep fired yet."""
    c = SlaClock
    return sa.or_(c.escalation_level >= 2, c.breached_at.is_not(None), c.due_at <= now)


def at_risk_expr(now: datetime):
    c = SlaClock
    return sa.and_(sa.not_(breached_expr(now)), sa.or_(c.escalation_level == 1, c.warn_at <= now))


def _open_clocks(f: Filters):
    c = SlaClock
    conds = [c.stopped_at.is_(None), _store_filter(c.store_id, f)]
    if f.case_type:
        conds.append(c.case_type == f.case_type)
    return conds


def live_counts(f: Filters) -> dict:
    """Breached and at-risk clocks now (counts), over the open clocks only (partial index)."""
    c = SlaClock
    breached = breached_expr(f.now)
    at_risk = at_risk_expr(f.now)
    row = db.session.execute(sa.select(
        sa.func.count().filter(breached), sa.func.count().filter(at_risk),
        sa.func.count()).where(*_open_clocks(f), sa.or_(
            c.escalation_level >= 1, c.breached_at.is_not(None), c.warn_at <= f.now, c.due_at <= f.now))).one()
    return {"breached_now": int(row[0] or 0), "at_risk": int(row[1] or 0)}


def urgent_clocks(f: Filters, limit: int = 100) -> list[dict]:
    """The breached and at-risk clocks, least time left first, with their case's number and holder."""
    c = SlaClock
    stmt = (sa.select(c.id, c.case_type, c.case_id, c.store_id, c.policy_key, c.state, c.due_at, c.warn_at,
                      c.escalation_level, c.acknowledged_at, c.pause_reason, breached_expr(f.now).label("breached"))
            .where(*_open_clocks(f), sa.or_(breached_expr(f.now), at_risk_expr(f.now)))
            .order_by(c.due_at.asc().nulls_last(), c.id).limit(limit))
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    for r in rows:
        r["due_at"] = _aware(r["due_at"])
        r["acknowledged_at"] = _aware(r["acknowledged_at"])
        r["breached"] = bool(r["breached"])
        r["seconds_left"] = round((r["due_at"] - f.now).total_seconds(), 1) if r["due_at"] else None
    _attach_cases(rows)
    return rows


def _attach_cases(rows: list[dict]) -> None:
    """Case number, assignee and escalation state for a page of clocks: one query per case type."""
    by_type: dict[str, set[int]] = {}
    for r in rows:
        by_type.setdefault(r["case_type"], set()).add(r["case_id"])
    found: dict = {}
    for case_type, ids in by_type.items():
        wf = REGISTRY.get(case_type)
        if wf is None:
            continue
        t = wf.model.__table__
        stmt = sa.select(t.c.id, t.c.number, t.c.state, t.c.assignee_id, t.c.escalation_level,
                         t.c.escalation_acknowledged_by_id, User.full_name, User.username) \
            .join(User, User.id == t.c.assignee_id, isouter=True).where(t.c.id.in_(sorted(ids)))
        for r in db.session.execute(stmt):
            found[(case_type, r.id)] = r
    for r in rows:
        case = found.get((r["case_type"], r["case_id"]))
        r["number"] = case.number if case else None
        r["case_state"] = case.state if case else None
        r["assignee"] = (case.full_name or case.username) if case and case.username else None
        r["case_escalated"] = bool(case and case.escalation_level > 0 and case.escalation_acknowledged_by_id is None)


# --- SLA: facts over the period ----------------------------------------------------------------------
def policy_keys(case_type: str) -> list[str]:
    """The timers of a case type (keys are "<case_type>.<timer>"), from the small policy table; filtering
    facts on them lets PostgreSQL range-scan the (policy_key, ended_at) index."""
    from ..sla.models import SlaPolicy

    return sorted(db.session.scalars(sa.select(SlaPolicy.key).where(SlaPolicy.key.like(f"{case_type}.%"))
                                     .distinct()))


def _fact_conditions(f: Filters):
    """The period, store and case-type filters of clocks that ended, for any row source whose columns
    carry the facts' names (the SLA facts themselves or the dashboard's copy of them)."""
    keys = policy_keys(f.case_type) if f.case_type else None

    def conds(m):
        out = [m.ended_at >= f.date_from, m.ended_at < f.date_to, _store_filter(m.store_id, f)]
        if f.case_type:
            out.append(m.case_type == f.case_type)
            if keys:
                out.append(m.policy_key.in_(keys))
        return out

    return conds


def _facts(f: Filters, *, direct: bool = False):
    """The clocks the period's figures count: the ended, not cancelled ones (their facts: the folded
    copy plus the live tail, rollups.py; with direct=True only the SLA facts — the reference the copy
    must always agree with) and the running ones that breached in the period (running_breaches)."""
    return rollups.facts_source(_fact_conditions(f), direct=direct, also=running_breaches(f))


def running_breaches(f: Filters):
    """Clocks still running whose deadline passed inside the period (and before now), as rows of the
    facts' shape: breached, no counted time yet (NULL: the percentiles skip it), held by the case's
    assignee now. A clock breaches at its deadline whether or not the sweep has marked it yet.

    Reads the partial index ix_sla_clocks_open_due (due_at of clocks not stopped): a range of
    deadlines, never all the clocks. None if the period has no past in it."""
    until = min(f.date_to, f.now)
    if until <= f.date_from:
        return None
    c = SlaClock
    conds = [c.stopped_at.is_(None), c.due_at >= f.date_from, c.due_at < until, _store_filter(c.store_id, f)]
    if f.case_type:
        conds.append(c.case_type == f.case_type)
    holders, joins = [], []
    insurer = sa.null()
    for case_type in CASE_TYPES:
        wf = REGISTRY.get(case_type)
        if wf is None or not f.includes(case_type):
            continue
        t = wf.model.__table__.alias(f"held_{case_type}")
        joins.append((t, sa.and_(c.case_type == case_type, t.c.id == c.case_id)))
        holders.append(t.c.assignee_id)
        if case_type == "claim":
            insurer = t.c.insurer_id
    holder = sa.func.coalesce(*holders) if len(holders) > 1 else (holders[0] if holders else sa.null())
    src = c.__table__
    for t, on in joins:
        src = src.outerjoin(t, on)
    return sa.select(c.policy_key, sa.cast(holder, sa.Integer).label("holder_id"), c.store_id,
                     sa.cast(insurer, sa.Integer).label("insurer_id"), sa.true().label("breached"),
                     sa.cast(sa.null(), sa.Float).label("elapsed_seconds")) \
        .select_from(src).where(*conds)


def _group_col(src, name: str):
    """Grouping column; on PostgreSQL text keys sort bytewise (the percentile sort is the cost)."""
    col = src.c[name]
    if isinstance(col.type, sa.String) and _dialect() == "postgresql":
        return sa.collate(col, "C").label(name)
    return col.label(name)


def _stats(names: list[str], src, where=()) -> list[dict]:
    """total / breached / p50 / p90 of the counted time (elapsed_seconds) per group of `names`, over
    the row source `src` (a subquery from _facts)."""
    value = src.c.elapsed_seconds
    breached_int = sa.case((src.c.breached, 1), else_=0)
    dims = [_group_col(src, n) for n in names]
    if _dialect() == "postgresql":
        stmt = sa.select(*dims, sa.func.count().label("total"), sa.func.sum(breached_int).label("breached"),
                         _percentiles(value)).where(*where).group_by(*dims)
        return [_stat_row(r) for r in db.session.execute(stmt)]
    # SQLite: percentile_cont by hand — position p*(n-1) (0-based) between two ordered neighbours.
    cols_in = [src.c[n] for n in names]
    inner = sa.select(*cols_in, value.label("v"), breached_int.label("b"),
                      # running clocks have no counted time (NULL): ranked last and not counted in n
                      sa.func.row_number().over(partition_by=cols_in, order_by=(value.is_(None), value))
                      .label("rn"),
                      sa.func.count(value).over(partition_by=cols_in).label("n")).where(*where).subquery()
    cols = [inner.c[n] for n in names]
    n = inner.c.n
    parts = []
    for p in (0.5, 0.9):
        pos = sa.literal(p) * (n - 1)
        lo = sa.cast(pos, sa.Integer)  # floor: the position is never negative
        hi = lo + sa.case((pos > lo, 1), else_=0)
        v_lo = sa.func.max(sa.case((inner.c.rn == lo + 1, inner.c.v)))
        v_hi = sa.func.max(sa.case((inner.c.rn == hi + 1, inner.c.v)))
        frac = sa.func.max(pos - lo)
        parts.append((v_lo + frac * (v_hi - v_lo)).label(f"p{int(p * 100)}"))
    stmt = sa.select(*cols, sa.func.count().label("total"), sa.func.sum(inner.c.b).label("breached"), *parts) \
        .group_by(*cols)
    return [_stat_row(r) for r in db.session.execute(stmt)]


def _percentiles(value):
    """p50 and p90 from one sort per group (PostgreSQL: percentile_cont over an array of fractions)."""
    return sa.func.percentile_cont(sa.literal([0.5, 0.9], sa.ARRAY(sa.Float))) \
        .within_group(value).label("pcts")


def _work_mem() -> None:
    """The period's durations are sorted once per dimension: let PostgreSQL do it in memory (the
    default 4 MB spills a group-wide month to disk). Lasts until the request's transaction ends."""
    if _dialect() == "postgresql":
        db.session.execute(sa.text("SET LOCAL work_mem = '32MB'"))


def _stat_row(r) -> dict:
    d = dict(r._mapping)
    total = int(d.pop("total") or 0)
    breached = int(d.pop("breached") or 0)
    if "pcts" in d:
        p50, p90 = d.pop("pcts") or (None, None)
    else:
        p50, p90 = d.pop("p50"), d.pop("p90")
    d.update(total=total, met=total - breached, breached=breached,
             breach_rate=round(breached / total, 4) if total else None,
             p50_seconds=round(float(p50), 1) if p50 is not None else None,
             p90_seconds=round(float(p90), 1) if p90 is not None else None)
    return d


#: the stats' dimensions; insurer only over claim timers (NULL on the others, dropped)
DIMENSIONS = ("policy_key", "holder_id", "store_id", "insurer_id")


def stats_by(f: Filters, *, direct: bool = False, dims: tuple[str, ...] = DIMENSIONS) -> dict[str, list[dict]]:
    """by policy, holder, store and insurer (or the `dims` asked for) at once. On PostgreSQL one scan of
    the period with GROUPING SETS (the sort per dimension is the only repeated work); elsewhere one
    GROUP BY per dimension."""
    _work_mem()
    src = _facts(f, direct=direct)
    if _dialect() != "postgresql" or len(dims) == 1:
        out = {name: _stats([name], src) for name in dims}
    else:
        cols = [_group_col(src, n) for n in dims]
        value = src.c.elapsed_seconds
        stmt = sa.select(*cols, sa.func.grouping(*cols).label("set"), sa.func.count().label("total"),
                         sa.func.sum(sa.case((src.c.breached, 1), else_=0)).label("breached"), _percentiles(value)) \
            .group_by(sa.func.grouping_sets(*[sa.tuple_(c) for c in cols]))
        out = {name: [] for name in dims}
        for r in db.session.execute(stmt):
            d = _stat_row(r)
            # grouping(a, b, c, d) sets a bit for every column NOT in the row's grouping set
            bits = d.pop("set")
            name = next(n for i, n in enumerate(dims) if not (bits >> (len(dims) - 1 - i)) & 1)
            out[name].append({name: d[name], **{k: v for k, v in d.items() if k not in dims}})
    if "insurer_id" in out:  # claim timers only (others have no insurer), and only when claims are in scope
        out["insurer_id"] = [r for r in out["insurer_id"] if r["insurer_id"] is not None] \
            if f.includes("claim") else []
    return out


def by_policy(f: Filters, stats: dict | None = None) -> list[dict]:
    rows = (stats if stats is not None else stats_by(f, dims=("policy_key",)))["policy_key"]
    return sorted(rows, key=lambda r: r["policy_key"])


def by_holder(f: Filters, stats: dict | None = None) -> list[dict]:
    """Per advisor (whoever held the case when the clock ended); unassigned cases as one row."""
    rows = (stats if stats is not None else stats_by(f, dims=("holder_id",)))["holder_id"]
    names = _user_names({r["holder_id"] for r in rows if r["holder_id"]})
    for r in rows:
        r["holder_name"] = names.get(r["holder_id"]) if r["holder_id"] else None
    return sorted(rows, key=lambda r: (-r["total"], r["holder_name"] or "~"))


def by_store(f: Filters, stats: dict | None = None) -> list[dict]:
    rows = (stats if stats is not None else stats_by(f, dims=("store_id",)))["store_id"]
    stores = _stores({r["store_id"] for r in rows})
    for r in rows:
        s = stores.get(r["store_id"])
        r["store_code"], r["store_name"] = (s.code, s.name) if s else (str(r["store_id"]), "")
    return sorted(rows, key=lambda r: r["store_code"])


def by_insurer(f: Filters, stats: dict | None = None) -> list[dict]:
    """Claim clocks per insurer (empty unless claims are in scope)."""
    rows = (stats if stats is not None else stats_by(f, dims=("insurer_id",)))["insurer_id"]
    names = _insurer_names({r["insurer_id"] for r in rows})
    for r in rows:
        r["insurer_name"] = names.get(r["insurer_id"], str(r["insurer_id"]))
    return sorted(rows, key=lambda r: r["insurer_name"])






def escalations_by_level(f: Filters, *, direct: bool = False) -> list[dict]:
    """Ladder steps fired in the period (1 warning, 2 breach, 3 further escalation) per level, and how
    many of them belong to a clock that is acknowledged now."""
    def conds(m):
        out = [m.fired_at >= f.date_from, m.fired_at < f.date_to, _store_filter(m.store_id, f)]
        if f.case_type:
            out.append(m.case_type == f.case_type)
        return out

    src = rollups.escalations_source(conds, direct=direct)
    counts = dict(db.session.execute(sa.select(src.c.level, sa.func.count()).group_by(src.c.level)).all())
    acknowledged = _acknowledged_by_level(f, conds)
    return [{"level": level, "count": int(counts[level]), "acknowledged": int(acknowledged.get(level, 0))}
            for level in sorted(counts)]


def _acknowledged_by_level(f: Filters, conds) -> dict[int, int]:
    """Escalations of the period whose clock is acknowledged — always live (an acknowledgement comes
    after the escalation it answers), read from the acknowledged clocks' side: a step fires before the
    acknowledgement that stops the ladder, and a restart clears it, so every such clock was
    acknowledged at or after `date_from` (partial index on acknowledged_at)."""
    e, c = SlaEscalation, SlaClock

    class Live:
        fired_at, store_id, case_type = e.fired_at, c.store_id, e.case_type

    stmt = sa.select(e.level, sa.func.count()).select_from(c).join(e, e.clock_id == c.id) \
        .where(c.acknowledged_at.is_not(None), c.acknowledged_at >= f.date_from, *conds(Live)).group_by(e.level)
    return dict(db.session.execute(stmt).all())


def paused_by_reason(f: Filters, *, direct: bool = False) -> list[dict]:
    """Paused time by reason on the clocks that ended in the period."""
    src = rollups.pauses_source(_fact_conditions(f), direct=direct)
    stmt = sa.select(src.c.reason, sa.func.count().label("clocks"), sa.func.sum(src.c.seconds).label("seconds")) \
        .group_by(src.c.reason).order_by(src.c.reason)
    return [{"reason": r.reason, "clocks": int(r.clocks), "seconds": round(float(r.seconds or 0), 1)}
            for r in db.session.execute(stmt)]
