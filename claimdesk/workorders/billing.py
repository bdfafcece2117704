"""The work order's money verbs: adjustment lines, the customer's payments (split across methods),
refunds, and the payment part of delivery. The figures themselves come from `settlement`.

Handlers change objects and flush; the boundary commits. A refused request changes nothing: every
check runs on a computed settlement before a row is added.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, Forbidden, ValidationFailed
from ..core.templating import fmt_money
from ..core.workflow import Context
from ..extensions import db
from . import settlement
from .models import WorkOrder, WorkOrderAdjustment, WorkOrderPayment

#: Hooks other modules register (the work order never imports them): fn(wo, new: Settlement) raises
#: a domain error when a change of the bill is not allowed for them (e.g. a closed claim's invoice).
MONEY_GUARDS: list[Callable] = []

KIND_LABELS = {
    "goodwill_discount": _l("Goodwill discount"), "labour_waiver": _l("Labour waived"),
    "deductible": _l("Insurer's deductible (免赔)"), "shortfall": _l("Approved-amount shortfall"),
}
PAYER_LABELS = {"customer": _l("Customer"), "insurer": _l("Insurer"), "manufacturer": _l("Manufacturer (warranty)"),
                "dealer": _l("Dealer")}


def _field(field: str, message) -> ValidationFailed:
    return ValidationFailed(str(message), fields={field: [str(message)]})


def _check(wo: WorkOrder, adjustments, payments) -> settlement.Settlement:
    """The settlement the work order would have; refuses a negative share and asks the guards."""
    try:
        new = settlement.compute(wo.lines, adjustments, payments)
    except settlement.ShareNegative as err:
        raise _field("amount", _l("More than the %(payer)s's share of the bill.",
                                  payer=PAYER_LABELS[err.payer])) from None
    for guard in MONEY_GUARDS:
        guard(wo, new)
    return new


def check_bill(wo: WorkOrder) -> settlement.Settlement:
    """The bill after a change of its lines (the first free service): no share below zero, the guards agree."""
    return _check(wo, wo.adjustments, wo.payments)


# --- adjustments ---------------------------------------------------------------------------------
def build_adjustment(wo: WorkOrder, data: dict, actor=None, *, complaint_id: int | None = None) -> WorkOrderAdjustment:
    """Validate and add one adjustment line (kind, amount, payer …) to the work order."""
    kind = data["kind"]
    from_payer, takers = settlement.ADJUSTMENT_KINDS[kind]
    to_payer = data.get("payer") or takers[0]
    if to_payer not in takers:
        raise _field("payer", _l("A %(kind)s is paid by: %(payers)s.", kind=KIND_LABELS[kind],
                                 payers=", ".join(takers)))
    if to_payer == "dealer" and kind == "shortfall" and actor is not None and actor.role != "manager":
        raise Forbidden(str(_l("Only a manager writes off a shortfall to the dealer.")))
    agreed_by = (data.get("agreed_by") or "").strip() or None
    if to_payer == "customer" and kind == "shortfall" and not agreed_by:
        raise _field("agreed_by", _l("The customer's consent is recorded: who agreed to pay it?"))
    amount = settlement.cent(data["amount"])
    if amount <= 0:
        raise _field("amount", _l("Must be more than 0.00."))
    adj = WorkOrderAdjustment(kind=kind, description=data.get("description") or str(KIND_LABELS[kind]),
                              amount=amount, from_payer=from_payer, to_payer=to_payer, complaint_id=complaint_id,
                              agreed_by=agreed_by, created_by_id=getattr(actor, "id", None))
    _check(wo, [*wo.adjustments, adj], wo.payments)
    wo.adjustments.append(adj)
    db.session.flush()
    return adj


def add_adjustment(wo: WorkOrder, data: dict, ctx: Context):
    adj = build_adjustment(wo, data, ctx.actor, complaint_id=data.get("complaint_id"))
    ctx.event_data.update(adjustment_id=adj.id, kind=adj.kind, amount=adj.amount, from_payer=adj.from_payer,
                          to_payer=adj.to_payer, shares=wo.settlement.shares)


def remove_adjustment(wo: WorkOrder, data: dict, ctx: Context):
    adj = next((a for a in wo.adjustments if a.id == data["adjustment_id"]), None)
    if adj is None:
        raise _field("adjustment_id", _l("No such adjustment on this work order."))
    if adj.complaint_id is not None and not data.get("complaint_id"):
        raise Conflict(str(_l("This goodwill comes from a complaint resolution; change it on the complaint.")),
                       code="invalid_state")
    _check(wo, [a for a in wo.adjustments if a is not adj], wo.payments)
    wo.adjustments.remove(adj)
    db.session.flush()
    ctx.event_data.update(adjustment_id=data["adjustment_id"], kind=adj.kind, amount=adj.amount,
                          shares=wo.settlement.shares)


# --- payments and refunds ------------------------------------------------------------------------
def _payment(data: dict, ctx: Context, kind: str = "payment") -> WorkOrderPayment:
    return WorkOrderPayment(kind=kind, method=data["method"], amount=settlement.cent(data["amount"]),
                            reference=data.get("reference"), recorded_by_id=getattr(ctx.actor, "id", None),
                            at=ctx.at)


def _after_payments(wo: WorkOrder, ctx: Context) -> None:
    db.session.flush()
    s = wo.settlement
    wo.paid_amount = s.received if wo.payments else wo.paid_amount
    paying = [p for p in wo.payments if p.kind == "payment"]
    if paying:
        wo.payment_method = paying[-1].method if len({p.method for p in paying}) == 1 else "split"
        wo.paid_at = ctx.at
    ctx.event_data.update(received=s.received, customer_share=s.customer, balance_due=s.balance_due)


def record_payment(wo: WorkOrder, data: dict, ctx: Context):
    """A payment at the cashier (a deposit, or one of several methods); never more than is due."""
    due = wo.settlement.balance_due
    amount = settlement.cent(data["amount"])
    if amount > due:
        raise _field("amount", _l("More than the %(due)s still due from the customer.", due=fmt_money(max(due, 0))))
    wo.payments.append(_payment(data, ctx))
    _after_payments(wo, ctx)
    ctx.event_data.update(method=data["method"], amount=amount)


def refund(wo: WorkOrder, data: dict, ctx: Context):
    """Money back to a customer who paid more than their share (e.g. a discount granted afterwards)."""
    over = wo.settlement.overpaid
    amount = settlement.cent(data["amount"]) if data.get("amount") is not None else over
    if over <= 0:
        raise Conflict(str(_l("The customer has not paid more than their share; nothing to refund.")),
                       code="invalid_state")
    if amount > over:
        raise _field("amount", _l("More than the %(over)s overpaid.", over=fmt_money(over)))
    wo.payments.append(_payment({**data, "amount": amount}, ctx, "refund"))
    _after_payments(wo, ctx)
    ctx.event_data.update(method=data["method"], amount=amount)


# --- delivery ------------------------------------------------------------------------------------
def payment_gates(wo: WorkOrder, data: dict) -> list[tuple[str, str]]:
    """The delivery gates of money: the customer's share (after adjustments) must be paid exactly."""
    s = wo.settlement
    if s.balance_due < 0:
        return [("refund_due", str(_l("Cannot deliver: the customer paid %(over)s more than their share; refund it "
                                      "first.", over=fmt_money(s.overpaid))))]
    if s.balance_due > 0 and not (data.get("payment_method") or data.get("payments") or wo.payment_method):
        return [("payment_recorded", str(_l("Cannot deliver: payment of %(amount)s not recorded (payment method).",
                                            amount=fmt_money(s.balance_due))))]
    return []


