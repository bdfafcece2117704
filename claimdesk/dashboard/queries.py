"""The managers' aggregates, all computed in SQL: GROUP BY over indexed columns of the cases and the
immutable SLA clock facts. Nothing here loads case or fact rows into Python — every function
returns a few grouped rows (one per policy, advisor, store, stage, month …).

This module: open cases (backlog), complaints and satisfaction, claims money and the monthly
report's counts. The SLA figures live in queries_sla.py, the shared filters in queries_base.py; both
are re-exported here, so `queries.<name>` finds every aggregate.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from ..auth.models import Store
from ..claims.models import Claim, ClaimDocument, ClaimPayout
from ..complaints.models import Complaint
from ..core.types import money
from ..core.workflow import REGISTRY
from ..extensions import db
from ..workorders.models import WorkOrder
from .queries_base import (CASE_TYPES, Filters, _aware, _dialect, _insurer_names,  # noqa: F401
                           _store_filter, _stores, _user_names)
from .queries_sla import (DIMENSIONS, _facts, _stats, _work_mem, at_risk_expr, breached_expr,  # noqa: F401
                          by_holder, by_insurer, by_policy, by_store, escalations_by_level, live_counts,
                          paused_by_reason, policy_keys, stats_by, urgent_clocks)

#: backlog age buckets: (key, lower bound in days); a case falls in the last bucket whose bound it passed
AGE_BUCKETS = (("lt1d", 0), ("1to3d", 1), ("3to7d", 3), ("7to30d", 7), ("gt30d", 30))
#: payout ageing since submission to the insurer (days)
PAYOUT_BUCKETS = (("0to30d", 0), ("31to60d", 30), ("61to90d", 60), ("gt90d", 90))
ZERO = Decimal("0.00")


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
