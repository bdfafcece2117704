"""The managers' aggregates, all computed in SQL: GROUP BY over indexed columns of the cases and the
immutable SLA clock facts. Nothing here loads case or fact rows into Python — every function
returns a few grouped rows (one per policy, advisor, store, stage, month …).

The SLA figures (stats, pauses, escalations) read the dashboard's fold-maintained copies of the
append-only SLA ledgers plus the live rows after their watermark (rollups.py): the same numbers as
aggregating the ledgers directly (`direct=True`), without their joins and JSON.

Percentiles are `percentile_cont` on PostgreSQL; SQLite has no ordered-set aggregates, so there the
same linear interpolation is done with window functions (row_number / count over the group).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from ..auth.models import Store, User
from ..claims.models import Claim, ClaimDocument, ClaimPayout, Insurer
from ..complaints.models import Complaint
from ..core.types import money
from ..core.workflow import REGISTRY
from ..extensions import db
from ..sla.models import SlaClock, SlaEscalation
from ..workorders.models import WorkOrder
from . import rollups
from .models import CASE_TYPES

#: backlog age buckets: (key, lower bound in days); a case falls in the last bucket whose bound it passed
AGE_BUCKETS = (("lt1d", 0), ("1to3d", 1), ("3to7d", 3), ("7to30d", 7), ("gt30d", 30))
#: payout ageing since submission to the insurer (days)
PAYOUT_BUCKETS = (("0to30d", 0), ("31to60d", 30), ("61to90d", 60), ("gt90d", 90))
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Filters:
    """What every aggregate is restricted to. `store_ids` None = every store (group-wide, no filter)."""

    store_ids: tuple[int, ...] | None
    date_from: datetime
    date_to: datetime
    case_type: str | None
    now: datetime
    tz: str = "Asia/Shanghai"
    extra: dict = field(default_factory=dict)

    def includes(self, case_type: str) -> bool:
        return self.case_type is None or self.case_type == case_type


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _store_filter(column, f: Filters):
    if f.store_ids is None:
        return sa.true()
    if len(f.store_ids) == 1:
        return column == f.store_ids[0]
    return column.in_(f.store_ids)


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
    """Ended, not cancelled clocks of the period: the folded copy plus the live tail (rollups.py), or
    with direct=True only the SLA facts — the reference the copy must always agree with."""
    return rollups.facts_source(_fact_conditions(f), direct=direct)


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
                      sa.func.row_number().over(partition_by=cols_in, order_by=value).label("rn"),
                      sa.func.count().over(partition_by=cols_in).label("n")).where(*where).subquery()
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


def _user_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return {i: full or user for i, full, user in db.session.execute(
        sa.select(User.id, User.full_name, User.username).where(User.id.in_(sorted(ids))))}


def _stores(ids) -> dict[int, Store]:
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(sa.select(Store).where(Store.id.in_(sorted(ids))))}


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


# --- backlog -----------------------------------------------------------------------------------------
def _age_bucket(created_at, now: datetime):
    """Bucket i holds the cases younger than the next bucket's lower bound."""
    whens = [(created_at > now - timedelta(days=AGE_BUCKETS[i + 1][1]), AGE_BUCKETS[i][0])
             for i in range(len(AGE_BUCKETS) - 1)]
    return sa.case(*whens, else_=AGE_BUCKETS[-1][0])


def backlog(f: Filters) -> list[dict]:
    """Open cases by case type, stage and age (since the case was opened): one GROUP BY per type."""
    out = []
    for case_type in CASE_TYPES:
        if not f.includes(case_type) or case_type not in REGISTRY:
            continue
        wf = REGISTRY[case_type]
        t = wf.model.__table__
        open_states = [s for s in wf.states if s not in wf.final_states]
        bucket = _age_bucket(t.c.created_at, f.now).label("bucket")
        stmt = sa.select(t.c.state, bucket, sa.func.count().label("count")) \
            .where(t.c.state.in_(open_states), _store_filter(t.c.store_id, f)).group_by(t.c.state, bucket)
        counts = {(r.state, r.bucket): int(r.count) for r in db.session.execute(stmt)}
        for state in open_states:
            row = {"case_type": case_type, "state": state,
                   "buckets": {key: counts.get((state, key), 0) for key, _d in AGE_BUCKETS}}
            row["total"] = sum(row["buckets"].values())
            out.append(row)
    return out


