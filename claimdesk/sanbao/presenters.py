"""How a ledger is shown: the API's plain dict (SanbaoOut), the compact status of case pages, the
inbox texts of the alerts."""
from __future__ import annotations

from flask_babel import gettext as _

import sqlalchemy as sa

from ..extensions import db
from ..notifications.services import register_renderer
from .labels import CONDITION_LABELS, LEVEL_LABELS, SYSTEM_LABELS, action_text
from .ledger import Ledger
from .models import SanbaoAlert


def problem_label(key: str | None, label: str = "") -> str:
    if not key:
        return ""
    if key.startswith("wo:"):
        return label or _("Not grouped yet")
    system, _sep, code = key.partition(":")
    return " · ".join(x for x in (str(SYSTEM_LABELS.get(system, system)), code) if x)


def alerts_of(vehicle_id: int) -> list[SanbaoAlert]:
    return list(db.session.scalars(sa.select(SanbaoAlert).where(SanbaoAlert.vehicle_id == vehicle_id)
                                   .order_by(SanbaoAlert.fired_at.desc(), SanbaoAlert.id.desc())))


def as_dict(led: Ledger) -> dict:
    rs = led.rules
    problems = []
    for key, eps in led.problems.items():
        cond = next((c for c in led.conditions if c.condition == "same_problem" and c.key == key), None)
        problems.append({"key": key, "label": problem_label(key, cond.label if cond else ""),
                         "repairs": len(eps), "repair_days": sum(e.days for e in eps),
                         "work_orders": [e.work_order.number for e in eps]})
    episodes = []
    for e in led.episodes:
        r = e.row
        episodes.append({
            "work_order_id": e.work_order.id, "number": e.work_order.number, "state": e.work_order.state,
            "mileage_km": e.work_order.mileage_km, "started_at": e.start, "ended_at": e.end, "running": e.running,
            "repair_days": e.days, "in_period": e.in_period, "in_warranty": e.in_warranty, "quality": e.quality,
            "confirmed": e.confirmed, "system": r.system if r else None, "fault_code": r.fault_code if r else None,
            "problem_key": e.problem, "serious_safety": bool(r and r.serious_safety),
            "replacement": r.replacement if r else "none", "component": r.component if r else None})
    return {
        "vehicle_id": led.vehicle.id, "covered": led.covered, "rule_set": rs,
        "purchase_date": led.start, "period_end": led.period_end, "warranty_end": led.warranty_end,
        "mileage_km": led.mileage, "ended_by": led.ended_by, "days_left": led.days_left, "km_left": led.km_left,
        "days_used": led.days_used, "level": led.level, "unconfirmed": len(led.unconfirmed),
        "substitute_due": [c.work_order_id for c in led.substitute_due],
        "problems": problems, "conditions": [vars(c) for c in led.conditions], "episodes": episodes,
        "alerts": alerts_of(led.vehicle.id)}


def condition_text(c) -> str:
    return str(CONDITION_LABELS.get(c.condition, c.condition))


# --- inbox ----------------------------------------------------------------------------------------------
def _notice(n, title):
    d = n.data
    what = str(CONDITION_LABELS.get(d.get("condition"), d.get("condition")))
    body = _("%(what)s: %(value)s of %(limit)s. Repair days used: %(days)s. %(todo)s", what=what,
             value=d.get("value"), limit=d.get("limit"), days=d.get("days_used"),
             todo=action_text(d.get("condition", ""), d.get("level")))
    history = ", ".join(f"{h['number']} ({h['days']})" for h in d.get("history", []))
    if history:
        body += " " + _("History: %(list)s", list=history)
    return title, body


@register_renderer("sanbao.warning")
def _warning(n):
    return _notice(n, _("三包 warning for %(plate)s", plate=n.data.get("plate")))


@register_renderer("sanbao.reached")
def _reached(n):
    return _notice(n, _("三包 limit reached for %(plate)s", plate=n.data.get("plate")))


@register_renderer("sanbao.exceeded")
def _exceeded(n):
    return _notice(n, _("三包 limit passed for %(plate)s", plate=n.data.get("plate")))


def level_label(level: str | None) -> str:
    return str(LEVEL_LABELS.get(level, "")) if level else ""
