"""Verbs of the work order: open it, and the handlers of its actions. They change objects and flush;
the request or job boundary commits. Refusals are named gates (GateBlocked) or field errors."""
from __future__ import annotations

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
from . import billing, first_service
from .checks import (
    CHECK_ITEMS,
    fail_check,
    gate_check_order,
    gate_check_signer,
    gate_final_check_passed,
    pass_check,
    wash,
)
from .delivery import (
    DELIVERY_GATES,
    LINKED_CASES,
    deliver,
    delivery_blockers,
    follow_up,
    gate_deliverable,
    is_unhappy,
    linked_cases,
    notify_customer,
)
from .models import Part, WorkOrder, WorkOrderLine
from .schemas import WorkOrderIn, decision_of
from .workflow import WF

#: re-exported: the verbs' one address for pages and other modules (hooks, gates, check items)
__all__ = ["CHECK_ITEMS", "DELIVERY_GATES", "LINKED_CASES", "delivery_blockers", "is_unhappy", "linked_cases"]

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
                   "booklet_checked", "diagnosis", "spare_tyre_present", "tool_kit_present", "key_tag")


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
            line.free_service = False  # nor as the first free service
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


def revise_promise(wo: WorkOrder, data: dict, ctx: Context):
    """A new promised completion time agreed with the customer; the clock re-bases on it (workflow)."""
    new, old = data["promised_at"], wo.promised_at
    if new <= ctx.at:
        raise ValidationFailed(_s(_l("The promised completion time must be in the future.")),
                               fields={"promised_at": [_s(_l("Must be later than now."))]})
    if old is not None and new == old:
        raise ValidationFailed(_s(_l("That is the promised time already.")),
                               fields={"promised_at": [_s(_l("Give a different time."))]})
    late = old is not None and old <= ctx.at
    if late:  # the old promise is already missed: its clock ends as met or breached, not cancelled
        ctx.stops.append("work_order.promised_completion")
    actor = getattr(ctx.actor, "display_name", None) or "system"
    wo.promise_revisions = [*(wo.promise_revisions or []), {
        "from": old.isoformat() if old else None, "to": new.isoformat(), "reason": data["reason"].strip(),
        "agreed_by": data["agreed_by"].strip(), "channel": data["channel"], "at": ctx.at.isoformat(), "by": actor}]
    wo.promised_at = new
    ctx.deadlines["work_order.promised_completion"] = new
    ctx.event_data.update(previous_promised_at=old, promised_at=new, late=late)


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


def cancel(wo: WorkOrder, data: dict, ctx: Context):
    wo.cancel_reason = data["reason"]
    first_service.release_on_cancel(wo)


# --- what the actions of the state table (workflow.py) do: handler, then its gates ------------------
WF.implement(
    check_in=check_in,
    estimate=estimate,
    remove_line=remove_line,
    decide_warranty=decide_warranty,
    apply_first_service=first_service.apply_first_service,
    authorise=(authorise, gate_has_estimate, gate_warranty_decided),
    revise_promise=revise_promise,
    dispatch=dispatch,
    request_extra_work=request_extra_work,
    decide_extra_work=decide_extra_work,
    complete_repair=(complete_repair, gate_no_pending_extra),
    pass_check=(pass_check, gate_check_signer, gate_check_order),
    fail_check=(fail_check, gate_check_signer),
    wash=(wash, gate_final_check_passed),
    notify_customer=notify_customer,
    deliver=(deliver, gate_deliverable),
    add_adjustment=billing.add_adjustment,
    remove_adjustment=billing.remove_adjustment,
    record_payment=billing.record_payment,
    refund=billing.refund,
    follow_up=follow_up,
    cancel=cancel,
)