# --- complaints ----------------------------------------------------------------------------------------
def granularity(f: Filters) -> str:
    return "week" if (f.date_to - f.date_from) <= timedelta(days=93) else "month"


def _offset_minutes(f: Filters) -> int:
    from zoneinfo import ZoneInfo

    return int(f.now.astimezone(ZoneInfo(f.tz)).utcoffset().total_seconds() // 60)


def period_label(column, f: Filters):
    """'2026-03' (month) or the Monday '2026-03-02' (week) of a UTC timestamp, in the store's zone."""
    grain = granularity(f)
    if _dialect() == "postgresql":
        local = sa.func.timezone(f.tz, column)
        if grain == "month":
            return sa.func.to_char(local, "YYYY-MM")
        return sa.func.to_char(sa.func.date_trunc("week", local), "YYYY-MM-DD")
    shift = f"{_offset_minutes(f):+d} minutes"
    if grain == "month":
        return sa.func.strftime("%Y-%m", column, shift)
    return sa.func.date(column, shift, "-6 days", "weekday 1")


def complaints_over_time(f: Filters, by: str) -> list[dict]:
    """Complaints logged per period and category (or channel)."""
    if not f.includes("complaint"):
        return []
    col = getattr(Complaint, by)
    period = period_label(Complaint.created_at, f).label("period")
    stmt = sa.select(period, col.label("key"), sa.func.count().label("count")).where(
        Complaint.created_at >= f.date_from, Complaint.created_at < f.date_to,
        _store_filter(Complaint.store_id, f)).group_by(period, col).order_by(period, col)
    return [{"period": r.period, "key": r.key, "count": int(r.count)} for r in db.session.execute(stmt)]


def complaint_outcomes(f: Filters) -> dict:
    """Of the complaints logged in the period: how many, reached a follow-up, reopened (not satisfied at
    a follow-up at least once), and the last follow-up's answer."""
    if not f.includes("complaint"):
        return {"logged": 0, "followed_up": 0, "reopened": 0, "reopen_rate": None, "satisfied": 0,
                "not_satisfied": 0, "satisfaction_rate": None}
    c = Complaint
    row = db.session.execute(sa.select(
        sa.func.count(),
        sa.func.count(c.followed_up_at),
        sa.func.count().filter(c.reopen_count > 0),
        sa.func.count().filter(c.satisfied.is_(True)),
        sa.func.count().filter(c.satisfied.is_(False)),
    ).where(c.created_at >= f.date_from, c.created_at < f.date_to, _store_filter(c.store_id, f))).one()
    logged, followed, reopened, sat, unsat = (int(x or 0) for x in row)
    return {"logged": logged, "followed_up": followed, "reopened": reopened,
            "reopen_rate": round(reopened / followed, 4) if followed else None,
            "satisfied": sat, "not_satisfied": unsat,
            "satisfaction_rate": round(sat / (sat + unsat), 4) if sat + unsat else None}


def work_order_satisfaction(f: Filters) -> dict:
    """Callbacks after delivery recorded in the period: answers 1–5, average, share of 4–5."""
    empty = {"callbacks": 0, "scores": {str(i): 0 for i in range(1, 6)}, "average": None, "satisfied_rate": None}
    if not f.includes("work_order"):
        return empty
    w = WorkOrder
    stmt = sa.select(w.satisfaction, sa.func.count()).where(
        w.followed_up_at >= f.date_from, w.followed_up_at < f.date_to, w.satisfaction.is_not(None),
        _store_filter(w.store_id, f)).group_by(w.satisfaction)
    scores = {str(i): 0 for i in range(1, 6)}
    for score, count in db.session.execute(stmt):
        scores[str(score)] = int(count)
    total = sum(scores.values())
    if not total:
        return empty
    avg = sum(int(k) * v for k, v in scores.items()) / total
    return {"callbacks": total, "scores": scores, "average": round(avg, 2),
            "satisfied_rate": round((scores["4"] + scores["5"]) / total, 4)}


# --- claims money ----------------------------------------------------------------------------------------
def _received():
    """What the insurer paid on this claim so far: a correlated sum over its payouts (claim_id index)."""
    return sa.func.coalesce(sa.select(sa.func.sum(ClaimPayout.amount)).where(ClaimPayout.claim_id == Claim.id)
                            .correlate(Claim).scalar_subquery(), 0)


def documents_waiting(f: Filters, limit: int = 50) -> dict:
    """Claims in the documents stage with required items not yet verified: per insurer, and the oldest."""
    if not f.includes("claim"):
        return {"by_insurer": [], "claims": [], "total": 0}
    missing = sa.select(ClaimDocument.claim_id, sa.func.count().label("missing")).where(
        ClaimDocument.required.is_(True), ClaimDocument.status != "verified").group_by(ClaimDocument.claim_id) \
        .subquery()
    base = [Claim.state == "documents", _store_filter(Claim.store_id, f)]
    since = sa.func.coalesce(Claim.repair_completed_at, Claim.updated_at)
    per = sa.select(Claim.insurer_id, sa.func.count().label("claims"), sa.func.sum(missing.c.missing).label("items"),
                    sa.func.min(since).label("oldest")) \
        .join(missing, missing.c.claim_id == Claim.id).where(*base).group_by(Claim.insurer_id)
    rows = [dict(r._mapping) for r in db.session.execute(per)]
    names = _insurer_names({r["insurer_id"] for r in rows})
    for r in rows:
        r["insurer_name"] = names.get(r["insurer_id"], str(r["insurer_id"]))
        r["items"] = int(r["items"] or 0)
        r["oldest_days"] = round((f.now - _aware(r.pop("oldest"))).total_seconds() / 86400, 1) \
            if r.get("oldest") else None
    oldest = sa.select(Claim.id, Claim.number, Claim.insurer_id, since.label("since"), missing.c.missing) \
        .join(missing, missing.c.claim_id == Claim.id).where(*base).order_by(since, Claim.id).limit(limit)
    claims = []
    for r in db.session.execute(oldest):
        claims.append({"claim_id": r.id, "number": r.number, "insurer_name": names.get(r.insurer_id, ""),
                       "missing": int(r.missing),
                       "waiting_days": round((f.now - _aware(r.since)).total_seconds() / 86400, 1)})
    return {"by_insurer": sorted(rows, key=lambda r: r["insurer_name"]), "claims": claims,
            "total": sum(r["claims"] for r in rows)}


def _aware(value):
    from ..core.clock import utc

    return utc(value)


def _insurer_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Insurer.id, sa.func.coalesce(Insurer.short_name, Insurer.name))
                                   .where(Insurer.id.in_(sorted(ids)))).all())


