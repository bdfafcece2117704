"""Verbs of the 三包 ledger: propose a work order's episode, the advisor's confirmation, the alerts
(each threshold fires once per vehicle: the alert row's unique key) and the rule sets' thresholds.
Never commits."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from .. import jobs
from ..auth.models import User
from ..auth.permissions import require, require_group_wide, sees_store
from ..core import bulk
from ..core.clock import now
from ..core.errors import NotFound, ValidationFailed
from ..customers.models import Vehicle
from ..extensions import db
from ..notifications.services import notify
from ..workorders.models import OPEN_STATES, WorkOrder
from . import changes, ledger as ledgers
from .models import SanbaoAlert, SanbaoEpisode, SanbaoRuleSet
from .rules import EDITABLE
from .schemas import EpisodeIn, RuleSetIn

LEVEL_ORDER = ("warning", "reached", "exceeded")


def _s(text) -> str:
    return str(text)


def is_quality_repair(wo: WorkOrder) -> bool:
    """The proposal: a work order with warranty work (paid by the maker, or its cover still pending)."""
    return wo.pay_type == "warranty" or any(
        ln.pay_type == "warranty" or ln.warranty_status in ("covered", "pending") for ln in wo.lines)


def problem_key(system: str | None, fault_code: str | None) -> str | None:
    if not system and not fault_code:
        return None
    return f"{system or 'other'}:{(fault_code or '').strip().upper()}"


def propose_episode(wo: WorkOrder) -> SanbaoEpisode | None:
    """Create or refresh the system's proposal for a work order. A confirmed episode is the advisor's
    and is left alone; a work order with nothing to count gets no row (maintenance)."""
    row = db.session.scalar(sa.select(SanbaoEpisode).where(SanbaoEpisode.work_order_id == wo.id))
    if row is not None and row.confirmed_at is not None:
        return row
    quality = is_quality_repair(wo)
    if row is None and not quality:
        return None
    if row is None:
        row = SanbaoEpisode(work_order_id=wo.id, vehicle_id=wo.vehicle_id, store_id=wo.store_id)
        db.session.add(row)
    row.quality = quality
    row.serious_safety = any(ln.safety_related and ln.pay_type == "warranty" for ln in wo.lines)
    if row.problem_key is None and wo.parent_id:  # a comeback: the same problem as the job it reworks
        parent = db.session.scalar(sa.select(SanbaoEpisode).where(SanbaoEpisode.work_order_id == wo.parent_id))
        if parent is not None and parent.quality:
            row.problem_key = parent.problem_key or f"wo:{wo.parent_id}"
            row.system, row.fault_code = parent.system, parent.fault_code
    db.session.flush()
    return row


def suggest_problem(vehicle_id: int, system: str | None, fault_code: str | None,
                    exclude_work_order: int | None = None) -> str | None:
    """The group an entry of system and fault code joins: an earlier episode of the vehicle with the
    same system and code; else the only earlier problem of that system; else a new group."""
    key = problem_key(system, fault_code)
    earlier = list(db.session.scalars(sa.select(SanbaoEpisode).where(
        SanbaoEpisode.vehicle_id == vehicle_id, SanbaoEpisode.quality.is_(True),
        SanbaoEpisode.work_order_id != (exclude_work_order or 0))))
    for e in earlier:
        if key and problem_key(e.system, e.fault_code) == key:
            return e.problem_key or key
    same_system = {e.problem_key for e in earlier if system and e.system == system and e.problem_key}
    if len(same_system) == 1:
        return same_system.pop()
    return key


def problem_choices(vehicle_id: int) -> list[tuple[str, str]]:
    """The vehicle's existing problem groups (key, label) for the advisor's choice."""
    out = {}
    for e in db.session.scalars(sa.select(SanbaoEpisode).where(
            SanbaoEpisode.vehicle_id == vehicle_id, SanbaoEpisode.problem_key.is_not(None))
            .order_by(SanbaoEpisode.id)):
        out.setdefault(e.problem_key, " · ".join(x for x in (e.system, e.fault_code) if x) or e.problem_key)
    return list(out.items())


def confirm_episode(user, wo: WorkOrder, data: dict) -> SanbaoEpisode:
    """The advisor's word on a work order: a quality repair or not, its system and fault code, the
    problem group it belongs to (an existing one, or the suggestion), safety fault, replacement."""
    require("workorders.create", user)
    try:
        data = EpisodeIn().load(data or {})
    except ValidationError as err:
        raise ValidationFailed(_s(_l("Some fields are invalid.")), fields=err.messages) from None
    row = db.session.scalar(sa.select(SanbaoEpisode).where(SanbaoEpisode.work_order_id == wo.id))
    if row is None:
        row = SanbaoEpisode(work_order_id=wo.id, vehicle_id=wo.vehicle_id, store_id=wo.store_id)
        db.session.add(row)
    row.quality = data["quality"]
    row.system = data.get("system")
    row.fault_code = (data.get("fault_code") or "").strip().upper() or None
    chosen = data.get("problem_key")
    if chosen and chosen not in {k for k, _ in problem_choices(wo.vehicle_id)} | {
            problem_key(row.system, row.fault_code)}:
        raise ValidationFailed(_s(_l("Some fields are invalid.")),
                               fields={"problem_key": [_s(_l("Not a problem of this vehicle."))]})
    row.problem_key = (chosen or suggest_problem(wo.vehicle_id, row.system, row.fault_code, wo.id)
                       or f"wo:{wo.id}") if row.quality else None
    row.serious_safety = data.get("serious_safety", False) and row.quality
    row.replacement = data.get("replacement", "none") if row.quality else "none"
    row.component = data.get("component") if row.replacement != "none" else None
    row.note = data.get("note")
    row.confirmed_at, row.confirmed_by_id = now(), user.id
    db.session.flush()
    # its comebacks take its problem in their proposal (they are not re-proposed on every action)
    for child in db.session.scalars(sa.select(WorkOrder).where(WorkOrder.parent_id == wo.id,
                                                               WorkOrder.state != "reception")):
        propose_episode(child)
    evaluate(wo.vehicle)
    return row


# --- alerts --------------------------------------------------------------------------------------------
def evaluate(vehicle: Vehicle, at: datetime | None = None) -> list[int]:
    """Record every threshold the vehicle has reached and tell the store's service managers (and the
    advisor of the work order concerned) of the new ones. Returns the new alerts' ids; run twice, the
    second run finds nothing new."""
    led = ledgers.build(vehicle, at)
    if not led.covered:
        return []
    rows = []
    for c in led.conditions:
        if c.level is None:
            continue
        for level in LEVEL_ORDER[:LEVEL_ORDER.index(c.level) + 1]:
            rows.append({"vehicle_id": vehicle.id, "store_id": vehicle.store_id, "condition": c.condition,
                         "key": c.key, "level": level, "value": c.value, "limit": c.limit,
                         "work_order_id": c.work_order_id, "fired_at": led.at})
    created = bulk.insert_many(SanbaoAlert.__table__, rows, conflict=("vehicle_id", "condition", "key", "level"),
                               returning=("id",))
    ids = [r.id for r in created]
    if ids:
        _notify(vehicle, led, ids)
    return ids


def recipients(vehicle: Vehicle, work_order_id: int | None = None) -> list[int]:
    ids = set(db.session.scalars(sa.select(User.id).where(
        User.store_id == vehicle.store_id, User.role == "manager", User.active.is_(True))))
    if work_order_id:
        wo = db.session.get(WorkOrder, work_order_id)
        if wo is not None and wo.assignee_id:
            ids.add(wo.assignee_id)
    return sorted(ids)


def _notify(vehicle: Vehicle, led, alert_ids: list[int]) -> None:
    history = [{"number": e.work_order.number, "days": e.days, "problem": e.problem}
               for e in led.counted][-10:]
    for alert in db.session.scalars(sa.select(SanbaoAlert).where(SanbaoAlert.id.in_(alert_ids))):
        data = {"plate": vehicle.plate, "vehicle_id": vehicle.id, "condition": alert.condition,
                "level": alert.level, "value": alert.value, "limit": alert.limit, "key": alert.key,
                "days_used": led.days_used, "history": history}
        case = ("work_order", alert.work_order_id) if alert.work_order_id else (None, None)
        notify(recipients(vehicle, alert.work_order_id), f"sanbao.{alert.level}", f"sanbao:{alert.id}",
               data=data, case_type=case[0], case_id=case[1])


def vehicles_to_sweep() -> list[int]:
    """Vehicles with a quality repair still running (their days grow with the clock)."""
    return list(db.session.scalars(sa.select(SanbaoEpisode.vehicle_id).join(
        WorkOrder, WorkOrder.id == SanbaoEpisode.work_order_id).where(
        SanbaoEpisode.quality.is_(True), WorkOrder.state.in_(OPEN_STATES),
        WorkOrder.customer_notified_at.is_(None)).distinct()))


def vehicles_with_episodes() -> list[int]:
    """Vehicles with any quality repair on record: what a change of rules or of a purchase date can move
    across a threshold without a work-order action (the daily review, and after a rule-set edit)."""
    return list(db.session.scalars(sa.select(SanbaoEpisode.vehicle_id).where(
        SanbaoEpisode.quality.is_(True)).distinct().order_by(SanbaoEpisode.vehicle_id)))


#: the review of every vehicle with a quality repair (sanbao.jobs.review): daily, and after a rule-set edit
REVIEW_JOB = "claimdesk.sanbao.jobs.review"


def on_work_order_moved(wo: WorkOrder) -> None:
    """After a work-order action that changed a fact the check reads (`changes.py`): refresh its
    proposal and check the vehicle's thresholds. Most actions change none (a dispatch, a check, a
    customer-paid line) and cost nothing here; the days a running repair gains with the clock are
    the hourly sweep's."""
    if wo.id is None or wo.state == "reception":  # nothing to count before the estimate (no lines yet)
        return
    if not changes.take(db.session(), wo):
        return
    propose_episode(wo)
    evaluate(wo.vehicle)


