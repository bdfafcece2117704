"""How a warranty claim is shown: the one next step (pages, home panel, API) and the API output."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields

from ..core.schemas import CaseOutBase
from ..core.workflow import NextStep
from . import evidence
from .models import ZERO, WarrantyClaim
from .schemas import WarrantyEvidenceOut, WarrantyLineOut, MoneyOut, WarrantyReimbursementOut, WarrantyMoney


def next_step(claim: WarrantyClaim) -> NextStep:
    """What should happen next on this warranty claim, and what (if anything) stands in the way."""
    def step(action, label, blocked_by=None):
        return NextStep(label=label, action=action, blocked_by=blocked_by)

    s = claim.state
    if s in ("draft", "preauth_decided"):
        if s == "draft" and claim.preauth_required:
            return step("request_preauth", _l("Ask the manufacturer to pre-authorise the claim of %(amount)s",
                                              amount=f"¥{claim.claimed_amount:,.2f}"))
        if claim.preauth_status == "rejected":
            if claim.unsettled > ZERO:
                return step("write_off", _l("Pre-authorisation refused: a manager writes the claim off"))
            return step("close", _l("Reconcile and close"))
        missing = evidence.missing_labels(claim)
        if missing:
            return step("attach_evidence", _l("Collect the evidence: %(missing)s", missing=", ".join(missing)),
                        _l("Submission is refused until the evidence is complete."))
        return step("submit", _l("Submit to the manufacturer before %(due)s",
                                 due=claim.submission_due_at.strftime("%Y-%m-%d")))
    if s == "preauth_requested":
        return step("record_preauth_decision", _l("Wait for the manufacturer's pre-authorisation"))
    if s in ("submitted", "resubmitted"):
        if claim.part_lines and claim.return_shipped_on is None:
            return step("ship_parts", _l("Ship the old parts back (waybill) while the decision is awaited"))
        return step("record_decision", _l("Wait for the manufacturer's decision on each line"))
    if s in ("decided", "reimbursed"):
        if claim.part_lines and claim.return_shipped_on is None:
            return step("ship_parts", _l("Ship the old parts back (waybill)"))
        if claim.outstanding > ZERO:
            return step("record_reimbursement", _l("Wait for the credit note: %(amount)s approved, not yet reimbursed",
                                                   amount=f"¥{claim.outstanding:,.2f}"))
        if claim.rejected_total > ZERO and claim.unsettled > ZERO:
            return step("resubmit", _l("Resubmit the rejected lines with new evidence, or a manager writes "
                                       "off %(amount)s", amount=f"¥{claim.unsettled:,.2f}"))
        return step("close", _l("Reconcile and close"))
    return step(None, _l("Nothing to do: the claim is %(state)s.", state=s))


class WarrantyClaimOut(CaseOutBase):
    vehicle_id = fields.Integer()
    plate = fields.Function(lambda c: c.vehicle.plate if c.vehicle else None)
    vin = fields.Function(lambda c: c.vehicle.vin if c.vehicle else None)
    make = fields.String()
    work_order_id = fields.Integer()
    work_order_number = fields.Function(lambda c: c.work_order.number if c.work_order else None)
    repair_completed_at = fields.DateTime()
    submission_due_at = fields.DateTime()
    claimed_amount = MoneyOut()
    preauth_required = fields.Boolean()
    preauth_status = fields.String(allow_none=True)
    preauth_reference = fields.String(allow_none=True)
    manufacturer_claim_number = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    submissions = fields.Integer()
    decided_at = fields.DateTime(allow_none=True)
    return_due_at = fields.DateTime(allow_none=True)
    return_waybill = fields.String(allow_none=True)
    return_shipped_on = fields.Date(allow_none=True)
    reimbursed_at = fields.DateTime(allow_none=True)
    write_off_reason = fields.String(allow_none=True)
    outcome_reason = fields.String(allow_none=True)
    money = fields.Function(lambda c: WarrantyMoney().dump(c))
    missing_evidence = fields.Function(lambda c: evidence.missing(c))
    lines = fields.List(fields.Nested(WarrantyLineOut))
    evidence = fields.List(fields.Nested(WarrantyEvidenceOut))
    reimbursements = fields.List(fields.Nested(WarrantyReimbursementOut))
    next_step = fields.Method("_next_step")

    def _next_step(self, claim):
        step = next_step(claim)
        return {"action": step.action, "label": str(step.label),
                "blocked_by": str(step.blocked_by) if step.blocked_by else None}
