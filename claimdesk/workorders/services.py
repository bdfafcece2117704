"""Verbs of the work order: open it, and the handlers of its actions. They change objects and flush;
the request or job boundary commits. Refusals are named gates (GateBlocked) or field errors."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from ..auth.permissions import get_or_404, require, store_for_new
from ..core.clock import now
from ..core.errors import Conflict, GateBlocked, NotFound, ValidationFailed
from ..core.types import money
from ..core.workflow import Context
from ..customers.models import Customer, Vehicle
from ..customers.services import record_mileage
from ..extensions import db
from . import billing
from .labels import PANELS
from .models import Part, WorkOrder, WorkOrderCheck, WorkOrderLine
from .schemas import WorkOrderIn, decision_of
from .workflow import WF

#: the standard items of each check; a check may send its own list
CHECK_ITEMS = {
    "self": ["all approved items done", "fault no longer present", "parts fitted and tightened to spec",
             "no leaks or warning lights", "tools and covers removed"],
    "team_lead": ["work matches the work order", "workmanship", "road test if needed",
                  "recommendations recorded"],
    "final": ["every approved line done", "fault confirmed gone", "safety items checked",
              "old parts kept as agreed", "interior and exterior clean", "nothing left inside"],
}
#: Hooks other modules register from their init_app; the work order never imports them.
#: LINKED_CASES: fn(wo, user) -> list of dict(case_type, case_id, number, label) the user may open.
LINKED_CASES: list[Callable] = []
#: DELIVERY_GATES: fn(wo) -> list of (gate, message, extra: dict) that hold the car (shown before Deliver).
DELIVERY_GATES: list[Callable] = []
#: Document kind of the photos taken at reception.
PHOTO_KIND = "check_in_photo"

CLOCKS = ("work_order.promised_completion", "work_order.extra_work_approval", "work_order.follow_up_call")


def _s(msg) -> str:
    return str(msg)


# --- opening a work order ------------------------------------------------------------------------
def open_work_order(actor, data: dict, *, system: bool = False) -> WorkOrder:
    """Validate the create fields (api.md), number the case, start it and flush. Never commits.

    `system=True` (a claim's vehicle arriving, a complaint's rework) skips the role check and the
    caller's store scope; the work order goes to the customer's store.
    """
    try:
        loaded = WorkOrderIn().load({k: v for k, v in (data or {}).items() if k != "version"})
    except ValidationError as err:
        raise ValidationFailed(_s(_l("Some fields are invalid.")), fields=err.messages) from None
    return create_work_order(actor, loaded, system=system)


def create_work_order(actor, data: dict, *, system: bool = False) -> WorkOrder:
    """open_work_order for data already loaded by WorkOrderIn."""
    data = dict(data)
    if not system:
        require("workorders.create", actor)
        customer = _get_or_field_error(Customer, data["customer_id"], actor, "customer_id")
        store_id = store_for_new(actor, data.get("store_id") if data.get("store_id") is not None
                                 else customer.store_id)
    else:
        customer = db.session.get(Customer, data["customer_id"])
        if customer is None:
            raise ValidationFailed(_s(_l("Unknown customer.")), fields={"customer_id": [_s(_l("Unknown customer."))]})
        store_id = customer.store_id
    if customer.store_id != store_id:
        raise ValidationFailed(_s(_l("The customer is in another store.")),
                               fields={"customer_id": [_s(_l("Unknown customer for this store."))]})
    vehicle = db.session.get(Vehicle, data["vehicle_id"])
    if vehicle is None or vehicle.store_id != store_id:
        raise ValidationFailed(_s(_l("Unknown vehicle.")), fields={"vehicle_id": [_s(_l("Unknown vehicle."))]})
    if vehicle.customer_id != customer.id:
        raise ValidationFailed(_s(_l("The vehicle does not belong to this customer.")),
                               fields={"vehicle_id": [_s(_l("Not this customer's vehicle."))]})
    parent = None
    if data.get("parent_id"):
        parent = db.session.get(WorkOrder, data["parent_id"])
        if parent is None or parent.store_id != store_id or parent.vehicle_id != vehicle.id:
            raise ValidationFailed(_s(_l("A comeback must point at an earlier work order of the same vehicle.")),
                                   fields={"parent_id": [_s(_l("Unknown work order for this vehicle."))]})
    reason = data.get("mileage_reason")
    record_mileage(vehicle, data["mileage_km"], reason)
    assignee_id = data.get("assignee_id")
    if assignee_id is None and actor is not None and getattr(actor, "role", None) == "advisor":
        assignee_id = actor.id
    if assignee_id is not None:
        _check_staff(assignee_id, store_id, "assignee_id")
    at = now()
    wo = WorkOrder(
        store_id=store_id, customer_id=customer.id, vehicle_id=vehicle.id,
        parent_id=parent.id if parent else None, pay_type=data.get("pay_type") or "customer",
        state="reception", assignee_id=assignee_id, priority=data.get("priority") or "normal",
        mileage_km=data["mileage_km"], mileage_reason=reason,
        customer_description=data["customer_description"].strip(),
        created_at=at, updated_at=at, damage=[],
    )
    _apply_check_in(wo, data)
    summary = {k: v for k, v in data.items() if k not in ("store_id",)}
    WF.start(wo, actor, summary)
    return wo


def _get_or_field_error(model, ident, actor, field):
    try:
        return get_or_404(model, ident, actor)
    except NotFound:
        raise ValidationFailed(_s(_l("Unknown %(what)s.", what=field.removesuffix("_id"))),
                               fields={field: [_s(_l("Unknown id."))]}) from None


def _check_staff(user_id: int, store_id: int, field: str, role: str | None = None):
    from ..auth.services import active_colleague

    user = active_colleague(user_id, store_id)
    if user is None or (role and user.role not in (role, "manager")):
        raise ValidationFailed(_s(_l("No such active colleague in this store.")),
                               fields={field: [_s(_l("Unknown user for this store."))]})
    return user


CHECK_IN_FIELDS = ("appointment_at", "fuel_level", "damage", "valuables", "covers_fitted", "licence_checked",
                   "booklet_checked", "diagnosis")


def _apply_check_in(wo: WorkOrder, data: dict) -> list[str]:
    changed = []
    for key in CHECK_IN_FIELDS:
        if key in data:
            value = data[key]
            if key == "damage":
                value = [dict(d) for d in (value or [])]
            setattr(wo, key, value)
            changed.append(key)
    return changed


# --- reception -----------------------------------------------------------------------------------
def check_in(wo: WorkOrder, data: dict, ctx: Context):
    changed = _apply_check_in(wo, data)
    if "mileage_km" in data:
        record_mileage(wo.vehicle, data["mileage_km"], data.get("mileage_reason"))
        wo.mileage_km = data["mileage_km"]
        wo.mileage_reason = data.get("mileage_reason")
        changed.append("mileage_km")
    if data.get("customer_description"):
        wo.customer_description = data["customer_description"].strip()
        changed.append("customer_description")
    if not changed:
        raise ValidationFailed(_s(_l("Nothing to record on the check-in sheet.")),
                               fields={"_schema": [_s(_l("Give at least one field."))]})
    ctx.event_data["changed"] = changed


def _part_for(store_id: int, part_number: str) -> Part | None:
    return db.session.scalar(sa.select(Part).where(Part.store_id == store_id, Part.part_number == part_number))


def _build_lines(wo: WorkOrder, lines: list[dict], *, extra: bool) -> list[WorkOrderLine]:
    """New proposed lines; parts are checked against the store's stock."""
    errors: dict = {}
    built = []
    position = max([ln.position for ln in wo.lines] or [0])
    for index, item in enumerate(lines):
        part = None
        number = (item.get("part_number") or "").strip().upper() or None
        if item["kind"] == "part" and number:
            part = _part_for(wo.store_id, number)
            if part is None:
                errors.setdefault(index, {})["part_number"] = [
                    _s(_l("Unknown part %(number)s: not in this store's parts list.", number=number))]
                continue
        elif item["kind"] == "labour" and number:
            errors.setdefault(index, {})["part_number"] = [_s(_l("A labour line has no part number."))]
            continue
        availability, eta = item.get("availability"), item.get("eta")
        if part is not None:
            if part.stock_qty >= item["quantity"]:
                availability, eta = "in_stock", None
            else:
                availability = "on_order"
                eta = eta or (now() + timedelta(days=part.lead_time_days)).date()
        pay_type = item.get("pay_type") or wo.pay_type
        # Warranty decision per line: covered, not covered, or pending the manufacturer's approval.
        warranty = item.get("warranty_status")
        if warranty is None and pay_type == "warranty":
            warranty = "covered"
        elif warranty == "covered":
            pay_type = "warranty"
        position += 1
        line = WorkOrderLine(
            position=position, kind=item["kind"], description=item["description"].strip(),
            operation_code=item.get("operation_code") if item["kind"] == "labour" else None,
            part_id=part.id if part else None, part_number=number,
            quantity=item["quantity"], unit_price=item["unit_price"],
            pay_type=pay_type, decision="proposed",
            warranty_status=warranty,
            availability=availability if item["kind"] == "part" else None, eta=eta if item["kind"] == "part" else None,
            safety_related=bool(item.get("safety_related") or (part is not None and part.safety_related)),
            is_extra=extra, created_at=now(),
        )
        built.append(line)
    if errors:
        raise ValidationFailed(_s(_l("Some lines are invalid.")), fields={"lines": errors})
    for line in built:
        wo.lines.append(line)
    return built