# --- rule sets -----------------------------------------------------------------------------------------
def may_edit(user, rs: SanbaoRuleSet) -> None:
    """A group-wide set is every store's: only a group-wide account changes it. A store's own set: that store's
    managers and administrators (and group-wide ones)."""
    if rs.store_id is None:
        require_group_wide("sanbao.rules.write", user)
        return
    require("sanbao.rules.write", user)
    if not sees_store(user, rs.store_id):
        raise NotFound(_s(_l("Not found.")))


def copy_for_store(user, rs: SanbaoRuleSet) -> SanbaoRuleSet:
    """The user's store's own copy of a group-wide set (same code and date, which it then overrides for the
    store's cars), made now with the group's thresholds; the existing copy if the store has one."""
    require("sanbao.rules.write", user)
    if rs.store_id is not None:
        raise ValidationFailed(_s(_l("This is a store's own rule set already.")), fields={"id": [_s(_l("Choose a group-wide rule set."))]})
    mine = db.session.scalar(sa.select(SanbaoRuleSet).where(SanbaoRuleSet.code == rs.code,
                                                            SanbaoRuleSet.store_id == user.store_id))
    if mine is not None:
        return mine
    copied = {c.key: getattr(rs, c.key) for c in SanbaoRuleSet.__table__.columns
              if c.key not in ("id", "store_id", "created_at", "updated_at")}
    mine = SanbaoRuleSet(**copied, store_id=user.store_id)
    db.session.add(mine)
    db.session.flush()
    jobs.enqueue(REVIEW_JOB, job_id="sanbao-review", queue="default")  # the store's cars now follow their own set
    return mine


def update_rule_set(user, rs: SanbaoRuleSet, data: dict) -> SanbaoRuleSet:
    may_edit(user, rs)
    try:
        data = RuleSetIn().load(data or {}, partial=True)
    except ValidationError as err:
        raise ValidationFailed(_s(_l("Some fields are invalid.")), fields=err.messages) from None
    for k in EDITABLE:
        if k in data:
            setattr(rs, k, data[k])
    pairs = (("warn_substitute_days", "substitute_after_days"), ("warn_repair_days", "max_repair_days"),
             ("warn_same_problem", "max_same_problem"), ("warn_safety_repairs", "max_safety_repairs"),
             ("warn_replacements", "max_replacements"))
    bad = {w: [_s(_l("The warning must come before the limit."))] for w, m in pairs
           if getattr(rs, w) > getattr(rs, m)}
    if bad:
        raise ValidationFailed(_s(_l("Some fields are invalid.")), fields=bad)
    db.session.flush()
    # new thresholds can put vehicles with no repair running past a level: check them all after the commit
    jobs.enqueue(REVIEW_JOB, job_id="sanbao-review", queue="default")
    return rs
