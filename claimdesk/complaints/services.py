"""Verbs of complaints (open_complaint) and the handlers of its actions. They change objects and
flush; the request or job boundary commits."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..auth.permissions import sees_store, store_for_new
from ..auth.services import active_colleague
from ..core import events
from ..core.clock import now
from ..core.errors import Conflict, GateBlocked, ValidationFailed
from ..core.types import money
from ..core.workflow import Context, action_performed
from ..customers.models import Customer, Vehicle
from ..extensions import db
from ..workorders.models import WorkOrder
from .models import EXTERNAL_CHANNELS, Complaint
from .workflow import WF

#: letters are answered within a day instead of the policy's business hours
LETTER_FIRST_RESPONSE_SECONDS = 24 * 3600
#: the second time a customer is still unhappy at the follow-up call, the complaint goes up a level
AUTO_ESCALATE_AT_REOPEN = 2
TOP_ESCALATION_LEVEL = 2


def _field_error(field: str, message) -> ValidationFailed:
    return ValidationFailed(str(message), fields={field: [str(message)]})


#: who handles complaints (assignee at intake, who met the customer)
HANDLER_ROLES = ("customer_relations", "advisor", "front_desk_supervisor", "manager")


def _store_user(user_id: int, store_id: int, field: str) -> User:
    user = active_colleague(user_id, store_id)
    if user is None:
        raise _field_error(field, _l("No active user with that id in this store."))
    if user.role not in HANDLER_ROLES:
        raise _field_error(field, _l("Complaints are handled by customer relations, advisors and managers."))
    return user


def open_complaint(actor, data: dict) -> Complaint:
    """Log a complaint (in `listen`) and start its first-response and resolution clocks."""
    data = dict(data)
    requested_store = data.pop("store_id", None)
    customer = db.session.get(Customer, data["customer_id"])
    if customer is None or not sees_store(actor, customer.store_id):
        raise _field_error("customer_id", _l("Unknown customer in this store."))
    # The complaint goes to the customer's store (a group manager may log one for any store).
    store_id = store_for_new(actor, requested_store if requested_store is not None else customer.store_id)
    if customer.store_id != store_id:
        raise _field_error("customer_id", _l("Unknown customer in this store."))
    vehicle = None
    if data.get("vehicle_id") is not None:
        vehicle = db.session.get(Vehicle, data["vehicle_id"])
        if vehicle is None or vehicle.store_id != store_id:
            raise _field_error("vehicle_id", _l("Unknown vehicle in this store."))
        if vehicle.customer_id != customer.id:
            raise _field_error("vehicle_id", _l("This vehicle belongs to another customer."))
    work_order = None
    if data.get("work_order_id") is not None:
        work_order = db.session.get(WorkOrder, data["work_order_id"])
        if work_order is None or work_order.store_id != store_id:
            raise _field_error("work_order_id", _l("Unknown work order in this store."))
        if work_order.customer_id != customer.id:
            raise _field_error("work_order_id", _l("This work order belongs to another customer."))
        if vehicle is None:
            vehicle = work_order.vehicle
        elif work_order.vehicle_id != vehicle.id:
            raise _field_error("work_order_id", _l("This work order is for another vehicle."))
    channel = data["channel"]
    severity = data.get("severity") or ("high" if channel in EXTERNAL_CHANNELS else "medium")
    deadline = data.get("deadline_at")
    if deadline is not None:
        if channel not in EXTERNAL_CHANNELS:
            raise _field_error("deadline_at", _l("Only manufacturer-hotline and regulator complaints carry "
                                                 "an external deadline."))
        if deadline <= now():
            raise _field_error("deadline_at", _l("The deadline must be in the future."))
    assignee = actor
    if data.get("assignee_id") is not None:
        assignee = _store_user(data["assignee_id"], store_id, "assignee_id")
    at = now()
    complaint = Complaint(
        store_id=store_id, customer_id=customer.id, vehicle_id=vehicle.id if vehicle else None,
        work_order_id=work_order.id if work_order else None,
        state=WF.initial,
        channel=channel, category=data["category"], severity=severity, description=data["description"],
        external_reference=data.get("external_reference"), deadline_at=deadline,
        created_by_id=getattr(actor, "id", None), assignee_id=getattr(assignee, "id", None),
        created_at=at, updated_at=at,
    )
    # Loaded above already: set, the response's customer name and plate need no further queries.
    complaint.customer = customer
    complaint.vehicle = vehicle
    targets = {"complaint.first_response": LETTER_FIRST_RESPONSE_SECONDS} if channel == "letter" else {}
    deadlines = {"complaint.resolution": deadline} if deadline is not None else {}
    WF.start(complaint, actor, {**data, "severity": severity},
             starts=("complaint.first_response", "complaint.resolution"), targets=targets, deadlines=deadlines)
    return complaint


# --- action handlers ---------------------------------------------------------------------------
def listen(case: Complaint, data: dict, ctx: Context) -> None:
    met_by = ctx.actor
    if data.get("met_by_id") is not None:
        met_by = _store_user(data["met_by_id"], case.store_id, "met_by_id")
    met_at = data.get("met_at") or ctx.at
    if met_at > ctx.at + timedelta(minutes=5):
        raise _field_error("met_at", _l("The meeting cannot be in the future."))
    case.account = data["account"]
    case.met_by_id = getattr(met_by, "id", None)
    case.met_at = met_at
    case.met_where = data.get("met_where")
    case.listened_at = ctx.at
    ctx.event_data["met_by_name"] = getattr(met_by, "display_name", None)


def apologise(case: Complaint, data: dict, ctx: Context) -> None:
    case.apology_note = data["note"]
    case.apologised_at = ctx.at


def resolve(case: Complaint, data: dict, ctx: Context) -> None:
    if data.get("create_work_order"):
        # In the same transaction as the resolution: if either fails, neither is written.
        wo = open_resolution_work_order(case, data, ctx)
        ctx.event_data.update(work_order_id=wo.id, work_order_number=wo.number,
                              work_order_kind=case.resolution_work_order_kind)
    case.attribution = data["attribution"]
    case.resolution = data["resolution"]
    case.root_cause = data.get("root_cause")
    for key in ("cost_to_store", "labour_waived", "discount", "compensation"):
        value = data.get(key)
        setattr(case, key, money(value) if value is not None else Decimal("0.00"))
    case.goodwill_note = data.get("goodwill_note")
    case.customer_accepted = data.get("customer_accepted")
    case.resolved_at = ctx.at
    case.resolved_by_id = getattr(ctx.actor, "id", None)
    # A fresh follow-up outcome is needed after every resolution.
    case.satisfied = None
    ctx.event_data["goodwill_total"] = case.goodwill_total
    ctx.event_data["goodwill_granted"] = grant_goodwill(case, ctx)


# --- goodwill lands on the bill ------------------------------------------------------------------
FINAL_WORK_ORDER_STATES = ("closed", "cancelled")


def _bill_of(case: Complaint) -> WorkOrder | None:
    """The bill a waiver or discount goes on: the work order complained about, else the rework or
    inspection the resolution opened — whichever is still open (not closed or cancelled)."""
    for wo in (case.work_order, case.resolution_work_order):
        if wo is not None and wo.state not in FINAL_WORK_ORDER_STATES:
            return wo
    return None


def grant_goodwill(case: Complaint, ctx: Context) -> list[dict]:
    """Turn the resolution's labour waiver and discount into adjustment lines of the open work order's
    bill (customer → dealer), as far as the customer's share reaches; the rest, and any compensation, is
    a goodwill payment to the customer. A new resolution replaces what an earlier one granted (what
    already sits on a closed bill stays). Returns what was granted, for the timeline."""
    from ..workorders.models import WorkOrderAdjustment
    from ..workorders.workflow import WF as WORK_ORDER

    earlier = db.session.scalars(sa.select(WorkOrderAdjustment).where(WorkOrderAdjustment.complaint_id == case.id)).all()
    kept = {"labour_waiver": Decimal("0.00"), "goodwill_discount": Decimal("0.00")}
    for adj in earlier:
        wo = adj.work_order
        if wo.state in FINAL_WORK_ORDER_STATES:
            kept[adj.kind] += adj.amount
            continue
        WORK_ORDER.perform(wo, "remove_adjustment", {"adjustment_id": adj.id, "complaint_id": case.id},
                           ctx.actor, system=True, validated=True)
    case.goodwill_payments.clear()
    db.session.flush()
    granted = []
    bill = _bill_of(case)
    for kind, wanted, label in (("labour_waiver", case.labour_waived, _l("Labour waived")),
                                ("goodwill_discount", case.discount, _l("Goodwill discount"))):
        amount = max(money(wanted or 0) - kept[kind], Decimal("0.00"))
        on_bill = min(amount, bill.settlement.customer) if bill is not None else Decimal("0.00")
        if on_bill > 0:
            WORK_ORDER.perform(bill, "add_adjustment", {
                "kind": kind, "amount": on_bill, "complaint_id": case.id,
                "description": str(_l("%(what)s, complaint %(number)s", what=label, number=case.number))},
                ctx.actor, system=True, validated=True)
            granted.append({"kind": kind, "amount": on_bill, "work_order_number": bill.number})
        if amount - on_bill > 0:
            _goodwill_payment(case, kind, amount - on_bill, ctx)
            granted.append({"kind": kind, "amount": amount - on_bill, "paid_directly": True})
    if case.compensation and case.compensation > 0:
        _goodwill_payment(case, "compensation", money(case.compensation), ctx)
        granted.append({"kind": "compensation", "amount": money(case.compensation), "paid_directly": True})
    db.session.flush()
    return granted


def _goodwill_payment(case: Complaint, kind: str, amount: Decimal, ctx: Context) -> None:
    from .models import GoodwillPayment

    case.goodwill_payments.append(GoodwillPayment(kind=kind, amount=amount, store_id=case.store_id,
                                                  customer_id=case.customer_id, created_at=ctx.at,
                                                  created_by_id=getattr(ctx.actor, "id", None)))


def goodwill_granted(case: Complaint) -> list[dict]:
    """What the customer actually got: adjustment lines on work-order bills and goodwill payments."""
    from ..workorders.models import WorkOrderAdjustment

    out = []
    rows = db.session.execute(sa.select(WorkOrderAdjustment, WorkOrder.number, WorkOrder.state).join(
        WorkOrder, WorkOrder.id == WorkOrderAdjustment.work_order_id).where(
        WorkOrderAdjustment.complaint_id == case.id).order_by(WorkOrderAdjustment.id)).all()
    for adj, number, state in rows:
        out.append({"kind": adj.kind, "amount": adj.amount, "work_order_id": adj.work_order_id,
                    "work_order_number": number, "work_order_state": state, "paid_directly": False})
    for p in case.goodwill_payments:
        out.append({"kind": p.kind, "amount": p.amount, "work_order_id": None, "work_order_number": None,
                    "work_order_state": None, "paid_directly": True})
    return out


def open_resolution_work_order(case: Complaint, data: dict, ctx: Context) -> WorkOrder:
    """Our fault: a rework at the customer's convenience; not our fault: a free inspection. Either way
    the store pays (pay type internal); the rework points at the work order complained about."""
    from ..workorders.services import open_work_order

    attribution = data["attribution"]
    if attribution == "misunderstanding":
        raise _field_error("create_work_order", _l("A misunderstanding is explained, not repaired: no work "
                                                   "order (choose our fault or not our fault)."))
    vehicle = case.vehicle
    if data.get("vehicle_id") is not None and (vehicle is None or vehicle.id != data["vehicle_id"]):
        if vehicle is not None:
            raise _field_error("vehicle_id", _l("The complaint is about another vehicle."))
        vehicle = db.session.get(Vehicle, data["vehicle_id"])
        if vehicle is None or vehicle.customer_id != case.customer_id:
            raise _field_error("vehicle_id", _l("Not a vehicle of this customer."))
        case.vehicle_id = vehicle.id
    if vehicle is None:
        raise _field_error("vehicle_id", _l("Which vehicle? The complaint names none; choose one for the "
                                            "work order."))
    kind = "rework" if attribution == "our_fault" else "inspection"
    if data.get("work_order_description"):
        text = data["work_order_description"]
    elif kind == "rework":
        text = str(_l("Rework for complaint %(number)s: %(what)s", number=case.number,
                      what=data.get("root_cause") or data["resolution"]))
    else:
        text = str(_l("Free inspection for complaint %(number)s: %(what)s", number=case.number,
                      what=case.description))
    payload = {"customer_id": case.customer_id, "vehicle_id": vehicle.id,
               "mileage_km": data["mileage_km"] if data.get("mileage_km") is not None else vehicle.mileage_km,
               "customer_description": text[:4000], "pay_type": "internal"}
    parent = case.work_order
    if kind == "rework" and parent is not None and parent.vehicle_id == vehicle.id:
        payload["parent_id"] = parent.id
    try:
        wo = open_work_order(ctx.actor, payload, system=True)
    except ValidationFailed as err:
        # Say it in the complaint's words: the work order could not be opened, and why.
        fields = {("mileage_km" if k == "mileage_km" else "create_work_order"): v
                  for k, v in (err.fields or {}).items()}
        raise ValidationFailed(str(_l("The work order could not be opened: %(why)s", why=err.message)),
                               fields=fields or None) from None
    case.resolution_work_order_id = wo.id
    case.resolution_work_order_kind = kind
    return wo


def follow_up(case: Complaint, data: dict, ctx: Context) -> None:
    case.satisfied = data["satisfied"]
    case.follow_up_note = data["note"]
    case.followed_up_at = ctx.at
    if data["satisfied"]:
        _closable(case, ctx)
        ctx.target = "closed"
        return
    # Not satisfied: back to resolve, the resolution clock runs again, and it counts as a reopen.
    case.reopen_count += 1
    ctx.target = "resolve"
    ctx.starts.append("complaint.resolution")
    ctx.event_data["reopened"] = True
    ctx.event_data["reopen_count"] = case.reopen_count


def _closable(case: Complaint, ctx: Context) -> None:
    if not case.attribution:
        raise GateBlocked("attribution_recorded", str(_l("Cannot close: no attribution is recorded.")))
    if not case.resolution:
        raise GateBlocked("resolution_recorded", str(_l("Cannot close: no resolution is recorded.")))


def close(case: Complaint, data: dict, ctx: Context) -> None:
    """A manager's documented decision closes the complaint without a satisfied follow-up."""
    if data.get("attribution"):
        case.attribution = data["attribution"]
    if data.get("resolution"):
        case.resolution = data["resolution"]
        case.resolved_at = case.resolved_at or ctx.at
        case.resolved_by_id = case.resolved_by_id or getattr(ctx.actor, "id", None)
    _closable(case, ctx)
    case.close_reason = data["reason"]