def estimate(wo: WorkOrder, data: dict, ctx: Context):
    removed = 0
    if data.get("replace", True):
        for line in [ln for ln in wo.lines if ln.decision == "proposed" and not ln.is_extra]:
            wo.lines.remove(line)
            removed += 1
    if data.get("diagnosis") is not None:
        wo.diagnosis = data["diagnosis"]
    db.session.flush()
    created = _build_lines(wo, data["lines"], extra=False)
    db.session.flush()
    ctx.event_data.update(line_ids=[ln.id for ln in created], removed_lines=removed,
                          totals=wo.estimate_totals)


def remove_line(wo: WorkOrder, data: dict, ctx: Context):
    line = _line(wo, data["line_id"], "line_id")
    if line.decision != "proposed" or line.is_extra:
        raise Conflict(_s(_l("Only a proposed estimate line can be removed.")), code="invalid_state")
    ctx.event_data.update(description=line.description, amount=line.amount)
    wo.lines.remove(line)
    db.session.flush()
    if not wo.lines:
        ctx.target = "reception"


def decide_warranty(wo: WorkOrder, data: dict, ctx: Context):
    changed = []
    for item in data["lines"]:
        line = _line(wo, item["line_id"], "lines")
        line.warranty_status = item["warranty_status"]
        if item["warranty_status"] == "not_covered" and line.pay_type == "warranty":
            line.pay_type = "customer"  # the manufacturer will not pay: the customer decides at authorisation
        elif item["warranty_status"] == "covered":
            line.pay_type = "warranty"
        changed.append({"line_id": line.id, "warranty_status": line.warranty_status, "pay_type": line.pay_type})
    ctx.event_data["lines"] = changed


