"""Read side of complaints: filtered lists, "my complaints", customer history, number lookup."""
from __future__ import annotations

import re

import sqlalchemy as sa

from ..auth.permissions import scoped
from ..cases.api import case_list
from ..customers import validators as v
from ..customers.models import Customer, Vehicle
from ..extensions import db
from .models import Complaint


def _prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def customer_match(q: str):
    """A condition on Complaint for a search-box query: phone, plate, VIN, number or name."""
    q = q.strip()
    kind = v.looks_like(q)
    if kind == "number":
        return Complaint.number == q.upper()
    if kind == "phone":
        digits = re.sub(r"[^\d-]", "", q)
        sub = sa.select(Customer.id).where(sa.or_(Customer.phone.like(_prefix(digits), escape="\\"),
                                                  Customer.alt_phone.like(_prefix(digits), escape="\\")))
        return Complaint.customer_id.in_(sub)
    if kind in ("plate", "vin"):
        col = Vehicle.plate if kind == "plate" else Vehicle.vin
        value = _prefix(q.upper().replace(" ", ""))
        vehicles = sa.select(Vehicle.id).where(col.like(value, escape="\\"))
        owners = sa.select(Vehicle.customer_id).where(col.like(value, escape="\\"))
        # The complaint names the vehicle, or (no vehicle given) its customer owns it.
        return sa.or_(Complaint.vehicle_id.in_(vehicles),
                      sa.and_(Complaint.vehicle_id.is_(None), Complaint.customer_id.in_(owners)))
    return Complaint.customer_id.in_(sa.select(Customer.id).where(Customer.name.like(_prefix(q), escape="\\")))


def complaint_list(user, args: dict):
    from .workflow import WF

    stmt = case_list(WF, args, user)
    for key in ("channel", "category", "severity", "attribution", "vehicle_id", "work_order_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(Complaint, key) == args[key])
    if args.get("escalated") is True:
        stmt = stmt.where(Complaint.escalation_level > 0)
    elif args.get("escalated") is False:
        stmt = stmt.where(Complaint.escalation_level == 0)
    if args.get("open") is True:
        stmt = stmt.where(Complaint.state != "closed")
    elif args.get("open") is False:
        stmt = stmt.where(Complaint.state == "closed")
    if args.get("mine"):
        stmt = stmt.where(mine_condition(user))
    if (args.get("q") or "").strip():
        stmt = stmt.where(customer_match(args["q"]))
    return stmt


def mine_condition(user):
    return sa.or_(Complaint.assignee_id == user.id, Complaint.escalated_to_id == user.id)


def my_open(user, limit: int | None = None):
    """Open complaints assigned or escalated to the user, most urgent first."""
    severity_rank = sa.case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=Complaint.severity, else_=4)
    stmt = scoped(sa.select(Complaint), Complaint, user).where(Complaint.state != "closed", mine_condition(user))
    stmt = stmt.order_by(Complaint.escalation_level.desc(), severity_rank, Complaint.created_at)
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt).unique())


def escalated_open(user, limit: int = 10):
    stmt = scoped(sa.select(Complaint), Complaint, user).where(
        Complaint.state != "closed", Complaint.escalation_level > 0,
        Complaint.escalation_acknowledged_by_id.is_(None)).order_by(Complaint.created_at).limit(limit)
    return list(db.session.scalars(stmt).unique())


def for_customer(customer_id: int, user) -> list[Complaint]:
    stmt = scoped(sa.select(Complaint), Complaint, user).where(Complaint.customer_id == customer_id)
    return list(db.session.scalars(stmt.order_by(Complaint.created_at.desc())).unique())


def by_number(number: str, user) -> Complaint | None:
    stmt = scoped(sa.select(Complaint), Complaint, user).where(Complaint.number == number)
    return db.session.scalars(stmt).unique().first()


def customer_work_orders(customer_id: int, limit: int = 20):
    """The customer's recent visits, to pick the one a complaint is about."""
    from ..workorders.models import WorkOrder

    stmt = sa.select(WorkOrder).where(WorkOrder.customer_id == customer_id).order_by(WorkOrder.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))
