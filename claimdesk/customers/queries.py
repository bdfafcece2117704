"""Read side of the archive: search by phone, plate, VIN, name (indexed prefix matches)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..auth.permissions import scoped
from ..extensions import db
from . import validators as v
from .models import Customer, Vehicle


def _prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def customer_search(user, args: dict):
    stmt = scoped(sa.select(Customer), Customer, user).options(selectinload(Customer.vehicles))
    if args.get("store_id"):
        stmt = stmt.where(Customer.store_id == args["store_id"])
    q = (args.get("q") or "").strip()
    if q:
        kind = v.looks_like(q)
        if kind == "phone":
            digits = re.sub(r"[^\d-]", "", q)
            stmt = stmt.where(sa.or_(Customer.phone.like(_prefix(digits), escape="\\"),
                                     Customer.alt_phone.like(_prefix(digits), escape="\\")))
        elif kind in ("plate", "vin"):
            col = Vehicle.plate if kind == "plate" else Vehicle.vin
            sub = sa.select(Vehicle.customer_id).where(col.like(_prefix(q.upper().replace(" ", "")), escape="\\"))
            stmt = stmt.where(Customer.id.in_(sub))
        else:
            stmt = stmt.where(Customer.name.like(_prefix(q), escape="\\"))
    if args.get("phone"):
        stmt = stmt.where(Customer.phone == args["phone"])
    if args.get("name"):
        stmt = stmt.where(Customer.name.like(_prefix(args["name"]), escape="\\"))
    return stmt.order_by(Customer.id.desc())


def vehicle_search(user, args: dict):
    stmt = scoped(sa.select(Vehicle), Vehicle, user)
    q = (args.get("q") or "").strip().upper().replace(" ", "")
    if q:
        stmt = stmt.where(sa.or_(Vehicle.plate.like(_prefix(q), escape="\\"),
                                 Vehicle.vin.like(_prefix(q), escape="\\")))
    if args.get("plate"):
        stmt = stmt.where(Vehicle.plate == args["plate"].upper().replace(" ", ""))
    if args.get("vin"):
        stmt = stmt.where(Vehicle.vin == args["vin"].upper())
    if args.get("customer_id"):
        stmt = stmt.where(Vehicle.customer_id == args["customer_id"])
    if args.get("store_id"):
        stmt = stmt.where(Vehicle.store_id == args["store_id"])
    return stmt.order_by(Vehicle.id.desc())


def customer_vehicles(customer_id: int) -> list[Vehicle]:
    return list(db.session.scalars(sa.select(Vehicle).where(Vehicle.customer_id == customer_id)))