def _line(wo: WorkOrder, line_id, field: str) -> WorkOrderLine:
    for line in wo.lines:
        if line.id == line_id:
            return line
    raise ValidationFailed(_s(_l("Line %(id)s is not on this work order.", id=line_id)),
                           fields={field: [_s(_l("Unknown line %(id)s.", id=line_id))]})


# --- authorisation -------------------------------------------------------------------------------
def gate_has_estimate(wo: WorkOrder, data: dict, ctx: Context):
    if not wo.lines:
        raise GateBlocked("estimate_present", _s(_l("Cannot authorise: there is no estimate line yet.")))


def gate_warranty_decided(wo: WorkOrder, data: dict, ctx: Context):
    pending = [ln for ln in wo.lines if ln.warranty_status == "pending"]
    if pending:
        raise GateBlocked("warranty_decided", _s(_l(
            "Cannot authorise: the manufacturer's warranty decision is pending for %(lines)s.",
            lines=", ".join(ln.description for ln in pending))))


def authorise(wo: WorkOrder, data: dict, ctx: Context):
    at = ctx.at
    if data["promised_at"] <= at:
        raise ValidationFailed(_s(_l("The promised completion time must be in the future.")),
                               fields={"promised_at": [_s(_l("Must be later than now."))]})
    decisions = {}
    for item in data.get("decisions") or []:
        line = _line(wo, item["line_id"], "decisions")
        if line.decision != "proposed":
            raise ValidationFailed(_s(_l("Line %(id)s was already decided.", id=line.id)),
                                   fields={"decisions": [_s(_l("Line %(id)s is not proposed.", id=line.id))]})
        decisions[line.id] = decision_of(item)
    for line in wo.lines:
        if line.decision != "proposed":
            continue
        line.decision = decisions.get(line.id, "approved")
        line.decided_by = data["signed_by"]
        line.decision_channel = data["signature_channel"]
        line.decided_at = at
    if not any(ln.decision == "approved" for ln in wo.lines):
        raise GateBlocked("line_approved", _s(_l(
            "Cannot authorise: the customer approved no line. Cancel the work order instead.")))
    wo.signed_by = data["signed_by"]
    wo.signed_at = data.get("signed_at") or at
    wo.signature_channel = data["signature_channel"]
    wo.signature_image = data.get("signature_image")
    wo.promised_at = data["promised_at"]
    wo.payment_method = data.get("payment_method")
    wo.old_parts = data["old_parts"]
    wo.free_wash = data["free_wash"]
    ctx.deadlines["work_order.promised_completion"] = wo.promised_at
    ctx.event_data.update(approved=[ln.id for ln in wo.lines if ln.decision == "approved"],
                          declined=[ln.id for ln in wo.lines if ln.decision == "declined"],
                          deferred=[ln.id for ln in wo.lines if ln.decision == "deferred"],
                          totals=wo.approved_totals)
    if data.get("signature_image"):
        ctx.event_data["signature_image"] = "✓"  # the image stays on the work order, not in the timeline


