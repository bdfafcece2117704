"""Verbs of the warranty domain and the handlers of its workflow actions: opening a claim from a work
order's warranty lines, pre-authorisation, submission, the manufacturer's decision per line,
resubmission, the old-part return and cancelling; evidence in `evidence.py`, the money (reimbursements,
write-offs, closing) in `money.py`, the brand rules in `rules.py`. What each action does is bound once,
at the end of this file.

Handlers get (claim, validated data, ctx), change objects and flush; the boundary commits.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.permissions import get_or_404
from ..core.clock import now
from ..core.errors import Conflict, GateBlocked, ValidationFailed
from ..extensions import db
from ..workorders.models import WorkOrder
from . import evidence, money
from .models import ZERO, WarrantyClaim
from .rules import needs_preauth, rule_for
from .workflow import FINAL, PART_RETURN, REIMBURSEMENT, SUBMISSION, WF


# --- opening a claim ----------------------------------------------------------------------------------
def open_claims_of(work_order_id: int) -> list[WarrantyClaim]:
    return list(db.session.scalars(sa.select(WarrantyClaim).where(
        WarrantyClaim.work_order_id == work_order_id, WarrantyClaim.state.not_in(tuple(FINAL)))))


def open_claim(actor, data: dict) -> WarrantyClaim:
    """Open the warranty claim of a work order's approved warranty lines (one open claim per work order)."""
    wo = get_or_404(WorkOrder, data["work_order_id"], actor)
    if not money.warranty_lines(wo):
        raise ValidationFailed.on("work_order_id", _l("Work order %(n)s has no approved warranty lines.",
                                                      n=wo.number))
    if wo.state == "cancelled":
        raise Conflict(str(_l("Work order %(n)s is cancelled.", n=wo.number)), code="invalid_state")
    other = open_claims_of(wo.id)
    if other:
        raise Conflict(str(_l("Work order %(wo)s already has warranty claim %(claim)s.", wo=wo.number,
                              claim=other[0].number)), code="invalid_state")
    assignee_id = data.get("assignee_id")
    if assignee_id is not None:
        from ..auth.services import active_colleague

        if active_colleague(assignee_id, wo.store_id) is None:
            raise ValidationFailed.on("assignee_id", _l("Unknown user for this store."))
    elif getattr(actor, "role", None) == "advisor" and actor.store_id == wo.store_id:
        assignee_id = actor.id
    else:
        assignee_id = wo.assignee_id
    rule = rule_for(wo.vehicle.make)
    t = now()
    completed = wo.repair_completed_at or t
    claim = WarrantyClaim(store_id=wo.store_id, customer_id=wo.customer_id, vehicle_id=wo.vehicle_id,
                          work_order_id=wo.id, make=wo.vehicle.make or "", repair_completed_at=completed,
                          submission_due_at=completed + timedelta(days=rule.submission_days),
                          assignee_id=assignee_id, state=WF.initial, created_at=t, updated_at=t)
    claim.work_order = wo
    claim.vehicle = wo.vehicle
    money.refresh_lines(claim, wo)
    claim.preauth_required = needs_preauth(rule, claim.claimed_amount)
    WF.start(claim, actor, {"work_order": wo.number, "make": claim.make, "claimed_amount": claim.claimed_amount,
                            "submission_due_at": claim.submission_due_at.isoformat()},
             starts=(SUBMISSION,), deadlines={SUBMISSION: claim.submission_due_at})
    return claim


# --- pre-authorisation -----------------------------------------------------------------------------------
def g_preauth_needed(claim: WarrantyClaim, data, ctx):
    if not claim.preauth_required:
        raise GateBlocked("preauth_not_required", str(_l(
            "No pre-authorisation needed: the claim of %(amount)s is within the %(make)s threshold.",
            amount=f"{claim.claimed_amount:.2f}", make=claim.make)))


def h_request_preauth(claim: WarrantyClaim, data, ctx):
    claim.preauth_status = "requested"
    claim.preauth_requested_at = ctx.at
    claim.preauth_reference = data.get("reference")
    ctx.event_data["claimed_amount"] = claim.claimed_amount


