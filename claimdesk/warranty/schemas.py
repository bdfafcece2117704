"""Input (…In) and output (…Out) schemas of warranty claims, their lines, evidence and brand rules."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..core.http import PageArgs
from ..core.schemas import CaseQueryBase, Date, Money
from .models import EVIDENCE_KINDS, REJECTION_REASONS

MoneyOut = Money
_text = validate.Length(max=4000)
_evidence_kind = validate.OneOf(EVIDENCE_KINDS)


def MoneyIn(**kw):  # noqa: N802 — a field factory, used like a class
    kw.setdefault("validate", validate.Range(min=0, max=10_000_000))
    return Money(**kw)


# --- brand rules ------------------------------------------------------------------------------------
class WarrantyBrandRuleIn(Schema):
    make = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "the brand as written on the vehicle (Vehicle.make)"})
    submission_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365),
                                     metadata={"description": "days after repair completion to submit"})
    return_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365),
                                 metadata={"description": "days after submission to ship the old parts"})
    preauth_threshold = MoneyIn(load_default=None, allow_none=True,
                                metadata={"description": "a claim above this amount needs pre-authorisation; "
                                                         "null: never"})
    required_evidence = fields.List(fields.String(validate=_evidence_kind), load_default=list)
    active = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, allow_none=True, validate=_text)


class WarrantyBrandRulePatch(Schema):
    """Only the fields sent change."""

    make = fields.String(validate=validate.Length(min=1, max=64))
    submission_days = fields.Integer(validate=validate.Range(min=1, max=365))
    return_days = fields.Integer(validate=validate.Range(min=1, max=365))
    preauth_threshold = MoneyIn(allow_none=True)
    required_evidence = fields.List(fields.String(validate=_evidence_kind))
    active = fields.Boolean()
    notes = fields.String(allow_none=True, validate=_text)


class RuleChangeOut(Schema):
    at = fields.String(metadata={"description": "when (ISO 8601, UTC)"})
    by_id = fields.Integer(allow_none=True)
    by = fields.String(allow_none=True, metadata={"description": "who (display name at the time)"})
    created = fields.Boolean(metadata={"description": "true on the entry of the rule's creation"})
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()), metadata={
        "description": "field → [old, new] (money as a string with two decimals)"})


class WarrantyBrandRuleOut(Schema):
    id = fields.Integer()
    make = fields.String()
    submission_days = fields.Integer()
    return_days = fields.Integer()
    preauth_threshold = MoneyOut(allow_none=True)
    required_evidence = fields.List(fields.String())
    active = fields.Boolean()
    notes = fields.String(allow_none=True)
    updated_at = fields.DateTime()
    history = fields.Function(lambda rule: RuleChangeOut(many=True).dump(rule.history or []),
                              metadata={"description": "every change, newest first: who, when, what (old → new)"})


class WarrantyBrandRuleQuery(PageArgs):
    active = fields.Boolean()


# --- the claim ----------------------------------------------------------------------------------------
class WarrantyClaimIn(Schema):
    work_order_id = fields.Integer(required=True, metadata={
        "description": "the work order whose approved warranty lines are claimed"})
    assignee_id = fields.Integer(load_default=None)


class WarrantyQuery(CaseQueryBase):
    make = fields.String()
    work_order_id = fields.Integer()
    vehicle_id = fields.Integer()
    q = fields.String(metadata={"description": "claim number, manufacturer claim number or plate"})


class WarrantyActionBase(Schema):
    version = fields.Integer()
    note = fields.String(load_default=None, validate=_text)


class WarrantyRequestPreauthIn(WarrantyActionBase):
    reference = fields.String(load_default=None, validate=validate.Length(max=64),
                              metadata={"description": "the manufacturer's pre-authorisation request number"})


class WarrantyPreauthDecisionIn(WarrantyActionBase):
    approved = fields.Boolean(required=True)
    reference = fields.String(load_default=None, validate=validate.Length(max=64),
                              metadata={"description": "the authorisation number (授权号)"})


class WarrantyEvidenceItemIn(Schema):
    kind = fields.String(required=True, validate=_evidence_kind)
    value = fields.String(load_default=None, validate=validate.Length(max=255))
    document_id = fields.Integer(load_default=None, metadata={"description": "an uploaded document of this claim"})


class WarrantyEvidenceIn(WarrantyActionBase):
    kind = fields.String(required=True, validate=_evidence_kind)
    value = fields.String(load_default=None, validate=validate.Length(max=255))
    document_id = fields.Integer(load_default=None, metadata={"description": "an uploaded document of this claim"})


class WarrantySubmitIn(WarrantyActionBase):
    manufacturer_claim_number = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                              metadata={"description": "the claim number in the manufacturer's "
                                                                       "system"})


class WarrantyClaimLineDecisionIn(Schema):
    line_id = fields.Integer(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "partly", "rejected"]))
    approved_amount = MoneyIn(load_default=None, metadata={"description": "for `partly`: the amount approved"})
    reason_code = fields.String(load_default=None, validate=validate.OneOf(REJECTION_REASONS))
    reason_text = fields.String(load_default=None, validate=_text)


class WarrantyClaimDecisionIn(WarrantyActionBase):
    lines = fields.List(fields.Nested(WarrantyClaimLineDecisionIn), required=True, validate=validate.Length(min=1))


class WarrantyResubmitIn(WarrantyActionBase):
    line_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    evidence = fields.List(fields.Nested(WarrantyEvidenceItemIn), required=True,
                           validate=validate.Length(min=1),
                           metadata={"description": "the new evidence sent with the resubmission"})


class WarrantyTagPartIn(WarrantyActionBase):
    line_id = fields.Integer(required=True)
    tag = fields.String(required=True, validate=validate.Length(min=1, max=40))


class WarrantyShipPartsIn(WarrantyActionBase):
    waybill = fields.String(required=True, validate=validate.Length(min=1, max=64))
    shipped_on = Date(required=True)


class WarrantyReimbursementIn(WarrantyActionBase):
    credit_note_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount = MoneyIn(required=True, validate=validate.Range(min=0.01, max=10_000_000))
    received_on = Date(required=True)


class WarrantyWriteOffIn(WarrantyActionBase):
    amount = MoneyIn(required=True, validate=validate.Range(min=0.01, max=10_000_000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    short_paid = fields.Boolean(load_default=False, metadata={
        "description": "true: the amount may include money the manufacturer approved but will not pay (a short "
                       "credit note); false (default): only what it refused"})


class WarrantyCloseIn(WarrantyActionBase):
    pass


class WarrantyCancelIn(WarrantyActionBase):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


# --- outputs ------------------------------------------------------------------------------------------
class WarrantyLineOut(Schema):
    id = fields.Integer()
    work_order_line_id = fields.Integer()
    kind = fields.String()
    description = fields.String()
    operation_code = fields.String(allow_none=True)
    part_number = fields.String(allow_none=True)
    amount = MoneyOut()
    status = fields.String()
    approved_amount = MoneyOut(allow_none=True)
    reason_code = fields.String(allow_none=True)
    reason_text = fields.String(allow_none=True)
    resubmissions = fields.Integer()
    part_tag = fields.String(allow_none=True)


class WarrantyEvidenceOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    value = fields.String(allow_none=True)
    document_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()


class WarrantyReimbursementOut(Schema):
    id = fields.Integer()
    credit_note_number = fields.String()
    amount = MoneyOut()
    received_on = fields.Date()
    recorded_at = fields.DateTime()


class WarrantyMoney(Schema):
    claimed = MoneyOut(attribute="claimed_amount")
    approved = MoneyOut(attribute="approved_total")
    rejected = MoneyOut(attribute="rejected_total")
    reimbursed = MoneyOut(attribute="reimbursed_total")
    written_off = MoneyOut(attribute="written_off_amount")
    outstanding = MoneyOut()
    unsettled = MoneyOut()


class WarrantyEvidenceUploadForm(Schema):
    kind = fields.String(required=True, validate=_evidence_kind)
    value = fields.String(load_default=None, validate=validate.Length(max=255))


class WarrantyReceivablesQuery(Schema):
    store_id = fields.Integer()


class WarrantyBrandReceivablesOut(Schema):
    make = fields.String()
    claims = fields.Integer()
    claimed = MoneyOut()
    approved = MoneyOut()
    reimbursed = MoneyOut()
    written_off = MoneyOut()
    outstanding = MoneyOut()
    buckets = fields.Dict(keys=fields.String(), values=MoneyOut())
    oldest_days = fields.Integer()


class WarrantyRejectionReasonOut(Schema):
    reason = fields.String()
    lines = fields.Integer()
    amount = MoneyOut()


class WarrantyReceivablesOut(Schema):
    brands = fields.List(fields.Nested(WarrantyBrandReceivablesOut))
    outstanding = MoneyOut()
    decided_lines = fields.Integer()
    rejected_lines = fields.Integer()
    rejection_rate = fields.Float()
    rejected_amount = MoneyOut()
    top_rejection_reasons = fields.List(fields.Nested(WarrantyRejectionReasonOut))
