"""Input (…In) and output (…Out) schemas of work orders, their lines, checks and parts stock."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..core.http import PageArgs
from ..core.schemas import AwareDateTime, CaseOutBase, CaseQueryBase, Date
from ..core.schemas import Money as MoneyField
from .models import (
    ADJUSTMENT_KINDS,
    CHECK_STAGES,
    DECISIONS,
    FOLLOW_UP_OUTCOMES,
    LINE_KINDS,
    OLD_PARTS,
    PAY_TYPES,
    PAYMENT_METHODS,
    PRIORITIES,
    SIGNATURE_CHANNELS,
    WARRANTY,
)


def _one_of(choices):
    return validate.OneOf(choices, error=str(_l("Must be one of: %(choices)s.", choices=", ".join(choices))))


class DamageIn(Schema):
    panel = fields.String(required=True, validate=validate.Length(min=1, max=40))
    kind = fields.String(load_default="scratch", validate=_one_of(("scratch", "dent", "crack", "chip",
                                                                    "missing", "other")))
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class CheckInFields(Schema):
    """The check-in sheet (接车登记表); part of the create body and of the `check_in` action."""

    appointment_at = AwareDateTime(default_timezone=None, allow_none=True)
    fuel_level = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100))
    damage = fields.List(fields.Nested(DamageIn), validate=validate.Length(max=60))
    valuables = fields.String(allow_none=True, validate=validate.Length(max=2000))
    covers_fitted = fields.Boolean()
    licence_checked = fields.Boolean()
    booklet_checked = fields.Boolean()
    diagnosis = fields.String(allow_none=True, validate=validate.Length(max=8000))
    spare_tyre_present = fields.Boolean(allow_none=True)
    tool_kit_present = fields.Boolean(allow_none=True)
    key_tag = fields.String(allow_none=True, validate=validate.Length(max=20))


class WorkOrderIn(CheckInFields):
    customer_id = fields.Integer(required=True)
    vehicle_id = fields.Integer(required=True)
    mileage_km = fields.Integer(required=True, validate=validate.Range(min=0, max=2_000_000))
    customer_description = fields.String(required=True, validate=validate.Length(min=1, max=8000))
    pay_type = fields.String(load_default="customer", validate=_one_of(PAY_TYPES))
    parent_id = fields.Integer(allow_none=True)
    mileage_reason = fields.String(allow_none=True, validate=validate.Length(max=500))
    store_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    priority = fields.String(load_default="normal", validate=_one_of(PRIORITIES))


class CheckInIn(CheckInFields):
    mileage_km = fields.Integer(validate=validate.Range(min=0, max=2_000_000))
    mileage_reason = fields.String(allow_none=True, validate=validate.Length(max=500))
    customer_description = fields.String(validate=validate.Length(min=1, max=8000))
    version = fields.Integer()


class LineIn(Schema):
    kind = fields.String(required=True, validate=_one_of(LINE_KINDS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=255))
    # labour: hours; part: quantity. Both strictly positive.
    quantity = MoneyField(required=True, minimum=Decimal("0"), exclusive_minimum=True)
    unit_price = MoneyField(required=True, minimum=Decimal("0"))
    pay_type = fields.String(validate=_one_of(PAY_TYPES))
    operation_code = fields.String(allow_none=True, validate=validate.Length(max=32))
    part_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    warranty_status = fields.String(allow_none=True, validate=_one_of(WARRANTY))
    safety_related = fields.Boolean(load_default=False)
    availability = fields.String(allow_none=True, validate=_one_of(("in_stock", "on_order")))
    eta = Date(allow_none=True)


class LinesIn(Schema):
    lines = fields.List(fields.Nested(LineIn), required=True,
                        validate=validate.Length(min=1, max=200, error=str(_l("Give at least one line."))))
    version = fields.Integer()


class EstimateIn(LinesIn):
    # True (default): these lines are the whole estimate and replace the proposed ones;
    # False: they are added to it.
    replace = fields.Boolean(load_default=True)
    diagnosis = fields.String(allow_none=True, validate=validate.Length(max=8000))


class RequestExtraIn(LinesIn):
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))


class LineRefIn(Schema):
    line_id = fields.Integer(required=True)
    version = fields.Integer()


class WarrantyDecisionIn(Schema):
    line_id = fields.Integer(required=True)
    warranty_status = fields.String(required=True, validate=_one_of(WARRANTY))


class DecideWarrantyIn(Schema):
    lines = fields.List(fields.Nested(WarrantyDecisionIn), required=True, validate=validate.Length(min=1))
    reference = fields.String(allow_none=True, validate=validate.Length(max=64))  # manufacturer approval no.
    version = fields.Integer()


class LineDecisionIn(Schema):
    line_id = fields.Integer(required=True)
    approved = fields.Boolean()
    decision = fields.String(validate=_one_of(("approved", "declined", "deferred")))

    @validates_schema
    def _one(self, data, **kw):
        if "approved" not in data and "decision" not in data:
            raise ValidationError(str(_l("Give approved (true/false) or a decision.")), "approved")


def decision_of(item: dict) -> str:
    if item.get("decision"):
        return item["decision"]
    return "approved" if item["approved"] else "declined"


class AuthoriseIn(Schema):
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=120))
    promised_at = AwareDateTime(required=True, default_timezone=None)
    signed_at = AwareDateTime(default_timezone=None)
    signature_channel = fields.String(load_default="in_person", validate=_one_of(SIGNATURE_CHANNELS))
    signature_image = fields.String(allow_none=True, validate=[
        validate.Length(max=300_000),
        validate.Regexp(r"^data:image/png;base64,[A-Za-z0-9+/=]+$",
                        error=str(_l("A signature must be a PNG data URL.")))])
    payment_method = fields.String(allow_none=True, validate=_one_of(PAYMENT_METHODS))
    old_parts = fields.String(load_default="dealer_disposes", validate=_one_of(OLD_PARTS))
    free_wash = fields.Boolean(load_default=False)
    # Per-line decisions; lines not listed that are still proposed are approved.
    decisions = fields.List(fields.Nested(LineDecisionIn), load_default=list)
    version = fields.Integer()


class RevisePromiseIn(Schema):
    promised_at = AwareDateTime(required=True, default_timezone=None,
                                metadata={"description": "the new promised completion time"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "why the work is late (parts on order, extra work …)"})
    agreed_by = fields.String(required=True, validate=validate.Length(min=1, max=120),
                              metadata={"description": "who agreed to the new time for the customer"})
    channel = fields.String(load_default="phone", validate=_one_of(SIGNATURE_CHANNELS),
                            metadata={"description": "how the customer agreed"})
    version = fields.Integer()


class DispatchIn(Schema):
    team = fields.String(required=True, validate=validate.Length(min=1, max=64))
    technician_id = fields.Integer(allow_none=True)
    priority = fields.String(validate=_one_of(PRIORITIES))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class DecideExtraIn(Schema):
    decisions = fields.List(fields.Nested(LineDecisionIn), required=True, validate=validate.Length(min=1))
    decided_by = fields.String(required=True, validate=validate.Length(min=1, max=120))
    channel = fields.String(load_default="phone", validate=_one_of(SIGNATURE_CHANNELS))
    version = fields.Integer()


class CompleteRepairIn(Schema):
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class CheckItemIn(Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=120))
    passed = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CheckIn(Schema):
    stage = fields.String(required=True, validate=_one_of(CHECK_STAGES))
    items = fields.List(fields.Nested(CheckItemIn), validate=validate.Length(max=60))
    signed_by = fields.String(validate=validate.Length(min=1, max=120))
    recommendations = fields.String(allow_none=True, validate=validate.Length(max=4000))
    parking_spot = fields.String(allow_none=True, validate=validate.Length(max=20),
                                 metadata={"description": "final QC: where the finished car is parked"})
    version = fields.Integer()


class FailCheckIn(CheckIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class WashIn(Schema):
    note = fields.String(allow_none=True, validate=validate.Length(max=500))
    parking_spot = fields.String(allow_none=True, validate=validate.Length(max=20))
    version = fields.Integer()


class NotifyIn(Schema):
    pickup_at = AwareDateTime(default_timezone=None, allow_none=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class PaymentIn(Schema):
    method = fields.String(required=True, validate=_one_of(PAYMENT_METHODS))
    amount = MoneyField(required=True, minimum=Decimal("0"), exclusive_minimum=True)
    reference = fields.String(allow_none=True, validate=validate.Length(max=64))


class RecordPaymentIn(PaymentIn):
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class RefundIn(Schema):
    method = fields.String(required=True, validate=_one_of(PAYMENT_METHODS))
    amount = MoneyField(allow_none=True, minimum=Decimal("0"), exclusive_minimum=True,
                        metadata={"description": "default: everything the customer overpaid"})
    reference = fields.String(allow_none=True, validate=validate.Length(max=64))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class AdjustmentIn(Schema):
    kind = fields.String(required=True, validate=_one_of(ADJUSTMENT_KINDS), metadata={
        "description": "goodwill_discount / labour_waiver: customer → dealer; deductible (免赔): insurer → "
                       "customer; shortfall (approved below the insurance lines): insurer → customer (agreed_by "
                       "required) or dealer (manager)"})
    amount = MoneyField(required=True, minimum=Decimal("0"), exclusive_minimum=True)
    payer = fields.String(allow_none=True, validate=_one_of(("customer", "dealer")),
                          metadata={"description": "who takes the amount over (default per kind)"})
    description = fields.String(allow_none=True, validate=validate.Length(max=255))
    agreed_by = fields.String(allow_none=True, validate=validate.Length(max=120),
                              metadata={"description": "the customer's consent to pay it"})
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class RemoveAdjustmentIn(Schema):
    adjustment_id = fields.Integer(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class DeliverIn(Schema):
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=120))
    # The internal delivery check (内部交车); the advisor confirms each item.
    old_parts_handled = fields.Boolean(load_default=True)
    car_clean = fields.Boolean(load_default=True)
    nothing_left_inside = fields.Boolean(load_default=True)
    spare_tyre_returned = fields.Boolean(load_default=True, metadata={"description": "checked when present at check-in"})
    tool_kit_returned = fields.Boolean(load_default=True, metadata={"description": "checked when present at check-in"})
    # Declined safety-related lines the customer signs off at delivery (ids).
    declined_signoff = fields.List(fields.Integer(), load_default=list)
    payment_method = fields.String(allow_none=True, validate=_one_of(PAYMENT_METHODS))
    paid_amount = MoneyField(allow_none=True, minimum=Decimal("0"))
    payments = fields.List(fields.Nested(PaymentIn), load_default=list, metadata={
        "description": "the customer's share split across methods (instead of paid_amount + payment_method)"})
    next_service_date = Date(allow_none=True)
    next_service_km = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=2_000_000))
    preferred_callback_time = fields.String(allow_none=True, validate=validate.Length(max=64))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    version = fields.Integer()


class FollowUpIn(Schema):
    outcome = fields.String(load_default="reached", validate=_one_of(FOLLOW_UP_OUTCOMES))
    satisfaction = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5))
    note = fields.String(load_default="", validate=validate.Length(max=4000))
    not_satisfied = fields.Boolean(load_default=False, metadata={"description": "不满意: a complaint, any score"})
    not_satisfied_reason = fields.String(load_default="", validate=validate.Length(max=2000))
    version = fields.Integer()


class CancelIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    version = fields.Integer()


# --- output --------------------------------------------------------------------------------------
class LineOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = fields.String()
    description = fields.String()
    operation_code = fields.String(allow_none=True)
    part_id = fields.Integer(allow_none=True)
    part_number = fields.String(allow_none=True)
    quantity = MoneyField()
    unit_price = MoneyField()
    amount = MoneyField()
    pay_type = fields.String()
    decision = fields.String()
    warranty_status = fields.String(allow_none=True)
    availability = fields.String(allow_none=True)
    eta = fields.Date(allow_none=True)
    safety_related = fields.Boolean()
    is_extra = fields.Boolean()
    free_service = fields.Boolean(metadata={"description": "covered by the first free service (首保)"})
    decided_by = fields.String(allow_none=True)
    decision_channel = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    declined_signed_by = fields.String(allow_none=True)
    declined_signed_at = fields.DateTime(allow_none=True)
    done = fields.Boolean()
    done_at = fields.DateTime(allow_none=True)


class RecommendationOut(LineOut):
    work_order_id = fields.Integer()
    work_order_number = fields.String(attribute="work_order.number")


class RecommendationList(Schema):
    items = fields.List(fields.Nested(RecommendationOut))


class CheckOut(Schema):
    id = fields.Integer()
    round = fields.Integer()
    stage = fields.String()
    passed = fields.Boolean()
    items = fields.List(fields.Dict())
    reason = fields.String(allow_none=True)
    recommendations = fields.String(allow_none=True)
    signed_by = fields.String()
    actor_id = fields.Integer(allow_none=True)
    at = fields.DateTime()


class TotalsOut(Schema):
    customer = MoneyField()
    warranty = MoneyField()
    insurance = MoneyField()
    internal = MoneyField()
    labour = MoneyField()
    parts = MoneyField()
    total = MoneyField()


class AdjustmentOut(Schema):
    id = fields.Integer(allow_none=True)
    kind = fields.String()
    description = fields.String()
    amount = MoneyField()
    from_payer = fields.String()
    to_payer = fields.String()
    complaint_id = fields.Integer(allow_none=True)
    agreed_by = fields.String(allow_none=True)


class PaymentOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "payment | refund"})
    method = fields.String()
    amount = MoneyField()
    reference = fields.String(allow_none=True)
    at = fields.DateTime()


class SharesOut(Schema):
    customer = MoneyField()
    insurer = MoneyField()
    manufacturer = MoneyField()
    dealer = MoneyField()


class SettlementOut(Schema):
    """The one computation of the bill (workorders/settlement.py)."""

    labour = MoneyField()
    parts = MoneyField()
    total = MoneyField()
    by_pay_type = fields.Nested(TotalsOut, metadata={"description": "approved lines per pay type"})
    adjustments = fields.List(fields.Nested(AdjustmentOut))
    shares = fields.Nested(SharesOut, metadata={"description": "each payer's share after adjustments; sums to total"})
    received = MoneyField(metadata={"description": "paid by the customer, net of refunds"})
    refunded = MoneyField()
    balance_due = MoneyField(metadata={"description": "customer share − received (negative: refund due)"})
    goodwill = MoneyField()


class WorkOrderBrief(CaseOutBase):
    """List rows: no lines or checks."""

    vehicle_id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    pay_type = fields.String()
    mileage_km = fields.Integer()
    customer_description = fields.String()
    promised_at = fields.DateTime(allow_none=True)
    team = fields.String(allow_none=True)
    priority = fields.String()
    rework_count = fields.Integer()
    satisfaction = fields.Integer(allow_none=True)
    plate = fields.String(attribute="vehicle.plate")


class WorkOrderQuery(CaseQueryBase):
    vehicle_id = fields.Integer()
    parent_id = fields.Integer()
    team = fields.String()
    priority = fields.String(validate=_one_of(PRIORITIES))
    pay_type = fields.String(validate=_one_of(PAY_TYPES))
    open = fields.Boolean(metadata={"description": "only work orders not delivered, closed or cancelled"})
    q = fields.String(metadata={"description": "plate, number or customer name prefix"})


DECISION_VALUES = DECISIONS
