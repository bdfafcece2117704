"""Read side of claims: filtered lists, the board, waiting-on-documents and receivables (ageing)."""
from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..auth.permissions import scoped
from ..cases.api import case_list
from ..core.clock import now
from ..customers.models import Vehicle
from ..extensions import db
from .models import ZERO, Claim, ClaimDocument, ClaimPayout, Insurer
from .workflow import OPEN_STATES, WF

AGEING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))

_LOAD = (selectinload(Claim.checklist), selectinload(Claim.supplements), selectinload(Claim.payouts),
         selectinload(Claim.insurer), selectinload(Claim.vehicle), selectinload(Claim.customer))


def _missing_docs_exists():
    return sa.exists().where(ClaimDocument.claim_id == Claim.id, ClaimDocument.required.is_(True),
                             ClaimDocument.status != "verified")


def claim_list(user, args: dict):
    stmt = case_list(WF, args, user, sa.select(Claim).options(*_LOAD))
    if args.get("insurer_id"):
        stmt = stmt.where(Claim.insurer_id == args["insurer_id"])
    if args.get("vehicle_id"):
        stmt = stmt.where(Claim.vehicle_id == args["vehicle_id"])
    if args.get("report_number"):
        stmt = stmt.where(Claim.report_number == args["report_number"].strip())
    if args.get("missing_documents") is not None:
        cond = _missing_docs_exists()
        stmt = stmt.where(cond if args["missing_documents"] else ~cond)
    q = (args.get("q") or "").strip()
    if q:
        plate_ids = sa.select(Vehicle.id).where(Vehicle.plate == q.upper().replace(" ", ""))
        stmt = stmt.where(sa.or_(Claim.number == q.upper(), Claim.report_number == q, Claim.policy_number == q,
                                 Claim.vehicle_id.in_(plate_ids)))
    return stmt


def open_claims(user, insurer_id: int | None = None) -> list[Claim]:
    stmt = scoped(sa.select(Claim).options(*_LOAD), Claim, user).where(Claim.state.in_(OPEN_STATES))
    if insurer_id:
        stmt = stmt.where(Claim.insurer_id == insurer_id)
    return list(db.session.scalars(stmt.order_by(Claim.updated_at)).unique())


def board(user, insurer_id: int | None = None) -> OrderedDict:
    """Open claims by stage, oldest change first (what has waited longest is on top)."""
    columns: OrderedDict = OrderedDict((s, []) for s in OPEN_STATES)
    for claim in open_claims(user, insurer_id):
        columns[claim.state].append(claim)
    return columns


def insurer_counts(user) -> list[tuple[Insurer, int]]:
    stmt = scoped(sa.select(Claim.insurer_id, sa.func.count()).where(Claim.state.in_(OPEN_STATES)), Claim, user)
    counts = dict(db.session.execute(stmt.group_by(Claim.insurer_id)).all())
    insurers = db.session.scalars(sa.select(Insurer).order_by(Insurer.name))
    return [(i, counts.get(i.id, 0)) for i in insurers if i.active or counts.get(i.id)]


def waiting_documents(user, insurer_id: int | None = None) -> list[Claim]:
    """Claims whose required documents are not all verified: in documents first, then still in repair."""
    stmt = scoped(sa.select(Claim).options(*_LOAD), Claim, user).where(
        Claim.state.in_(("repair", "documents")), _missing_docs_exists())
    if insurer_id:
        stmt = stmt.where(Claim.insurer_id == insurer_id)
    order = sa.case((Claim.state == "documents", 0), else_=1)
    return list(db.session.scalars(stmt.order_by(order, Claim.repair_completed_at, Claim.id)).unique())


def _bucket(days: int) -> int:
    for index, (low, high) in enumerate(AGEING_BUCKETS):
        if high is None or days <= high:
            return index
    return len(AGEING_BUCKETS) - 1


def receivables(user, insurer_id: int | None = None, store_id: int | None = None) -> dict:
    """Submitted claims not yet fully paid: what each insurer still owes, aged from submission."""
    paid = sa.select(ClaimPayout.claim_id, sa.func.sum(ClaimPayout.amount).label("paid")) \
        .group_by(ClaimPayout.claim_id).subquery()
    stmt = scoped(sa.select(Claim, sa.func.coalesce(paid.c.paid, 0)), Claim, user) \
        .outerjoin(paid, paid.c.claim_id == Claim.id) \
        .where(Claim.state == "payout", Claim.fully_paid_at.is_(None))
    if insurer_id:
        stmt = stmt.where(Claim.insurer_id == insurer_id)
    if store_id:
        stmt = stmt.where(Claim.store_id == store_id)
    t = now()
    rows, by_insurer = [], OrderedDict()
    totals = {"claims": 0, "claimed": ZERO, "paid": ZERO, "outstanding": ZERO,
              "buckets": [ZERO for _ in AGEING_BUCKETS]}
    for claim, paid_amount in db.session.execute(stmt.order_by(Claim.submitted_at)).all():
        paid_amount = Decimal(paid_amount or 0).quantize(Decimal("0.01"))
        claimed = claim.expected_payout
        outstanding = max(claimed - paid_amount, ZERO)
        days = max((t - claim.submitted_at).days, 0) if claim.submitted_at else 0
        bucket = _bucket(days)
        rows.append({"claim": claim, "claimed": claimed, "paid": paid_amount, "outstanding": outstanding,
                     "days": days, "bucket": bucket})
        agg = by_insurer.setdefault(claim.insurer_id, {
            "insurer": claim.insurer, "claims": 0, "claimed": ZERO, "paid": ZERO, "outstanding": ZERO,
            "buckets": [ZERO for _ in AGEING_BUCKETS], "oldest_days": 0})
        for target in (agg, totals):
            target["claims"] += 1
            target["claimed"] += claimed
            target["paid"] += paid_amount
            target["outstanding"] += outstanding
            target["buckets"][bucket] += outstanding
        agg["oldest_days"] = max(agg["oldest_days"], days)
    return {"rows": rows, "by_insurer": list(by_insurer.values()), "totals": totals}


def customer_claims(customer_id: int, user) -> list[Claim]:
    stmt = scoped(sa.select(Claim), Claim, user).where(Claim.customer_id == customer_id)
    return list(db.session.scalars(stmt.order_by(Claim.id.desc())))


def my_open_claims(user, limit: int = 8) -> list[Claim]:
    stmt = scoped(sa.select(Claim).options(*_LOAD), Claim, user).where(Claim.state.in_(OPEN_STATES))
    if user.role == "advisor":
        stmt = stmt.where(sa.or_(Claim.assignee_id == user.id, Claim.assignee_id.is_(None)))
    return list(db.session.scalars(stmt.order_by(Claim.updated_at).limit(limit)).unique())


def by_number(number: str, user) -> Claim | None:
    return db.session.scalar(scoped(sa.select(Claim), Claim, user).where(Claim.number == number))
