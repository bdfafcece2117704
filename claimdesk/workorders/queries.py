"""Read side of work orders: the advisor's list, the workshop board, a vehicle's history."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.permissions import scoped
from ..cases.api import case_list
from ..customers.models import Customer, Vehicle
from ..extensions import db
from .models import OPEN_STATES, WorkOrder, WorkOrderLine


def _prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def work_order_list(user, args: dict):
    from .workflow import WF

    stmt = case_list(WF, args, user)
    for key in ("vehicle_id", "parent_id", "team", "priority", "pay_type"):
        if args.get(key) is not None and args.get(key) != "":
            stmt = stmt.where(getattr(WorkOrder, key) == args[key])
    if args.get("open"):
        stmt = stmt.where(WorkOrder.state.in_(OPEN_STATES))
    q = (args.get("q") or "").strip()
    if q:
        up = q.upper().replace(" ", "")
        stmt = stmt.where(sa.or_(
            WorkOrder.number.like(_prefix(up), escape="\\"),
            WorkOrder.vehicle_id.in_(sa.select(Vehicle.id).where(Vehicle.plate.like(_prefix(up), escape="\\"))),
            WorkOrder.customer_id.in_(sa.select(Customer.id).where(Customer.name.like(_prefix(q), escape="\\"))),
        ))
    return stmt


def board(user, team: str | None = None) -> dict[str, list[WorkOrder]]:
    """Open work orders from authorisation to delivery, by state, most urgent first."""
    states = ["authorised", "in_repair", "quality_check", "ready"]
    priority_rank = sa.case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=WorkOrder.priority, else_=4)
    stmt = scoped(sa.select(WorkOrder), WorkOrder, user).where(WorkOrder.state.in_(states))
    if team:
        stmt = stmt.where(WorkOrder.team == team)
    stmt = stmt.order_by(priority_rank, WorkOrder.promised_at.is_(None), WorkOrder.promised_at, WorkOrder.id)
    out: dict[str, list[WorkOrder]] = {s: [] for s in states}
    for wo in db.session.scalars(stmt).unique():
        out[wo.state].append(wo)
    return out


def teams(user) -> list[str]:
    stmt = scoped(sa.select(WorkOrder.team).distinct(), WorkOrder, user).where(WorkOrder.team.is_not(None))
    return sorted(t for t in db.session.scalars(stmt) if t)


def recommendations(wo: WorkOrder) -> list[WorkOrderLine]:
    """Items declined or deferred at earlier visits of this vehicle (to offer again at reception)."""
    stmt = (sa.select(WorkOrderLine).join(WorkOrder, WorkOrderLine.work_order_id == WorkOrder.id)
            .where(WorkOrder.vehicle_id == wo.vehicle_id, WorkOrder.id != wo.id,
                   WorkOrderLine.decision.in_(("declined", "deferred")))
            .order_by(WorkOrderLine.id.desc()).limit(20))
    return list(db.session.scalars(stmt))


def for_customer(customer_id: int, user) -> list[WorkOrder]:
    stmt = scoped(sa.select(WorkOrder), WorkOrder, user).where(WorkOrder.customer_id == customer_id)
    return list(db.session.scalars(stmt.order_by(WorkOrder.id.desc()).limit(200)).unique())


def by_number(number: str, user) -> WorkOrder | None:
    stmt = scoped(sa.select(WorkOrder), WorkOrder, user).where(WorkOrder.number == number)
    return db.session.scalars(stmt).unique().first()