# --- workshop ------------------------------------------------------------------------------------
def dispatch(wo: WorkOrder, data: dict, ctx: Context):
    if not any(ln.decision == "approved" for ln in wo.lines):
        raise GateBlocked("line_approved", _s(_l("Cannot dispatch: no line is approved.")))
    wo.team = data["team"].strip()
    if data.get("technician_id"):
        tech = _check_staff(data["technician_id"], wo.store_id, "technician_id", role="workshop")
        wo.technician_id = tech.id
        ctx.event_data["technician_name"] = tech.display_name
    if data.get("priority"):
        wo.priority = data["priority"]
    wo.dispatched_at = ctx.at


def request_extra_work(wo: WorkOrder, data: dict, ctx: Context):
    created = _build_lines(wo, data["lines"], extra=True)
    db.session.flush()
    ctx.event_data.update(line_ids=[ln.id for ln in created],
                          amount=sum((ln.amount for ln in created), money(0)))


def decide_extra_work(wo: WorkOrder, data: dict, ctx: Context):
    seen = set()
    result = []
    for item in data["decisions"]:
        line = _line(wo, item["line_id"], "decisions")
        if not line.is_extra or line.decision != "proposed" or line.id in seen:
            raise ValidationFailed(_s(_l("Line %(id)s is not additional work waiting for a decision.", id=line.id)),
                                   fields={"decisions": [_s(_l("Line %(id)s is not pending.", id=line.id))]})
        seen.add(line.id)
        line.decision = decision_of(item)
        line.decided_by = data["decided_by"]
        line.decision_channel = data["channel"]
        line.decided_at = ctx.at
        result.append({"line_id": line.id, "decision": line.decision})
    ctx.event_data["decisions"] = result
    if not wo.pending_extra_lines:
        ctx.stops.append("work_order.extra_work_approval")


def gate_no_pending_extra(wo: WorkOrder, data: dict, ctx: Context):
    pending = wo.pending_extra_lines
    if pending:
        raise GateBlocked("extra_work_decided", _s(_l(
            "Cannot %(action)s: additional work waits for the customer's decision (%(lines)s).",
            action=str(ctx.action.label or ctx.action.name), lines=", ".join(ln.description for ln in pending))))


def complete_repair(wo: WorkOrder, data: dict, ctx: Context):
    done = []
    for line in wo.lines:
        if line.decision == "approved" and not line.done:
            line.done = True
            line.done_at = ctx.at
            done.append(line.id)
    wo.repair_completed_at = ctx.at
    ctx.event_data["done_lines"] = done


_STAGE_BEFORE = {"self": None, "team_lead": "self", "final": "team_lead"}


