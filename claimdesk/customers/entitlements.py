"""A vehicle's first free service (首保): whether it has one, until when, and whether it was used.

The brand rules are configuration, kept in the store's settings (`store.settings["first_service_rules"]`,
edited on the store settings page, validated by `auth.settings`): per brand (the vehicle's make) the window
since purchase in months and kilometres, who pays (the manufacturer or the dealer) and which lines are
covered (labour operation codes, "*" for every labour line; parts by part-number prefix or a word of the
description, e.g. "oil", "机油", "机滤"). Applying it to a work order is `workorders.first_service`; the
vehicle records which work order used it.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from ..auth.models import Store
from ..auth.store_settings import PAYERS, RULES_KEY
from ..core.clock import now
from ..extensions import db
from .models import Vehicle

PAYER_LABELS = {"manufacturer": _l("the manufacturer"), "dealer": _l("the dealer")}


def rules_of(store) -> list[dict]:
    """The store's brand rules (a list of dicts), as saved on the settings page."""
    rules = (getattr(store, "settings", None) or {}).get(RULES_KEY) or []
    return [r for r in rules if isinstance(r, dict) and r.get("brand")]


def rule_for(vehicle: Vehicle, store) -> dict | None:
    """The rule of the vehicle's brand (its make, case-insensitive), if the store has one."""
    make = (vehicle.make or "").strip().casefold()
    if not make:
        return None
    return next((r for r in rules_of(store) if str(r["brand"]).strip().casefold() == make), None)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class FirstService:
    """What the pages say about a vehicle's first free service."""

    state: str  # used | available | expired | no_rule | no_purchase_date
    rule: dict | None = None
    until: date | None = None  # last day of the window
    km: int | None = None  # up to this mileage
    work_order_id: int | None = None
    number: str | None = None
    used_at: date | None = None

    @property
    def payer_label(self) -> str:
        return str(PAYER_LABELS.get((self.rule or {}).get("payer"), ""))


def status(vehicle: Vehicle, store, today: date, mileage_km: int | None = None) -> FirstService:
    """The entitlement of `vehicle` on `today` (at `mileage_km`, default the vehicle's recorded mileage)."""
    rule = rule_for(vehicle, store)
    if vehicle.first_service_work_order_id is not None:
        return FirstService("used", rule, work_order_id=vehicle.first_service_work_order_id,
                            number=vehicle.first_service_number, used_at=vehicle.first_service_used_at)
    if rule is None:
        return FirstService("no_rule")
    if vehicle.purchase_date is None:
        return FirstService("no_purchase_date", rule)
    until = add_months(vehicle.purchase_date, int(rule["months"]))
    km = int(rule["km"])
    mileage = vehicle.mileage_km if mileage_km is None else mileage_km
    state = "available" if today <= until and (mileage or 0) <= km else "expired"
    return FirstService(state, rule, until=until, km=km)


def refusal(fs: FirstService, work_order_id: int | None = None) -> str | None:
    """Why the first free service cannot be applied (to this work order), or None."""
    if fs.state == "used" and fs.work_order_id != work_order_id:
        return str(_l("The first free service was already used (work order %(number)s on %(day)s).",
                      number=fs.number or fs.work_order_id, day=fs.used_at.isoformat() if fs.used_at else ""))
    if fs.state == "no_rule":
        return str(_l("The store has no first free service rule for this vehicle's brand."))
    if fs.state == "no_purchase_date":
        return str(_l("The vehicle's purchase date is not recorded: the first free service window is unknown."))
    if fs.state == "expired":
        return str(_l("The vehicle is outside its first free service window (until %(day)s or %(km)s km).",
                      day=fs.until.isoformat(), km=fs.km))
    return None


def covers(rule: dict, line) -> bool:
    """Whether the rule covers this labour or parts line."""
    if line.kind == "labour":
        ops = [str(o).strip().casefold() for o in rule.get("labour_operations") or []]
        return "*" in ops or (line.operation_code or "").strip().casefold() in ops
    number, text = (line.part_number or "").casefold(), (line.description or "").casefold()
    terms = [str(t).strip().casefold() for t in rule.get("parts") or [] if str(t).strip()]
    return any(number.startswith(t) or t in text for t in terms)


def record_use(vehicle: Vehicle, work_order_id: int | None, number: str | None, day: date | None) -> None:
    """The vehicle used its entitlement on this work order (None: released, e.g. the order was cancelled)."""
    vehicle.first_service_work_order_id = work_order_id
    vehicle.first_service_number = number
    vehicle.first_service_used_at = day


def of_vehicle(vehicle: Vehicle) -> FirstService:
    """The entitlement today in the vehicle's store (the vehicle page and API)."""
    store = db.session.get(Store, vehicle.store_id)
    return status(vehicle, store, now().astimezone(ZoneInfo(store.timezone or "Asia/Shanghai")).date())


def as_dict(fs: FirstService) -> dict:
    return {"state": fs.state, "payer": (fs.rule or {}).get("payer"), "until": fs.until, "km": fs.km,
            "work_order_id": fs.work_order_id, "number": fs.number, "used_at": fs.used_at}