def escalation_target(case: Complaint, level: int) -> User | None:
    """Level 1: the store's after-sales manager (else the store manager); level 2: the store manager."""
    managers = list(db.session.scalars(
        sa.select(User).where(User.role == "manager", User.active.is_(True), User.store_id == case.store_id,
                              User.is_group.is_(False)).order_by(User.id)))
    store_managers = [m for m in managers if m.is_store_manager]
    if level >= TOP_ESCALATION_LEVEL:
        return store_managers[0] if store_managers else None
    after_sales = [m for m in managers if not m.is_store_manager]
    return (after_sales or store_managers or [None])[0]


def escalate(case: Complaint, data: dict, ctx: Context) -> None:
    if case.escalation_level >= TOP_ESCALATION_LEVEL:
        raise Conflict(str(_l("The complaint is already with the store manager; it cannot go higher.")),
                       code="invalid_state")
    level = case.escalation_level + 1
    target = escalation_target(case, level)
    if target is None:
        gate = "store_manager_exists" if level >= TOP_ESCALATION_LEVEL else "manager_exists"
        raise GateBlocked(gate, str(_l("Cannot escalate: this store has no %(who)s.",
                                       who=_l("store manager") if level >= TOP_ESCALATION_LEVEL
                                       else _l("manager"))))
    case.escalation_level = level
    case.escalated_to_id = target.id
    case.escalation_acknowledged_by_id = None
    ctx.event_data.update(level=level, escalated_to_id=target.id, escalated_to_name=target.display_name)


def auto_escalate(case: Complaint) -> None:
    """After repeated reopens the complaint goes up the ladder by itself (a system action)."""
    if case.reopen_count < AUTO_ESCALATE_AT_REOPEN or case.escalation_level >= TOP_ESCALATION_LEVEL:
        return
    reason = str(_l("Automatic: the customer was not satisfied at %(n)s follow-up calls.", n=case.reopen_count))
    if escalation_target(case, case.escalation_level + 1) is None:
        events.record(case, kind="system", action="escalate", actor=None, from_state=case.state,
                      to_state=case.state, data={"reason": reason, "failed": "no manager to escalate to"})
        return
    WF.perform(case, "escalate", {"reason": reason, "automatic": True}, None, system=True, validated=True)


# --- what the actions of the state table (workflow.py) do: handler, then its gates ------------------
WF.implement(
    listen=listen,
    apologise=apologise,
    resolve=resolve,
    follow_up=follow_up,
    escalate=escalate,
    close=close,
)


def _after_action(sender, case=None, action=None, event=None, context=None, **kw):
    if action.name == "follow_up" and context.event_data.get("reopened"):
        auto_escalate(case)


action_performed.connect(_after_action, sender=WF)