def _stage_name(stage: str) -> str:
    return {"self": _s(_l("technician self-check")), "team_lead": _s(_l("team-leader check")),
            "final": _s(_l("final QC"))}[stage]


def _record_check(wo: WorkOrder, data: dict, ctx: Context, passed: bool) -> WorkOrderCheck:
    stage = data["stage"]
    items = data.get("items")
    if not items:
        items = [{"item": name, "passed": passed, "note": None} for name in CHECK_ITEMS[stage]]
        if not passed:
            items = [{"item": data.get("reason") or "check", "passed": False, "note": None}]
    items = [dict(i) for i in items]
    check = WorkOrderCheck(round=wo.rework_count, stage=stage, passed=passed, items=items,
                           reason=data.get("reason"), recommendations=data.get("recommendations"),
                           signed_by=data.get("signed_by") or (ctx.actor.display_name if ctx.actor else "system"),
                           actor_id=getattr(ctx.actor, "id", None), at=ctx.at)
    wo.checks.append(check)
    return check


def gate_check_order(wo: WorkOrder, data: dict, ctx: Context):
    stage = data["stage"]
    if wo.passed_stage(stage):
        raise GateBlocked("check_already_signed", _s(_l("The %(stage)s is already signed for this round.",
                                                        stage=_stage_name(stage))))
    before = _STAGE_BEFORE[stage]
    if before and not wo.passed_stage(before):
        raise GateBlocked(f"{before}_check_signed", _s(_l(
            "Cannot sign the %(stage)s: the %(before)s is not signed.", stage=_stage_name(stage),
            before=_stage_name(before))))


def pass_check(wo: WorkOrder, data: dict, ctx: Context):
    failed = [i["item"] for i in (data.get("items") or []) if not i["passed"]]
    if failed:
        raise ValidationFailed(_s(_l("Items failed (%(items)s): record a failed check instead.",
                                     items=", ".join(failed))),
                               fields={"items": [_s(_l("Every item must pass to sign the check."))]})
    check = _record_check(wo, data, ctx, True)
    db.session.flush()
    ctx.event_data["check_id"] = check.id
    if data["stage"] == "final":
        wo.ready_at = ctx.at
        ctx.target = "ready"
        ctx.stops.append("work_order.promised_completion")


def fail_check(wo: WorkOrder, data: dict, ctx: Context):
    if data.get("items") and all(i["passed"] for i in data["items"]):
        raise ValidationFailed(_s(_l("A failed check names at least one failed item.")),
                               fields={"items": [_s(_l("Mark the failed item(s)."))]})
    check = _record_check(wo, data, ctx, False)
    wo.rework_count += 1
    for line in wo.lines:
        if line.done:
            line.done = False
            line.done_at = None
    db.session.flush()
    ctx.event_data.update(check_id=check.id, rework_count=wo.rework_count)


def wash(wo: WorkOrder, data: dict, ctx: Context):
    if wo.washed_at is not None:
        raise Conflict(_s(_l("The car wash is already recorded.")), code="invalid_state")
    wo.washed_at = ctx.at


# --- delivery ------------------------------------------------------------------------------------
def notify_customer(wo: WorkOrder, data: dict, ctx: Context):
    wo.customer_notified_at = ctx.at
    if data.get("pickup_at"):
        wo.pickup_at = data["pickup_at"]


def delivery_blockers(wo: WorkOrder, data: dict | None = None) -> list[tuple[str, str]]:
    """Every named gate that stops delivery now, with its explanation (shown before the form too)."""
    return [(gate, message) for gate, message, _extra in _delivery_gates(wo, data or {})]