def payouts(f: Filters) -> dict:
    """Per insurer: claimed from the insurer in the period vs received so far on those claims, and what
    is outstanding now on every submitted claim not yet fully paid, aged since submission."""
    if not f.includes("claim"):
        return {"by_insurer": [], "totals": _money_totals([])}
    received = _received()
    submitted = sa.select(Claim.insurer_id, sa.func.count().label("claims"),
                          sa.func.sum(Claim.claimed_amount).label("expected"),
                          sa.func.sum(received).label("received")) \
        .where(Claim.submitted_at >= f.date_from, Claim.submitted_at < f.date_to,
               _store_filter(Claim.store_id, f)).group_by(Claim.insurer_id)
    rows: dict[int, dict] = {}

    def row(insurer_id):
        return rows.setdefault(insurer_id, {"insurer_id": insurer_id, "claims": 0, "expected": ZERO,
                                            "received": ZERO, "outstanding": ZERO, "outstanding_claims": 0,
                                            "ageing": {k: ZERO for k, _d in PAYOUT_BUCKETS}})

    for r in db.session.execute(submitted):
        d = row(r.insurer_id)
        d["claims"] = int(r.claims)
        d["expected"] = money(r.expected or 0)
        d["received"] = money(r.received or 0)
    outstanding = Claim.claimed_amount - received
    age_days = [(Claim.submitted_at > f.now - timedelta(days=PAYOUT_BUCKETS[i + 1][1]), PAYOUT_BUCKETS[i][0])
                for i in range(len(PAYOUT_BUCKETS) - 1)]
    bucket = sa.case(*age_days, else_=PAYOUT_BUCKETS[-1][0]).label("bucket")
    open_stmt = sa.select(Claim.insurer_id, bucket, sa.func.count().label("claims"),
                          sa.func.sum(outstanding).label("outstanding")) \
        .where(Claim.state == "payout", Claim.fully_paid_at.is_(None), Claim.submitted_at.is_not(None),
               _store_filter(Claim.store_id, f)).group_by(Claim.insurer_id, bucket)
    for r in db.session.execute(open_stmt):
        d = row(r.insurer_id)
        amount = money(r.outstanding or 0)
        d["ageing"][r.bucket] += amount
        d["outstanding"] += amount
        d["outstanding_claims"] += int(r.claims)
    names = _insurer_names(set(rows))
    out = []
    for d in rows.values():
        d["insurer_name"] = names.get(d["insurer_id"], str(d["insurer_id"]))
        out.append(d)
    out.sort(key=lambda d: d["insurer_name"])
    return {"by_insurer": out, "totals": _money_totals(out)}