def take_delivery_payment(wo: WorkOrder, data: dict, ctx: Context) -> Decimal:
    """At delivery the customer pays exactly what is still due: `paid_amount` with `payment_method`
    (one method), or `payments` (split across methods). Returns the amount taken now."""
    s = wo.settlement
    due = s.balance_due
    split = data.get("payments") or []
    if split:
        paid = sum((settlement.cent(p["amount"]) for p in split), settlement.ZERO)
        if data.get("paid_amount") is not None and data["paid_amount"] != paid:
            raise _field("paid_amount", _l("The split payments add up to %(sum)s.", sum=fmt_money(paid)))
    else:
        paid = data.get("paid_amount")
        if paid is None:
            paid = due
    if paid != due:
        raise ValidationFailed(str(_l("The amount paid must equal the customer's share %(amount)s.",
                                      amount=fmt_money(due))),
                               fields={"paid_amount" if not split else "payments":
                                       [str(_l("Expected %(amount)s.", amount=str(due)))]})
    if split:
        for p in split:
            wo.payments.append(_payment(p, ctx))
    elif paid > 0:
        method = data.get("payment_method") or wo.payment_method
        wo.payments.append(_payment({"method": method, "amount": paid}, ctx))
    if wo.payments:
        _after_payments(wo, ctx)
    else:
        wo.paid_amount = paid
        wo.paid_at = ctx.at
    return paid
