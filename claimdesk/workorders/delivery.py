"""Handing the car back: telling the customer, the delivery gates (the work order's own and those other
modules register), delivery itself and the follow-up call. Bound by services.py (`WF.implement`)."""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from ..core.errors import GateBlocked, ValidationFailed
from ..core.workflow import Context
from . import billing
from .models import WorkOrder


def _s(msg) -> str:
    return str(msg)


#: Hooks other modules register from their init_app; the work order never imports them.
#: LINKED_CASES: fn(wo, user) -> list of dict(case_type, case_id, number, label) the user may open.
LINKED_CASES: list[Callable] = []
#: DELIVERY_GATES: fn(wo) -> list of (gate, message, extra: dict) that hold the car (shown before Deliver).
DELIVERY_GATES: list[Callable] = []


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
    for key, present, message in (
            ("spare_tyre_returned", wo.spare_tyre_present, _l("Cannot deliver: the spare tyre is not back in the car.")),
            ("tool_kit_returned", wo.tool_kit_present, _l("Cannot deliver: the tool kit is not back in the car."))):
        if present and data.get(key) is False:
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
    for key, present in (("spare_tyre_returned", wo.spare_tyre_present), ("tool_kit_returned", wo.tool_kit_present)):
        if present:
            wo.delivery_check[key] = data[key]
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
    reason = (data.get("not_satisfied_reason") or "").strip()
    if data.get("not_satisfied") and not reason:
        raise ValidationFailed(_s(_l("Say why the customer is not satisfied.")),
                               fields={"not_satisfied_reason": [_s(_l("Required when \"not satisfied\" is ticked."))]})
    wo.satisfaction = data["satisfaction"]
    wo.follow_up_note = data.get("note") or None
    wo.not_satisfied = bool(data.get("not_satisfied"))
    wo.not_satisfied_reason = reason if wo.not_satisfied else None
    wo.followed_up_at = ctx.at
    ctx.target = "closed"
    ctx.stops.append("work_order.follow_up_call")
    ctx.event_data["unhappy"] = is_unhappy(wo)


def is_unhappy(wo: WorkOrder) -> bool:
    """A score of 1-2, or "not satisfied" ticked at the call: either opens a complaint."""
    return bool(wo.not_satisfied) or (wo.satisfaction is not None and wo.satisfaction <= 2)
