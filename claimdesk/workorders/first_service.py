"""The first free service (首保) on a work order: the advisor applies the vehicle's entitlement; the lines its
brand rule covers (customer-paid, not declined) are charged to the manufacturer (pay type warranty) or the
dealer (internal) instead of the customer, through the one settlement (settlement.py): the customer's share
drops by their amount and every share still sums to the total. The vehicle records the work order that used
it; a second work order is refused, and so is a vehicle outside its window. Cancelling the work order gives
the entitlement back. Bound by services.py (`WF.implement`); the rules: `customers.entitlements`."""
from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from ..core.errors import Conflict, ValidationFailed
from ..core.workflow import Context
from ..customers import entitlements
from ..customers.models import Vehicle
from ..extensions import db
from . import billing
from .models import WorkOrder

STATES = ("reception", "estimated", "authorised", "in_repair", "quality_check", "ready")
PAY_TYPE_OF_PAYER = {"manufacturer": "warranty", "dealer": "internal"}


class ApplyFirstServiceIn(Schema):
    version = fields.Integer()


def local_day(wo: WorkOrder, at):
    tz = getattr(wo.store, "timezone", None) or "Asia/Shanghai"
    return at.astimezone(ZoneInfo(tz)).date()


def status_of(wo: WorkOrder, at) -> entitlements.FirstService:
    """The vehicle's entitlement as this work order sees it (at its reception mileage)."""
    return entitlements.status(wo.vehicle, wo.store, local_day(wo, at), mileage_km=wo.mileage_km)


def covered_lines(wo: WorkOrder, rule: dict) -> list:
    """Customer-paid lines (or those it already covers) the rule covers, not declined."""
    return [ln for ln in wo.lines if ln.decision != "declined" and (ln.pay_type == "customer" or ln.free_service)
            and entitlements.covers(rule, ln)]


def _lock_vehicle(vehicle_id: int) -> Vehicle:
    """The vehicle row, locked on PostgreSQL: two work orders cannot both take the one entitlement."""
    stmt = sa.select(Vehicle).where(Vehicle.id == vehicle_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def apply_first_service(wo: WorkOrder, data: dict, ctx: Context):
    vehicle = _lock_vehicle(wo.vehicle_id)
    fs = entitlements.status(vehicle, wo.store, local_day(wo, ctx.at), mileage_km=wo.mileage_km)
    problem = entitlements.refusal(fs, wo.id)
    if problem:
        raise Conflict(problem, code="first_service_refused")
    rule = fs.rule
    if rule is None:  # used by this work order, and the store's rule was removed since
        raise Conflict(entitlements.refusal(entitlements.FirstService("no_rule")), code="first_service_refused")
    lines = covered_lines(wo, rule)
    if not lines:
        raise ValidationFailed(str(_l("No line of this work order is covered by the first free service "
                                      "(labour %(ops)s; parts: %(parts)s).",
                                      ops=", ".join(rule.get("labour_operations") or []) or "-",
                                      parts=", ".join(rule.get("parts") or []) or "-")),
                               fields={"lines": [str(_l("Estimate the first service's lines first."))]})
    pay_type = PAY_TYPE_OF_PAYER[rule["payer"]]
    for line in lines:
        line.pay_type, line.free_service = pay_type, True
    billing.check_bill(wo)  # no share below zero; linked cases' guards
    entitlements.record_use(vehicle, wo.id, wo.number, local_day(wo, ctx.at))
    ctx.event_data.update(first_service=True, payer=rule["payer"], brand=rule["brand"],
                          lines=[ln.id for ln in lines],
                          amount=sum((ln.amount for ln in lines), Decimal("0.00")))


def release_on_cancel(wo: WorkOrder) -> None:
    """A cancelled work order gives the entitlement back (nothing was serviced)."""
    vehicle = wo.vehicle
    if vehicle is not None and vehicle.first_service_work_order_id == wo.id:
        entitlements.record_use(vehicle, None, None, None)


def free_lines(wo: WorkOrder) -> list:
    return [ln for ln in wo.lines if ln.free_service]


def summary(wo: WorkOrder, at) -> dict:
    """The entitlement as the work order's page, API and printout show it."""
    fs = status_of(wo, at)
    lines = free_lines(wo)
    return {"state": fs.state, "applied": fs.state == "used" and fs.work_order_id == wo.id,
            "payer": (fs.rule or {}).get("payer"), "payer_label": fs.payer_label, "until": fs.until, "km": fs.km,
            "work_order_id": fs.work_order_id, "number": fs.number, "used_at": fs.used_at,
            "refusal": entitlements.refusal(fs, wo.id), "lines": [ln.id for ln in lines],
            "amount": sum((ln.amount for ln in lines), Decimal("0.00"))}