def _delivery_gates(wo: WorkOrder, data: dict) -> list[tuple[str, str, dict]]:
    """The work order's own gates, then those of linked cases (`linked_gates`), each with its extra."""
    out = []
    if not wo.passed_stage("final"):
        out.append(("final_qc_signed", _s(_l("Cannot deliver: final QC not signed."))))
    not_done = [ln for ln in wo.lines if ln.decision == "approved" and not ln.done]
    if not_done:
        out.append(("lines_done", _s(_l("Cannot deliver: approved lines not done: %(lines)s.",
                                        lines=", ".join(ln.description for ln in not_done)))))
    if wo.pending_extra_lines:
        out.append(("extra_work_decided", _s(_l("Cannot deliver: additional work waits for the customer's decision."))))
    if wo.free_wash and wo.washed_at is None:
        out.append(("wash_done", _s(_l("Cannot deliver: the customer accepted a free wash and it is not recorded."))))
    for key, message in (("old_parts_handled", _l("Cannot deliver: old parts not handled as agreed.")),
                         ("car_clean", _l("Cannot deliver: the car is not clean.")),
                         ("nothing_left_inside", _l("Cannot deliver: tools or covers left inside the car."))):
        if data.get(key) is False:
            out.append((key, _s(message)))
    signoff = set(data.get("declined_signoff") or [])
    unsigned = [ln for ln in wo.lines if ln.decision in ("declined", "deferred") and ln.safety_related
                and not ln.declined_signed_by and ln.id not in signoff]
    if unsigned:
        out.append(("declined_safety_signed", _s(_l(
            "Cannot deliver: declined safety-related items need the customer's signature: %(lines)s.",
            lines=", ".join(ln.description for ln in unsigned)))))
    out.extend(billing.payment_gates(wo, data))
    return [(gate, message, {}) for gate, message in out] + linked_gates(wo)


def linked_gates(wo: WorkOrder) -> list[tuple[str, str, dict]]:
    """Gates other modules (e.g. an insurance claim's documents) put on this work order's delivery."""
    return [gate for hook in DELIVERY_GATES for gate in hook(wo)]


def linked_cases(wo: WorkOrder, user) -> list[dict]:
    """Cases of other modules linked to this work order that `user` may open."""
    return [case for hook in LINKED_CASES for case in hook(wo, user)]


def gate_deliverable(wo: WorkOrder, data: dict, ctx: Context):
    blockers = _delivery_gates(wo, data)
    if blockers:
        gate, message, extra = blockers[0]
        err = GateBlocked(gate, message)
        err.extra.update(extra)  # e.g. the claim holding the car
        err.extra["gates"] = [g for g, _m, _e in blockers]  # every blocking gate, not only the first
        raise err


def deliver(wo: WorkOrder, data: dict, ctx: Context):
    vehicle = wo.vehicle
    if data.get("next_service_km") is not None and data["next_service_km"] <= wo.mileage_km:
        raise ValidationFailed(_s(_l("The next service mileage must be above today's mileage.")),
                               fields={"next_service_km": [_s(_l("Above %(km)s km.", km=wo.mileage_km))]})
    if data.get("next_service_date") is not None and data["next_service_date"] <= ctx.at.date():
        raise ValidationFailed(_s(_l("The next service date must be in the future.")),
                               fields={"next_service_date": [_s(_l("Must be after today."))]})
    signoff = set(data.get("declined_signoff") or [])
    for line in wo.lines:
        if line.id in signoff:
            if line.decision not in ("declined", "deferred"):
                raise ValidationFailed(_s(_l("Line %(id)s was not declined.", id=line.id)),
                                       fields={"declined_signoff": [_s(_l("Only declined lines are signed off."))]})
            line.declined_signed_by = data["signed_by"]
            line.declined_signed_at = ctx.at
    unknown = signoff - {ln.id for ln in wo.lines}
    if unknown:
        raise ValidationFailed(_s(_l("Unknown lines in the sign-off.")),
                               fields={"declined_signoff": [_s(_l("Unknown line ids: %(ids)s.",
                                                                  ids=", ".join(map(str, sorted(unknown)))))]})
    wo.delivered_at = ctx.at
    wo.delivered_signed_by = data["signed_by"]
    wo.delivery_check = {"old_parts_handled": data["old_parts_handled"], "car_clean": data["car_clean"],
                         "nothing_left_inside": data["nothing_left_inside"], "checked_by": getattr(ctx.actor, "id", None)}
    paid = billing.take_delivery_payment(wo, data, ctx)  # the customer's share, exactly, after adjustments
    if data.get("next_service_date") is not None:
        wo.next_service_date = vehicle.next_service_date = data["next_service_date"]
    if data.get("next_service_km") is not None:
        wo.next_service_km = vehicle.next_service_km = data["next_service_km"]
    if data.get("preferred_callback_time"):
        wo.preferred_callback_time = data["preferred_callback_time"]
    ctx.event_data.update(totals=wo.approved_totals, shares=wo.settlement.shares, paid_amount=paid)


