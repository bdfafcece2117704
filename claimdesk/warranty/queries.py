"""Read side of warranty claims: the store-scoped list, number lookup, customer history, receivables by
brand and the rejection reasons (aggregates in SQL over the stored amounts)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..auth.permissions import scoped
from ..core.clock import now
from ..customers.models import Vehicle
from ..extensions import db
from .models import ZERO, WarrantyClaim, WarrantyClaimLine, outstanding_of
from .workflow import FINAL

AGEING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


def claim_list(user, args: dict):
    stmt = scoped(sa.select(WarrantyClaim), WarrantyClaim, user).options(
        selectinload(WarrantyClaim.vehicle), selectinload(WarrantyClaim.lines))
    for key in ("state", "store_id", "assignee_id", "customer_id", "work_order_id", "vehicle_id", "number"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(WarrantyClaim, key) == args[key])
    if args.get("make"):
        stmt = stmt.where(sa.func.lower(WarrantyClaim.make) == args["make"].strip().lower())
    if args.get("open_only"):
        stmt = stmt.where(WarrantyClaim.state.not_in(tuple(FINAL)))
    if args.get("created_from"):
        stmt = stmt.where(WarrantyClaim.created_at >= args["created_from"])
    if args.get("created_to"):
        stmt = stmt.where(WarrantyClaim.created_at < args["created_to"])
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.join(Vehicle, Vehicle.id == WarrantyClaim.vehicle_id).where(sa.or_(
            WarrantyClaim.number.ilike(like), WarrantyClaim.manufacturer_claim_number.ilike(like),
            Vehicle.plate.ilike(like)))
    return stmt.order_by(WarrantyClaim.id.desc())


def by_number(number: str, user) -> WarrantyClaim | None:
    return db.session.scalar(scoped(sa.select(WarrantyClaim), WarrantyClaim, user)
                             .where(WarrantyClaim.number == number.strip().upper()))


def customer_claims(customer_id: int, user) -> list[WarrantyClaim]:
    return list(db.session.scalars(scoped(sa.select(WarrantyClaim), WarrantyClaim, user)
                                   .where(WarrantyClaim.customer_id == customer_id)
                                   .order_by(WarrantyClaim.id.desc())))


def my_open_claims(user, limit: int = 10) -> list[WarrantyClaim]:
    stmt = scoped(sa.select(WarrantyClaim), WarrantyClaim, user).where(
        WarrantyClaim.state.not_in(tuple(FINAL)))
    if user.role == "advisor":
        stmt = stmt.where(WarrantyClaim.assignee_id == user.id)
    return list(db.session.scalars(stmt.order_by(WarrantyClaim.submission_due_at).limit(limit)))


def makes(user) -> list[str]:
    return list(db.session.scalars(scoped(sa.select(WarrantyClaim.make).distinct(), WarrantyClaim, user)
                                   .order_by(WarrantyClaim.make)))


def _bucket(days: int) -> int:
    for i, (low, high) in enumerate(AGEING_BUCKETS):
        if high is None or days <= high:
            return i
    return len(AGEING_BUCKETS) - 1


def receivables(store_ids=None, *, start=None, end=None) -> dict:
    """Warranty receivables by brand: claimed, approved, reimbursed, written off, outstanding (approved and
    not yet reimbursed) and its ageing in days since submission. `store_ids` None: every store."""
    wc = WarrantyClaim
    stmt = sa.select(wc.make, wc.state, wc.submitted_at, wc.claimed_amount, wc.approved_amount,
                     wc.reimbursed_amount, wc.written_off_amount).where(wc.state != "cancelled")
    if store_ids is not None:
        stmt = stmt.where(wc.store_id.in_(list(store_ids)))
    if start is not None:
        stmt = stmt.where(wc.created_at >= start)
    if end is not None:
        stmt = stmt.where(wc.created_at < end)
    t = now()
    brands: dict[str, dict] = {}
    for make, state, submitted_at, claimed, approved, reimbursed, off in db.session.execute(stmt):
        row = brands.setdefault(make or "—", {
            "make": make or "—", "claims": 0, "claimed": ZERO, "approved": ZERO, "reimbursed": ZERO,
            "written_off": ZERO, "outstanding": ZERO, "buckets": [ZERO] * len(AGEING_BUCKETS), "oldest_days": 0})
        row["claims"] += 1
        row["claimed"] += claimed or ZERO
        row["approved"] += approved or ZERO
        row["reimbursed"] += reimbursed or ZERO
        row["written_off"] += off or ZERO
        out = outstanding_of(claimed, approved, reimbursed, off) if state not in FINAL else ZERO
        if out > ZERO:
            row["outstanding"] += out
            days = (t - submitted_at).days if submitted_at else 0
            row["buckets"][_bucket(days)] += out
            row["oldest_days"] = max(row["oldest_days"], days)
    rows = sorted(brands.values(), key=lambda r: r["make"])
    totals = {k: sum((r[k] for r in rows), ZERO) for k in ("claimed", "approved", "reimbursed", "written_off",
                                                             "outstanding")}
    return {"brands": rows, "totals": totals}


def rejections(store_ids=None, *, start=None, end=None, top: int = 5) -> dict:
    """Rejection rate (decided lines rejected or cut, by count and by amount) and the top reason codes."""
    ln, wc = WarrantyClaimLine, WarrantyClaim
    base = sa.select(ln.status, ln.reason_code, ln.amount, ln.approved_amount).join(wc, wc.id == ln.claim_id) \
        .where(ln.status != "pending", wc.state != "cancelled")
    if store_ids is not None:
        base = base.where(wc.store_id.in_(list(store_ids)))
    if start is not None:
        base = base.where(wc.created_at >= start)
    if end is not None:
        base = base.where(wc.created_at < end)
    decided = rejected = 0
    claimed = cut = ZERO
    reasons: dict[str, dict] = {}
    for status, reason, amount, approved in db.session.execute(base):
        decided += 1
        claimed += amount
        if status in ("rejected", "partly"):
            rejected += 1
            lost = amount - (approved or ZERO)
            cut += lost
            r = reasons.setdefault(reason or "other", {"reason": reason or "other", "lines": 0, "amount": ZERO})
            r["lines"] += 1
            r["amount"] += lost
    top_reasons = sorted(reasons.values(), key=lambda r: (-r["lines"], -r["amount"], r["reason"]))[:top]
    return {"decided_lines": decided, "rejected_lines": rejected,
            "rate": round(rejected / decided, 4) if decided else 0.0,
            "claimed": claimed, "rejected_amount": cut, "reasons": top_reasons}
