"""How a claim is shown: the one next step (pages, board, home panel, API) and the API output."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from ..core.schemas import CaseOutBase
from ..core.workflow import NextStep
from . import repair
from .models import ZERO, Claim
from .schemas import (
    ClaimChecklistItemOut,
    ClaimMoney,
    ClaimPayoutOut,
    ClaimSupplementOut,
    InsurerBrief,
    MoneyOut,
)


def next_step(claim: Claim) -> NextStep:
    """What should happen next on this claim, and what (if anything) stands in the way."""
    def step(action, label, blocked_by=None):
        return NextStep(label=label, action=action, blocked_by=blocked_by)

    s = claim.state
    if s == "reported":
        if not claim.report_number:
            return step("update_report", _l("Record the insurer's report number"),
                        _l("The assessment cannot be requested without the report number."))
        return step("vehicle_arrived", _l("Receive the car (opens the insurance work order)"))
    if s == "assessment":
        if claim.assessment_appointment_at is None:
            return step("schedule_assessment", _l("Book the joint assessment with the insurer's assessor"))
        return step("assess", _l("Record the assessment: assessor, damage items, approved amount"))
    if s == "repair":
        if claim.pending_supplements:
            return step("decide_supplement", _l("Get the insurer's decision on supplement %(n)s",
                                                n=claim.pending_supplements[0].number))
        if claim.supplements_awaiting_customer:
            return step("customer_supplement_decision",
                        _l("Ask the customer: pay for rejected supplement %(n)s or skip it",
                           n=claim.supplements_awaiting_customer[0].number))
        blocker = repair.not_ready_reason(claim)
        if blocker:
            return step(None, _l("Repair in progress on the work order"), blocker)
        return step("complete_repair", _l("Mark the repair complete"))
    if s == "documents":
        if claim.missing_documents:
            missing = ", ".join(d.label for d in claim.missing_documents)
            return step("collect_document", _l("Collect and verify: %(missing)s", missing=missing))
        return step("submit", _l("Submit to the insurer with the owner's authorisation"))
    if s == "payout":
        if claim.outstanding > ZERO and claim.fully_paid_at is None:
            return step("record_payout", _l("Wait for the payout: %(amount)s outstanding",
                                             amount=f"¥{claim.outstanding:,.2f}"))
        return step("close", _l("Reconcile and close"))
    return step(None, _l("Nothing to do: the claim is %(state)s.", state=s))


class ClaimNextStepOut(Schema):
    action = fields.String(allow_none=True)
    label = fields.String()
    blocked_by = fields.String(allow_none=True)


class ClaimOut(CaseOutBase):
    vehicle_id = fields.Integer()
    insurer_id = fields.Integer()
    insurer = fields.Nested(InsurerBrief)
    plate = fields.Function(lambda c: c.vehicle.plate if c.vehicle else None)
    customer_name = fields.Function(lambda c: c.customer.name if c.customer else None)
    policy_number = fields.String()
    compulsory_policy_number = fields.String(allow_none=True)
    report_number = fields.String(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)
    accident_at = fields.DateTime()
    accident_place = fields.String(allow_none=True)
    description = fields.String()
    liability = fields.String(allow_none=True)
    payer_route = fields.String()
    third_party_insurer_id = fields.Integer(allow_none=True)
    third_party_plate = fields.String(allow_none=True)
    vehicle_arrived_at = fields.DateTime(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    work_order_number = fields.Function(lambda c: c.work_order.number if c.work_order else None)
    work_order_state = fields.Function(lambda c: c.work_order.state if c.work_order else None)
    assessor_name = fields.String(allow_none=True)
    assessor_phone = fields.String(allow_none=True)
    assessor_company = fields.String(allow_none=True)
    assessment_appointment_at = fields.DateTime(allow_none=True)
    assessed_at = fields.DateTime(allow_none=True)
    damage_items = fields.List(fields.Dict())
    present = fields.List(fields.String())
    owner_representative = fields.String(allow_none=True)
    approved_amount = MoneyOut(allow_none=True)
    total_loss = fields.Boolean()
    repair_completed_at = fields.DateTime(allow_none=True)
    invoiced_amount = MoneyOut(allow_none=True)
    release_override_by_id = fields.Integer(allow_none=True)
    release_override_at = fields.DateTime(allow_none=True)
    release_override_reason = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    authorised_by = fields.String(allow_none=True)
    claimed_amount = MoneyOut(allow_none=True)
    fully_paid_at = fields.DateTime(allow_none=True)
    outcome_reason = fields.String(allow_none=True)
    money = fields.Function(lambda c: ClaimMoney().dump(c))
    documents_complete = fields.Boolean()
    missing_documents = fields.Function(lambda c: [d.kind for d in c.missing_documents])
    checklist = fields.List(fields.Nested(ClaimChecklistItemOut))
    supplements = fields.List(fields.Nested(ClaimSupplementOut))
    payouts = fields.List(fields.Nested(ClaimPayoutOut))
    next_step = fields.Method("_next_step")

    def _next_step(self, claim):
        step = next_step(claim)
        return {"action": step.action, "label": str(step.label),
                "blocked_by": str(step.blocked_by) if step.blocked_by else None}