def _money_totals(rows) -> dict:
    return {"claims": sum(r["claims"] for r in rows), "expected": sum((r["expected"] for r in rows), ZERO),
            "received": sum((r["received"] for r in rows), ZERO),
            "outstanding": sum((r["outstanding"] for r in rows), ZERO),
            "ageing": {k: sum((r["ageing"][k] for r in rows), ZERO) for k, _d in PAYOUT_BUCKETS}}


# --- monthly report --------------------------------------------------------------------------------
def case_counts(f: Filters) -> list[dict]:
    """Per case type: opened and closed in the period, open at its end."""
    out = []
    for case_type in CASE_TYPES:
        if not f.includes(case_type) or case_type not in REGISTRY:
            continue
        wf = REGISTRY[case_type]
        t = wf.model.__table__
        scope = _store_filter(t.c.store_id, f)
        in_period = lambda col: sa.and_(col >= f.date_from, col < f.date_to)
        row = db.session.execute(sa.select(
            sa.select(sa.func.count()).where(scope, in_period(t.c.created_at)).scalar_subquery(),
            sa.select(sa.func.count()).where(scope, in_period(t.c.closed_at)).scalar_subquery(),
            sa.select(sa.func.count()).where(scope, t.c.created_at < f.date_to, sa.or_(
                t.c.closed_at.is_(None), t.c.closed_at >= f.date_to)).scalar_subquery(),
        )).one()
        out.append({"case_type": case_type, "opened": int(row[0]), "closed": int(row[1]),
                    "open_at_end": int(row[2])})
    return out


def top_categories(f: Filters, limit: int = 5) -> list[dict]:
    if not f.includes("complaint"):
        return []
    c = Complaint
    stmt = sa.select(c.category, sa.func.count().label("count")).where(
        c.created_at >= f.date_from, c.created_at < f.date_to, _store_filter(c.store_id, f)) \
        .group_by(c.category).order_by(sa.func.count().desc(), c.category).limit(limit)
    return [{"category": r.category, "count": int(r.count)} for r in db.session.execute(stmt)]


def claims_money(f: Filters) -> dict:
    """Claims money of the period: approved at assessment, invoiced and claimed at submission, paid."""
    if not f.includes("claim"):
        return {"assessed": 0, "approved": ZERO, "submitted": 0, "claimed": ZERO, "invoiced": ZERO,
                "payouts": 0, "paid": ZERO}
    scope = _store_filter(Claim.store_id, f)
    assessed = db.session.execute(sa.select(sa.func.count(), sa.func.sum(Claim.approved_amount)).where(
        scope, Claim.assessed_at >= f.date_from, Claim.assessed_at < f.date_to)).one()
    sub = db.session.execute(sa.select(sa.func.count(), sa.func.sum(Claim.claimed_amount),
                                       sa.func.sum(Claim.invoiced_amount)).where(
        scope, Claim.submitted_at >= f.date_from, Claim.submitted_at < f.date_to)).one()
    paid = db.session.execute(sa.select(sa.func.count(), sa.func.sum(ClaimPayout.amount))
                              .join(Claim, Claim.id == ClaimPayout.claim_id).where(
        scope, ClaimPayout.paid_at >= f.date_from, ClaimPayout.paid_at < f.date_to)).one()
    return {"assessed": int(assessed[0]), "approved": money(assessed[1] or 0), "submitted": int(sub[0]),
            "claimed": money(sub[1] or 0), "invoiced": money(sub[2] or 0), "payouts": int(paid[0]),
            "paid": money(paid[1] or 0)}


def store_choices(user) -> list[Store]:
    from ..auth.permissions import visible_store_ids

    ids = visible_store_ids(user)
    stmt = sa.select(Store).order_by(Store.code)
    if ids is not None:
        stmt = stmt.where(Store.id.in_(ids))
    return list(db.session.scalars(stmt))