def h_preauth_decision(claim: WarrantyClaim, data, ctx):
    claim.preauth_status = "approved" if data["approved"] else "rejected"
    claim.preauth_decided_at = ctx.at
    claim.preauth_note = data.get("note")
    if data.get("reference"):
        claim.preauth_reference = data["reference"]
    if not data["approved"]:  # the manufacturer will not pay: every line is rejected before submission
        for line in claim.lines:
            line.status, line.approved_amount = "rejected", ZERO
            line.reason_code, line.reason_text = "not_covered", data.get("note")
        money.sync_amounts(claim)
    ctx.event_data["preauth_status"] = claim.preauth_status


# --- submission and the manufacturer's decision -----------------------------------------------------------
def g_preauth_approved(claim: WarrantyClaim, data, ctx):
    if claim.preauth_required and claim.preauth_status != "approved":
        raise GateBlocked("preauth_approved", str(_l(
            "Cannot submit: the %(make)s rules need the manufacturer's pre-authorisation above %(threshold)s, "
            "and it is not approved.", make=claim.make,
            threshold=f"{rule_for(claim.make).preauth_threshold or ZERO:.2f}")))


def g_reconciled(claim: WarrantyClaim, data, ctx):
    problems = money.reconciliation(claim)
    if problems:
        raise GateBlocked("reconciled", str(_l("Cannot submit: %(problems)s.", problems="; ".join(problems))))


def h_submit(claim: WarrantyClaim, data, ctx):
    claim.manufacturer_claim_number = data["manufacturer_claim_number"].strip()
    claim.submitted_at = ctx.at
    claim.submissions += 1
    ctx.event_data.update(claimed_amount=claim.claimed_amount, late=ctx.at > claim.submission_due_at)
    if claim.part_lines and claim.return_shipped_on is None:
        claim.return_due_at = ctx.at + timedelta(days=rule_for(claim.make).return_days)
        ctx.starts.append(PART_RETURN)
        ctx.deadlines[PART_RETURN] = claim.return_due_at


def _line(claim: WarrantyClaim, line_id: int, field: str = "line_id"):
    line = next((ln for ln in claim.lines if ln.id == line_id), None)
    if line is None:
        raise ValidationFailed.on(field, _l("No such line on this claim."))
    return line


def h_record_decision(claim: WarrantyClaim, data, ctx):
    decided = {}
    for item in data["lines"]:
        line = _line(claim, item["line_id"], "lines")
        if line.status != "pending" or line.id in decided:
            raise Conflict(str(_l("Line %(line)s is not waiting for a decision.", line=line.description)),
                           code="invalid_state")
        decision = item["decision"]
        if decision == "approved":
            line.approved_amount, line.reason_code, line.reason_text = line.amount, None, None
        else:
            if not item.get("reason_code"):
                raise ValidationFailed.on("lines", _l("A rejected or partly approved line needs a reason code."))
            if decision == "partly":
                amount = item.get("approved_amount")
                if amount is None or not (ZERO < amount < line.amount):
                    raise ValidationFailed.on("lines", _l(
                        "Partly approved: give an amount above 0 and below the %(amount)s claimed.",
                        amount=f"{line.amount:.2f}"))
                line.approved_amount = amount
            else:
                line.approved_amount = ZERO
            line.reason_code, line.reason_text = item["reason_code"], item.get("reason_text")
        line.status = decision
        decided[line.id] = decision
    if claim.pending_lines:
        raise ValidationFailed.on("lines", _l("Every line under review needs a decision: %(lines)s.",
                                              lines=", ".join(ln.description for ln in claim.pending_lines)))
    claim.decided_at = ctx.at
    money.sync_amounts(claim)
    ctx.event_data.update(decisions=decided, approved_total=claim.approved_total,
                          rejected_total=claim.rejected_total)
    if claim.outstanding > ZERO:
        ctx.starts.append(REIMBURSEMENT)
    elif claim.reimbursed_total > ZERO or claim.approved_total == ZERO:
        ctx.stops.append(REIMBURSEMENT)