def follow_up(wo: WorkOrder, data: dict, ctx: Context):
    wo.follow_up_attempts += 1
    wo.follow_up_outcome = data["outcome"]
    if data["outcome"] != "reached":
        ctx.target = wo.state  # the callback is tried again; the clock keeps running
        if data.get("note"):
            wo.follow_up_note = data["note"]
        return
    if data.get("satisfaction") is None:
        raise ValidationFailed(_s(_l("Record the customer's satisfaction (1–5).")),
                               fields={"satisfaction": [_s(_l("Required when the customer was reached."))]})
    wo.satisfaction = data["satisfaction"]
    wo.follow_up_note = data.get("note") or None
    wo.followed_up_at = ctx.at
    ctx.target = "closed"
    ctx.stops.append("work_order.follow_up_call")
    ctx.event_data["unhappy"] = is_unhappy(wo)


def is_unhappy(wo: WorkOrder) -> bool:
    return wo.satisfaction is not None and wo.satisfaction <= 2


def cancel(wo: WorkOrder, data: dict, ctx: Context):
    wo.cancel_reason = data["reason"]


# --- check-in photos -----------------------------------------------------------------------------
PHOTO_NOTE_MAX = 500


def photo_meta(panel: str | None, note: str | None) -> tuple[str | None, str | None]:
    """The one rule for a photo's panel and note (API and page): no panel, or one of the check-in sheet's
    panels (anything else is refused, 422 on `panel`); the note trimmed, at most 500 characters."""
    panel = (panel or "").strip() or None
    if panel is not None and panel not in dict(PANELS):
        raise ValidationFailed(_s(_l("Unknown panel “%(panel)s”: the photo was not added.", panel=panel[:40])),
                               fields={"panel": [_s(_l("Choose a panel of the check-in sheet, or none."))]})
    note = (note or "").strip() or None
    if note is not None and len(note) > PHOTO_NOTE_MAX:
        raise ValidationFailed(_s(_l("The note is too long: the photo was not added.")),
                               fields={"note": [_s(_l("At most %(n)s characters.", n=PHOTO_NOTE_MAX))]})
    return panel, note


def add_photo(actor, wo: WorkOrder, upload, panel: str | None = None, note: str | None = None):
    """Store a photo of the car (type and size checked by the documents module) with its panel and note,
    and note it on the timeline. Returns the document row."""
    from ..core import events
    from ..documents.services import save_upload

    if wo.state in ("closed", "cancelled"):
        raise Conflict(_s(_l("The work order is closed or cancelled; no more photos are taken.")),
                       code="invalid_state")
    panel, note = photo_meta(panel, note)
    doc = save_upload(actor, wo, PHOTO_KIND, upload)
    doc.panel, doc.note = panel, note
    events.record(wo, kind="note", action="photo_added", actor=actor, from_state=wo.state, to_state=wo.state,
                  data={"document_id": doc.id, "panel": panel, "note": note})
    return doc


def photos_of(wo: WorkOrder) -> list:
    """The work order's check-in photos (document rows with their panel and note), oldest first."""
    from ..documents.models import Document

    return list(db.session.scalars(sa.select(Document).where(
        Document.case_type == wo.CASE_TYPE, Document.case_id == wo.id, Document.kind == PHOTO_KIND)
        .order_by(Document.id)))


# --- what the actions of the state table (workflow.py) do: handler, then its gates ------------------
WF.implement(
    check_in=check_in,
    estimate=estimate,
    remove_line=remove_line,
    decide_warranty=decide_warranty,
    authorise=(authorise, gate_has_estimate, gate_warranty_decided),
    dispatch=dispatch,
    request_extra_work=request_extra_work,
    decide_extra_work=decide_extra_work,
    complete_repair=(complete_repair, gate_no_pending_extra),
    pass_check=(pass_check, gate_check_order),
    fail_check=fail_check,
    wash=wash,
    notify_customer=notify_customer,
    deliver=(deliver, gate_deliverable),
    add_adjustment=billing.add_adjustment,
    remove_adjustment=billing.remove_adjustment,
    record_payment=billing.record_payment,
    refund=billing.refund,
    follow_up=follow_up,
    cancel=cancel,
)
