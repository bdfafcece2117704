"""The claim's money: the invoice (the work order's insurance share), submitting it to the insurer, payouts,
write-offs and charges to the customer, and closing only when invoiced = paid + written off + charged.

Money is Decimal from the schema to the column; nothing here converts through float."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, Forbidden, GateBlocked, ValidationFailed
from ..extensions import db
from .models import ZERO, Claim, ClaimPayout
from .repair import sync_invoice


def take_invoice(claim: Claim, data) -> None:
    """An `invoiced_amount` sent with an action: recorded as is while the work order bills nothing; once
    it does, the invoice is its insurance share and a different figure is refused (422)."""
    value = data.get("invoiced_amount")
    if value is not None:
        if claim.billed_work_order is not None and value != claim.invoiced:
            raise ValidationFailed.on("invoiced_amount", _l(
                "The invoice is the work order's insurance share, %(share)s; change the work order's lines or "
                "adjustments instead.", share=f"{claim.invoiced:.2f}"))
        claim.invoiced_amount = value
    sync_invoice(claim)


def _settle_amount(claim: Claim, amount: Decimal) -> None:
    if amount > claim.unsettled:
        raise ValidationFailed.on("amount", _l("More than the %(left)s of the invoice not yet paid, written off or charged.",
                                    left=f"{max(claim.unsettled, ZERO):.2f}"))


def _maybe_fully_paid(claim: Claim, ctx) -> None:
    if claim.state == "payout" and claim.payouts and claim.fully_paid_at is None and claim.outstanding == ZERO:
        claim.fully_paid_at = max(p.paid_at for p in claim.payouts)
        ctx.event_data["fully_paid"] = True
        ctx.stops.append("claim.payout")


def h_write_off(claim: Claim, data, ctx):
    """The dealer absorbs part of the invoice (a manager's decision, with a reason)."""
    sync_invoice(claim)
    amount = data["amount"]
    _settle_amount(claim, amount)
    claim.written_off_amount = (claim.written_off_amount or ZERO) + amount
    reason = data["reason"].strip()
    claim.write_off_reason = f"{claim.write_off_reason}; {reason}" if claim.write_off_reason else reason
    ctx.event_data.update(amount=amount, written_off_amount=claim.written_off_amount, unsettled=claim.unsettled)
    _maybe_fully_paid(claim, ctx)


def h_charge_customer(claim: Claim, data, ctx):
    """The customer pays part of the invoice the insurer will not (their consent recorded)."""
    sync_invoice(claim)
    amount = data["amount"]
    _settle_amount(claim, amount)
    claim.customer_owes_amount = (claim.customer_owes_amount or ZERO) + amount
    claim.customer_consent_by = data["consent_by"].strip()
    ctx.event_data.update(amount=amount, customer_owes_amount=claim.customer_owes_amount,
                          consent_by=claim.customer_consent_by, unsettled=claim.unsettled)
    ctx.visibility = "customer"
    _maybe_fully_paid(claim, ctx)


def h_submit(claim: Claim, data, ctx):
    take_invoice(claim, data)
    claimed = data.get("claimed_amount")
    if claimed is None:
        claimed = min(claim.approved_total, claim.invoiced)
    if claimed > claim.invoiced:
        raise ValidationFailed.on("claimed_amount", _l("More than the invoice, %(invoiced)s.", invoiced=f"{claim.invoiced:.2f}"))
    if claimed <= ZERO:
        raise ValidationFailed.on("claimed_amount", _l("Nothing to claim: the approved amount is zero."))
    claim.claimed_amount = claimed
    claim.authorised_by = data.get("authorised_by") or claim.customer.name
    claim.submitted_at = ctx.at
    ctx.event_data.update(claimed_amount=claimed, invoiced=claim.invoiced, authorised_by=claim.authorised_by)


def h_record_payout(claim: Claim, data, ctx):
    amount: Decimal = data["amount"]
    if data["paid_at"] > ctx.at:
        raise ValidationFailed.on("paid_at", _l("The payment date cannot be in the future."))
    if claim.fully_paid_at is not None:
        raise Conflict(str(_l("The claim is fully paid already.")), code="invalid_state")
    if amount > claim.outstanding:
        raise ValidationFailed.on("amount", _l("More than the %(outstanding)s still expected from the insurer.",
                                    outstanding=f"{claim.outstanding:.2f}"))
    payout = ClaimPayout(amount=amount, paid_at=data["paid_at"], reference=data.get("reference"),
                         recorded_by_id=getattr(ctx.actor, "id", None), recorded_at=ctx.at)
    claim.payouts.append(payout)
    db.session.flush()
    ctx.event_data.update(paid_total=claim.paid_total, outstanding=claim.outstanding)
    if claim.outstanding == ZERO:
        claim.fully_paid_at = data["paid_at"]
        ctx.event_data["fully_paid"] = True
        ctx.stops.append("claim.payout")


def g_has_payout(claim: Claim, data, ctx):
    if not claim.payouts:
        raise GateBlocked("payout_recorded", str(_l(
            "Cannot close: no payout from the insurer is recorded yet (or reject the claim).")))


def h_close(claim: Claim, data, ctx):
    """Close only when invoiced = paid + written off + charged to the customer, to the fen; what is still
    unsettled at the final payout goes to the customer (customer_owes) or is written off (manager)."""
    sync_invoice(claim)
    remaining = claim.unsettled
    ctx.event_data.update(approved_total=claim.approved_total, invoiced=claim.invoiced,
                          paid_total=claim.paid_total, shortfall=claim.shortfall, unsettled=remaining)
    if remaining < ZERO:
        raise GateBlocked("claim_balanced", str(_l(
            "Cannot close: paid, written off and charged add up to %(over)s more than the invoice %(invoiced)s.",
            over=f"{-remaining:.2f}", invoiced=f"{claim.invoiced:.2f}")))
    if remaining > ZERO:
        action = data.get("shortfall_action")
        if action is None:
            raise ValidationFailed(
                str(_l("The insurer paid %(short)s less than invoiced: the customer owes it, or it is written off.",
                       short=f"{remaining:.2f}")),
                fields={"shortfall_action": [str(_l("Choose customer_owes or write_off."))]})
        if action == "write_off":
            if ctx.actor is not None and ctx.actor.role != "manager":
                raise Forbidden(str(_l("Only a manager may write off a shortfall.")))
            if not (data.get("write_off_reason") or "").strip():
                raise ValidationFailed(str(_l("A write-off needs a reason.")),
                                       fields={"write_off_reason": [str(_l("Required for a write-off."))]})
            claim.written_off_amount = (claim.written_off_amount or ZERO) + remaining
            reason = data["write_off_reason"].strip()
            claim.write_off_reason = f"{claim.write_off_reason}; {reason}" if claim.write_off_reason else reason
        else:
            claim.customer_owes_amount = (claim.customer_owes_amount or ZERO) + remaining
        ctx.event_data["shortfall_action"] = action
    if claim.fully_paid_at is None:
        # The last payment was final although short of the claim: the payout wait ends here.
        claim.fully_paid_at = max(p.paid_at for p in claim.payouts)
        ctx.stops.append("claim.payout")


def _outcome(claim: Claim, data, ctx):
    claim.outcome_reason = data["reason"]
    owes = data.get("customer_owes_amount")
    if owes is None:
        # Work already done is now the customer's to pay.
        owes = claim.invoiced - claim.paid_total if claim.repair_completed_at else ZERO
    claim.customer_owes_amount = max(owes, ZERO)
    ctx.event_data["customer_owes_amount"] = claim.customer_owes_amount
    ctx.visibility = "customer"


h_reject = _outcome
h_withdraw = _outcome