def h_resubmit(claim: WarrantyClaim, data, ctx):
    lines = []
    for line_id in dict.fromkeys(data["line_ids"]):
        line = _line(claim, line_id, "line_ids")
        if line.status not in ("rejected", "partly"):
            raise ValidationFailed.on("line_ids", _l("Only rejected or partly approved lines are resubmitted."))
        lines.append(line)
    for item in data["evidence"]:
        evidence.add(claim, item, ctx)
    for line in lines:
        # a partly approved line is claimed again in full; what was approved is decided anew
        line.status, line.approved_amount = "pending", None
        line.reason_code = line.reason_text = None
        line.resubmissions += 1
    claim.submissions += 1
    money.sync_amounts(claim)
    ctx.event_data.update(lines=[ln.description for ln in lines], evidence=[e["kind"] for e in data["evidence"]])


def h_ship_parts(claim: WarrantyClaim, data, ctx):
    if not claim.part_lines:
        raise Conflict(str(_l("This claim has no part lines to ship.")), code="invalid_state")
    untagged = [ln.description for ln in claim.part_lines if not (ln.part_tag or "").strip()]
    if untagged:
        raise GateBlocked("parts_tagged", str(_l("Tag every old part before shipping: %(parts)s.",
                                                 parts=", ".join(untagged))))
    if data["shipped_on"] > ctx.at.date():
        raise ValidationFailed.on("shipped_on", _l("The date cannot be in the future."))
    claim.return_waybill = data["waybill"].strip()
    claim.return_shipped_on = data["shipped_on"]
    ctx.event_data["late"] = bool(claim.return_due_at and ctx.at > claim.return_due_at)


def h_cancel(claim: WarrantyClaim, data, ctx):
    claim.outcome_reason = data["reason"]


# --- the work order's side: linked cases, its money, following its lines ------------------------------------
def linked_warranty_claims(wo, user) -> list[dict]:
    """"Warranty claim WC-…" on the work order page, for those who may read warranty claims."""
    from ..auth.permissions import can

    if not can(user, "warranty.read"):
        return []
    claims = db.session.scalars(sa.select(WarrantyClaim).where(WarrantyClaim.work_order_id == wo.id)
                                .order_by(WarrantyClaim.id))
    return [{"case_type": WarrantyClaim.CASE_TYPE, "case_id": c.id, "number": c.number,
             "open": c.state not in FINAL, "label": str(_l("Warranty claim %(number)s", number=c.number))}
            for c in claims]


def money_guard(wo, new) -> None:
    """Once submitted, the claim's amount is the manufacturer's: the work order's share may not change."""
    for claim in db.session.scalars(sa.select(WarrantyClaim).where(WarrantyClaim.work_order_id == wo.id)):
        if claim.state not in money.DRAFT_STATES and claim.state != "cancelled" \
                and new.manufacturer != claim.claimed_amount:
            raise Conflict(str(_l("Warranty claim %(n)s was submitted for %(amount)s; the manufacturer's share of "
                                  "this work order cannot change.", n=claim.number,
                                  amount=f"{claim.claimed_amount:.2f}")), code="invalid_state")


def on_action_performed(sender, case=None, action=None, event=None, context=None, **kw):
    """A draft claim follows its work order's warranty lines (changed lines, a decided warranty line)."""
    if getattr(sender, "case_type", None) != WorkOrder.CASE_TYPE or action.name == "create":
        return  # a work order being opened has no warranty claim yet: no query on the creation path
    for claim in open_claims_of(case.id):
        if claim.state in money.DRAFT_STATES:
            money.refresh_lines(claim, case)


# --- what the actions of the state table (workflow.py) do: handler, then its gates -------------------------
WF.implement(
    request_preauth=(h_request_preauth, g_preauth_needed),
    record_preauth_decision=h_preauth_decision,
    attach_evidence=evidence.h_attach_evidence,
    tag_part=evidence.h_tag_part,
    submit=(h_submit, g_preauth_approved, g_reconciled, evidence.g_evidence_complete),
    record_decision=h_record_decision,
    resubmit=h_resubmit,
    ship_parts=h_ship_parts,
    record_reimbursement=money.h_record_reimbursement,
    write_off=money.h_write_off,
    close=(money.h_close, money.g_balanced),
    cancel=h_cancel,
)
