"""The warranty claim's money: the claimed amount is the work order's manufacturer share (its settlement,
`workorders.settlement`), the lines are its warranty lines at their settled amounts; reimbursements
(credit notes), write-offs, and closing only when reimbursed + written off = claimed, to the fen.

Money is Decimal from the schema to the column; amounts are born rounded (ROUND_HALF_UP to the fen) in
the settlement, and everything here is sums and differences of whole fen."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, GateBlocked, ValidationFailed
from ..extensions import db
from ..workorders import settlement
from .models import ZERO, WarrantyClaim, WarrantyClaimLine, WarrantyReimbursement

#: states in which the claim still follows its work order's warranty lines
DRAFT_STATES = ("draft", "preauth_requested", "preauth_decided")


def warranty_lines(wo) -> list:
    return [ln for ln in wo.lines if ln.pay_type == "warranty" and ln.decision == "approved"]


def manufacturer_share(wo):
    return settlement.of(wo).manufacturer


def refresh_lines(claim: WarrantyClaim, wo) -> None:
    """Take the work order's approved warranty lines and its manufacturer share (before submission only)."""
    current = {ln.work_order_line_id: ln for ln in claim.lines}
    keep = set()
    for position, wl in enumerate(warranty_lines(wo)):
        keep.add(wl.id)
        line = current.get(wl.id)
        if line is None:
            line = WarrantyClaimLine(work_order_line_id=wl.id, status="pending")
            claim.lines.append(line)
        line.position, line.kind, line.description = position, wl.kind, wl.description
        line.operation_code, line.part_number = wl.operation_code, wl.part_number
        line.amount = settlement.line_amount(wl.quantity, wl.unit_price)
    for wl_id, line in current.items():
        if wl_id not in keep:
            claim.lines.remove(line)
    claim.claimed_amount = manufacturer_share(wo)


def reconciliation(claim: WarrantyClaim) -> list[str]:
    """Why the claim's figures do not agree with the work order's settlement, or []."""
    problems = []
    share = manufacturer_share(claim.work_order)
    lines = sum((ln.amount for ln in claim.lines), ZERO)
    if share != claim.claimed_amount:
        problems.append(str(_l("the work order's manufacturer share is %(share)s, the claim says %(claimed)s",
                               share=f"{share:.2f}", claimed=f"{claim.claimed_amount:.2f}")))
    if lines != claim.claimed_amount:
        problems.append(str(_l("the lines add up to %(lines)s, not %(claimed)s", lines=f"{lines:.2f}",
                               claimed=f"{claim.claimed_amount:.2f}")))
    return problems


def sync_amounts(claim: WarrantyClaim) -> None:
    """Store the approved and reimbursed totals (the dashboard sums the stored columns)."""
    claim.approved_amount = claim.approved_total
    claim.reimbursed_amount = claim.reimbursed_total


def h_record_reimbursement(claim: WarrantyClaim, data, ctx):
    amount = data["amount"]
    if data["received_on"] > ctx.at.date():
        raise ValidationFailed.on("received_on", _l("The date cannot be in the future."))
    if any(r.credit_note_number == data["credit_note_number"].strip() for r in claim.reimbursements):
        raise ValidationFailed.on("credit_note_number", _l("This credit note is recorded already."))
    room = min(claim.outstanding, claim.unsettled)
    if amount > room:
        raise ValidationFailed.on("amount", _l(
            "More than the %(left)s approved by the manufacturer and not yet reimbursed.", left=f"{room:.2f}"))
    claim.reimbursements.append(WarrantyReimbursement(
        credit_note_number=data["credit_note_number"].strip(), amount=amount, received_on=data["received_on"],
        recorded_by_id=getattr(ctx.actor, "id", None), recorded_at=ctx.at))
    db.session.flush()
    sync_amounts(claim)
    ctx.event_data.update(reimbursed_total=claim.reimbursed_total, outstanding=claim.outstanding)
    if claim.outstanding == ZERO:
        ctx.stops.append("warranty.reimbursement")
        if not claim.pending_lines:
            claim.reimbursed_at = ctx.at
            ctx.target = "reimbursed"


def h_write_off(claim: WarrantyClaim, data, ctx):
    amount = data["amount"]
    # what the manufacturer refused; with short_paid also what it approved but will not pay (a short credit note)
    room = claim.unsettled if data.get("short_paid") else claim.unsettled - claim.outstanding
    if claim.pending_lines:
        raise Conflict(str(_l("Lines still wait for the manufacturer's decision; write off once it is known.")),
                       code="invalid_state")
    if amount > room:
        if data.get("short_paid"):
            raise ValidationFailed.on("amount", _l(
                "More than the %(left)s not yet reimbursed or written off.", left=f"{max(room, ZERO):.2f}"))
        raise ValidationFailed.on("amount", _l(
            "More than the %(left)s the manufacturer will not pay and is not yet written off (approved money "
            "it will not pay: tick \"short-paid\").", left=f"{max(room, ZERO):.2f}"))
    claim.written_off_amount = (claim.written_off_amount or ZERO) + amount
    reason = data["reason"].strip()
    claim.write_off_reason = f"{claim.write_off_reason}; {reason}" if claim.write_off_reason else reason
    ctx.event_data.update(amount=amount, written_off_amount=claim.written_off_amount, unsettled=claim.unsettled,
                          short_paid=bool(data.get("short_paid")))


def g_balanced(claim: WarrantyClaim, data, ctx):
    if claim.pending_lines:
        raise GateBlocked("lines_decided", str(_l(
            "Cannot close: %(n)s line(s) still wait for the manufacturer's decision.", n=len(claim.pending_lines))))
    problems = reconciliation(claim)
    if problems:
        raise GateBlocked("reconciled", str(_l("Cannot close: %(problems)s.", problems="; ".join(problems))))
    left = claim.unsettled
    if left != ZERO:
        raise GateBlocked("claim_balanced", str(_l(
            "Cannot close: reimbursed %(paid)s + written off %(off)s must equal the %(claimed)s claimed; "
            "%(left)s is not accounted for.", paid=f"{claim.reimbursed_total:.2f}",
            off=f"{claim.written_off_amount:.2f}", claimed=f"{claim.claimed_amount:.2f}", left=f"{left:.2f}")))


def h_close(claim: WarrantyClaim, data, ctx):
    sync_amounts(claim)
    ctx.event_data.update(claimed=claim.claimed_amount, approved=claim.approved_total,
                          reimbursed_total=claim.reimbursed_total, written_off_amount=claim.written_off_amount)
