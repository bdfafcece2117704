"""Input (…In) and output (…Out) schemas of claims, insurers, checklists and uploads."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..core.http import PageArgs
from ..core.schemas import AwareDateTime, CaseQueryBase, Money
from ..documents.schemas import DocumentOut
from .models import DOC_STATUSES, DOCUMENT_KINDS, LIABILITIES, PAYER_ROUTES, PRESENT_PARTIES


def MoneyIn(**kw):  # noqa: N802 — a field factory, used like a class
    """A money amount in: decimal string or number, two places, half-up, never negative."""
    kw.setdefault("validate", validate.Range(min=0, max=10_000_000))
    return Money(**kw)


MoneyOut = Money


_kind = validate.OneOf(DOCUMENT_KINDS)
_text = validate.Length(max=4000)


# --- insurers -------------------------------------------------------------------------------------
class InsurerContact(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    role = fields.String(load_default=None, validate=validate.Length(max=64))
    phone = fields.String(load_default=None, validate=validate.Length(max=32))
    email = fields.Email(load_default=None)


class InsurerIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    short_name = fields.String(load_default=None, validate=validate.Length(max=32))
    hotline = fields.String(load_default=None, validate=validate.Length(max=32))
    contacts = fields.List(fields.Nested(InsurerContact), load_default=list)
    required_documents = fields.List(fields.String(validate=_kind), load_default=lambda: list(DOCUMENT_KINDS),
                                     metadata={"description": "document kinds; default: all kinds"})
    active = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, validate=_text)


class InsurerPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    short_name = fields.String(allow_none=True, validate=validate.Length(max=32))
    hotline = fields.String(allow_none=True, validate=validate.Length(max=32))
    contacts = fields.List(fields.Nested(InsurerContact))
    required_documents = fields.List(fields.String(validate=_kind))
    active = fields.Boolean()
    notes = fields.String(allow_none=True, validate=_text)


class InsurerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    short_name = fields.String(allow_none=True)
    hotline = fields.String(allow_none=True)
    contacts = fields.List(fields.Dict())
    required_documents = fields.List(fields.String())
    active = fields.Boolean()
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class InsurerQuery(PageArgs):
    active = fields.Boolean()
    q = fields.String()


# --- claims: create and report --------------------------------------------------------------------
class ClaimReportFields(Schema):
    """The report (报案) fields that can be corrected later with update_report."""

    policy_number = fields.String(validate=validate.Length(min=1, max=64),
                                  metadata={"description": "commercial policy (商业险) claimed on"})
    compulsory_policy_number = fields.String(allow_none=True, validate=validate.Length(max=64),
                                             metadata={"description": "compulsory policy (交强险)"})
    report_number = fields.String(allow_none=True, validate=validate.Length(max=64),
                                  metadata={"description": "the insurer's report number (报案号); "
                                                           "required before assessment"})
    reported_at = AwareDateTime(allow_none=True, default_timezone=None)
    accident_at = AwareDateTime()
    accident_place = fields.String(allow_none=True, validate=validate.Length(max=255))
    description = fields.String(validate=validate.Length(min=1, max=8000))
    liability = fields.String(allow_none=True, validate=validate.OneOf(LIABILITIES))
    payer_route = fields.String(validate=validate.OneOf(PAYER_ROUTES))
    third_party_insurer_id = fields.Integer(allow_none=True)
    third_party_plate = fields.String(allow_none=True, validate=validate.Length(max=16))


class ClaimIn(ClaimReportFields):
    customer_id = fields.Integer(required=True)
    vehicle_id = fields.Integer(required=True)
    insurer_id = fields.Integer(required=True)
    policy_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    accident_at = AwareDateTime(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=8000))
    payer_route = fields.String(load_default="own_damage", validate=validate.OneOf(PAYER_ROUTES))
    assignee_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(load_only=True)


class UpdateReportIn(ClaimReportFields):
    insurer_id = fields.Integer()
    version = fields.Integer()


# --- claim actions ----------------------------------------------------------------------------------
class ClaimActionBase(Schema):
    version = fields.Integer()
    note = fields.String(load_default=None, validate=_text)


class ScheduleAssessmentIn(ClaimActionBase):
    appointment_at = AwareDateTime(required=True)
    assessor_name = fields.String(load_default=None, validate=validate.Length(max=120))
    assessor_phone = fields.String(load_default=None, validate=validate.Length(max=32))
    assessor_company = fields.String(load_default=None, validate=validate.Length(max=120))


class VehicleArrivedIn(ClaimActionBase):
    work_order_id = fields.Integer(allow_none=True, metadata={
        "description": "link this work order; else one with pay type insurance is opened"})
    mileage_km = fields.Integer(validate=validate.Range(min=0, max=2_000_000))
    customer_description = fields.String(validate=validate.Length(max=8000))


class ClaimDamageItem(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    kind = fields.String(load_default="part", validate=validate.OneOf(["labour", "part", "paint", "other"]))
    amount = MoneyIn(load_default=None, allow_none=True)


class AssessIn(ClaimActionBase):
    assessor_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    approved_amount = MoneyIn(required=True)
    assessor_phone = fields.String(load_default=None, validate=validate.Length(max=32))
    assessor_company = fields.String(load_default=None, validate=validate.Length(max=120))
    assessed_at = AwareDateTime(load_default=None)
    damage_items = fields.List(fields.Nested(ClaimDamageItem), load_default=list)
    present = fields.List(fields.String(validate=validate.OneOf(PRESENT_PARTIES)), load_default=list,
                          metadata={"description": "who took part: owner, advisor, assessor"})
    owner_representative = fields.String(load_default=None, validate=validate.Length(max=120),
                                         metadata={"description": "the person authorised by the owner"})
    report_document_id = fields.Integer(load_default=None, metadata={
        "description": "an uploaded document of kind assessment_report"})


class ClaimSupplementIn(ClaimActionBase):
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    amount = MoneyIn(required=True, validate=validate.Range(min=0.01, max=10_000_000))
    lines = fields.List(fields.Nested(ClaimDamageItem), load_default=list)
    approved = fields.Boolean(load_default=True, metadata={"description": (
        "true (default): the insurer's assessor has agreed this supplementary assessment (追加定损) and the "
        "amount is added to the approved total at once; false: a request that waits for decide_supplement")})
    decided_by = fields.String(load_default=None, validate=validate.Length(max=120),
                               metadata={"description": "the insurer's assessor (default: the claim's assessor)"})


class DecideSupplementIn(ClaimActionBase):
    supplement_id = fields.Integer(required=True)
    approved = fields.Boolean(required=True)
    approved_amount = MoneyIn(load_default=None, validate=validate.Range(min=0.01, max=10_000_000),
                              metadata={"description": "default: the amount asked for"})
    decided_by = fields.String(load_default=None, validate=validate.Length(max=120),
                               metadata={"description": "the insurer's assessor"})


class CustomerSupplementDecisionIn(ClaimActionBase):
    supplement_id = fields.Integer(required=True)
    customer_pays = fields.Boolean(required=True, metadata={
        "description": "true: the customer pays for the rejected work; false: the work is skipped"})
    decided_by = fields.String(load_default=None, validate=validate.Length(max=120))


class ClaimCompleteRepairIn(ClaimActionBase):
    invoiced_amount = MoneyIn(load_default=None)


class CollectDocumentIn(ClaimActionBase):
    kind = fields.String(required=True, validate=_kind)
    status = fields.String(required=True, validate=validate.OneOf(["received", "verified", "rejected"]))
    document_id = fields.Integer(load_default=None)

    @validates_schema
    def _reason(self, data, **kw):
        if data.get("status") == "rejected" and not (data.get("note") or "").strip():
            raise ValidationError(str(_l("Say why the document is rejected.")), "note")


class ReleaseOverrideIn(ClaimActionBase):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=4000))


class ClaimSubmitIn(ClaimActionBase):
    authorised_by = fields.String(load_default=None, validate=validate.Length(max=120), metadata={
        "description": "who signed the owner's authorisation; default: the customer"})
    claimed_amount = MoneyIn(load_default=None, metadata={"description": "default: the approved total"})
    invoiced_amount = MoneyIn(load_default=None)


class ClaimPayoutIn(ClaimActionBase):
    amount = MoneyIn(required=True, validate=validate.Range(min=0.01, max=10_000_000))
    paid_at = AwareDateTime(required=True)
    reference = fields.String(load_default=None, validate=validate.Length(max=64))


class ClaimCloseIn(ClaimActionBase):
    shortfall_action = fields.String(load_default=None, validate=validate.OneOf(["customer_owes", "write_off"]),
                                     metadata={"description": "required when the insurer paid less than invoiced"})
    write_off_reason = fields.String(load_default=None, validate=_text)


class ClaimWriteOffIn(ClaimActionBase):
    amount = MoneyIn(required=True, validate=validate.Range(min=0.01, max=10_000_000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class ClaimChargeCustomerIn(ClaimActionBase):
    amount = MoneyIn(required=True, validate=validate.Range(min=0.01, max=10_000_000))
    consent_by = fields.String(required=True, validate=validate.Length(min=1, max=120),
                               metadata={"description": "who agreed, for the customer, to pay it"})


class TotalLossIn(ClaimActionBase):
    agreed_value = MoneyIn(required=True, validate=validate.Range(min=0.01, max=10_000_000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    assessor_name = fields.String(load_default=None, validate=validate.Length(max=120))


class ClaimOutcomeIn(ClaimActionBase):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    customer_owes_amount = MoneyIn(load_default=None, metadata={
        "description": "what the customer now pays the store; default: the repair invoiced so far"})


# --- claim output -----------------------------------------------------------------------------------
class InsurerBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    short_name = fields.String(allow_none=True)


class ClaimChecklistItemOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    label = fields.String()
    required = fields.Boolean()
    status = fields.String(validate=validate.OneOf(DOC_STATUSES))
    status_by_id = fields.Integer(allow_none=True)
    status_by_name = fields.String(allow_none=True)
    status_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True)
    document_id = fields.Integer(allow_none=True)


class ClaimSupplementOut(Schema):
    id = fields.Integer()
    number = fields.String()
    description = fields.String()
    amount = MoneyOut()
    lines = fields.List(fields.Dict())
    status = fields.String()
    requested_at = fields.DateTime()
    approved_amount = MoneyOut(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    customer_decision = fields.String(allow_none=True)
    customer_decided_at = fields.DateTime(allow_none=True)
    customer_decided_by = fields.String(allow_none=True)


class ClaimPayoutOut(Schema):
    id = fields.Integer()
    amount = MoneyOut()
    paid_at = fields.DateTime()
    reference = fields.String(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()


class ClaimMoney(Schema):
    """Approved vs invoiced vs paid (all decimal strings)."""

    approved_amount = MoneyOut(allow_none=True)
    supplements_approved = MoneyOut()
    approved_total = MoneyOut()
    customer_pays_supplements = MoneyOut()
    invoiced = MoneyOut(metadata={"description": "the linked work order's insurance share (its settlement)"})
    approved_gap = MoneyOut(metadata={"description": "invoiced − approved total"})
    expected_payout = MoneyOut()
    paid_total = MoneyOut()
    outstanding = MoneyOut()
    shortfall = MoneyOut()
    customer_owes_amount = MoneyOut()
    written_off_amount = MoneyOut()
    write_off_reason = fields.String(allow_none=True)
    customer_consent_by = fields.String(allow_none=True)
    settled_total = MoneyOut(metadata={"description": "paid + written off + charged to the customer"})
    unsettled = MoneyOut(metadata={"description": "invoiced − settled; 0.00 on a closed claim"})


class ClaimQuery(CaseQueryBase):
    insurer_id = fields.Integer()
    vehicle_id = fields.Integer()
    report_number = fields.String()
    missing_documents = fields.Boolean(metadata={"description": "only claims with required documents "
                                                                "not yet verified"})
    q = fields.String(metadata={"description": "claim number, report number, policy number or plate"})


# --- documents of a claim -------------------------------------------------------------------------
class ClaimChecklistOut(Schema):
    claim_id = fields.Integer()
    complete = fields.Boolean()
    missing = fields.List(fields.String())
    items = fields.List(fields.Nested(ClaimChecklistItemOut))
    documents = fields.List(fields.Nested(DocumentOut))


class ClaimUploadForm(Schema):
    kind = fields.String(required=True, validate=_kind)
    note = fields.String(load_default=None, validate=_text)


class ClaimUploadOut(Schema):
    document = fields.Nested(DocumentOut)
    item = fields.Nested(ClaimChecklistItemOut)
    claim_version = fields.Integer()


class ClaimReceivablesQuery(Schema):
    store_id = fields.Integer()
    insurer_id = fields.Integer()
