"""How a work order is shown: its API output, with what other modules and the delivery gates say
about it, and the one next step on its page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields

from ..core.clock import now
from ..core.schemas import CaseOutBase
from ..core.schemas import Money as MoneyField
from ..core.workflow import NextStep
from . import first_service
from .labels import STAGE_LABELS
from .models import CHECK_STAGES, WorkOrder
from .schemas import CheckOut, LineOut, PaymentOut, SettlementOut, TotalsOut
from .services import delivery_blockers, linked_cases


def next_step(wo: WorkOrder) -> NextStep | None:
    """What has to happen next on this work order, by whom; None once it is closed or cancelled."""
    state = wo.state
    if state == "reception":
        return NextStep(action="estimate", role="advisor", label=_l("Estimate the work: labour and parts lines."))
    if state == "estimated":
        if any(ln.warranty_status == "pending" for ln in wo.lines):
            return NextStep(action="decide_warranty", role="advisor",
                        label=_l("Record the manufacturer's warranty decision before the customer signs."))
        return NextStep(action="authorise", role="advisor",
                    label=_l("Go through the estimate with the customer and have the work order signed."))
    if state == "authorised":
        return NextStep(action="dispatch", role="workshop", label=_l("Dispatch the job to a team."))
    if state == "in_repair":
        if wo.pending_extra_lines:
            return NextStep(action="decide_extra_work", role="advisor",
                        label=_l("Call the customer: additional work waits for approval."))
        return NextStep(action="complete_repair", role="workshop", label=_l("Repair the approved lines, then report completion."))
    if state == "quality_check":
        for stage in CHECK_STAGES:
            if not wo.passed_stage(stage):
                return NextStep(action="pass_check", role="qc_inspector" if stage == "final" else "workshop",
                                stage=stage,
                            label=_l("Sign the %(stage)s (or record a failure).", stage=STAGE_LABELS[stage]))
    if state == "ready":
        if wo.free_wash and wo.washed_at is None:
            return NextStep(action="wash", role="workshop", label=_l("Wash the car (the customer accepted a free wash)."))
        if wo.customer_notified_at is None:
            return NextStep(action="notify_customer", role="advisor",
                        label=_l("Call the customer and agree a pickup time."))
        return NextStep(action="deliver", role="advisor",
                    label=_l("Walk the customer through the work, settle and hand over the keys."))
    if state == "delivered":
        return NextStep(action="follow_up", role="customer_relations",
                    label=_l("Call the customer back within 3 days of delivery."))
    return None


class PromiseRevisionOut(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True,
                          metadata={"description": "the promised time before (ISO)"})
    to = fields.String(metadata={"description": "the new promised time (ISO)"})
    reason = fields.String()
    agreed_by = fields.String()
    channel = fields.String()
    at = fields.String(metadata={"description": "when the new time was agreed (ISO)"})
    by = fields.String(metadata={"description": "the advisor who recorded it"})


class WorkOrderOut(CaseOutBase):
    vehicle_id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    pay_type = fields.String()
    appointment_at = fields.DateTime(allow_none=True)
    mileage_km = fields.Integer()
    mileage_reason = fields.String(allow_none=True)
    customer_description = fields.String()
    fuel_level = fields.Integer(allow_none=True)
    damage = fields.List(fields.Dict())
    valuables = fields.String(allow_none=True)
    covers_fitted = fields.Boolean()
    licence_checked = fields.Boolean()
    booklet_checked = fields.Boolean()
    diagnosis = fields.String(allow_none=True)
    spare_tyre_present = fields.Boolean(allow_none=True)
    tool_kit_present = fields.Boolean(allow_none=True)
    key_tag = fields.String(allow_none=True)
    parking_spot = fields.String(allow_none=True, metadata={"description": "where the finished car is parked"})
    promised_at = fields.DateTime(allow_none=True)
    promise_revisions = fields.Function(lambda wo: PromiseRevisionOut(many=True).dump(wo.promise_revisions or []),
                                        metadata={"description": "delays agreed with the customer, oldest first"})
    signed_by = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)
    signature_channel = fields.String(allow_none=True)
    has_signature_image = fields.Boolean()
    payment_method = fields.String(allow_none=True)
    old_parts = fields.String(allow_none=True)
    free_wash = fields.Boolean()
    team = fields.String(allow_none=True)
    technician_id = fields.Integer(allow_none=True)
    priority = fields.String()
    dispatched_at = fields.DateTime(allow_none=True)
    rework_count = fields.Integer()
    repair_completed_at = fields.DateTime(allow_none=True)
    washed_at = fields.DateTime(allow_none=True)
    ready_at = fields.DateTime(allow_none=True)
    customer_notified_at = fields.DateTime(allow_none=True)
    pickup_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    delivered_signed_by = fields.String(allow_none=True)
    delivery_check = fields.Dict()
    paid_amount = MoneyField(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    next_service_date = fields.Date(allow_none=True)
    next_service_km = fields.Integer(allow_none=True)
    preferred_callback_time = fields.String(allow_none=True)
    followed_up_at = fields.DateTime(allow_none=True)
    follow_up_outcome = fields.String(allow_none=True)
    follow_up_attempts = fields.Integer()
    satisfaction = fields.Integer(allow_none=True)
    follow_up_note = fields.String(allow_none=True)
    not_satisfied = fields.Boolean(metadata={"description": "ticked \"not satisfied\" at the callback"})
    not_satisfied_reason = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(LineOut))
    checks = fields.List(fields.Nested(CheckOut))
    totals = fields.Nested(TotalsOut, attribute="approved_totals",
                           metadata={"description": "approved lines, per pay type and labour/parts"})
    linked_cases = fields.Method("get_linked_cases", metadata={
        "description": "cases of other modules linked to this work order that the caller may open "
                       "(e.g. the insurance claim): case_type, case_id, number, label"})
    first_service = fields.Method("get_first_service", metadata={
        "description": "the vehicle's first free service (首保): state, applied (by this work order), payer, "
                       "until, km, number and used_at once used, refusal (why it cannot be applied), lines, amount"})
    delivery_gates = fields.Method("get_delivery_gates", metadata={
        "description": "named gates that hold delivery now (when ready): gate, message"})

    def get_linked_cases(self, wo):
        user = current_user._get_current_object() if current_user else None
        return linked_cases(wo, user) if user is not None and user.is_authenticated else []

    def get_first_service(self, wo):
        out = first_service.summary(wo, now())
        return {k: (str(v) if k == "amount" else v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in out.items()}

    def get_delivery_gates(self, wo):
        return [{"gate": g, "message": m} for g, m in delivery_blockers(wo)] if wo.state == "ready" else []
    estimate_totals = fields.Nested(TotalsOut, metadata={"description": "every line not declined"})
    settlement = fields.Nested(SettlementOut, metadata={
        "description": "lines, adjustments, every payer's share after adjustments, the customer's payments"})
    payments = fields.List(fields.Nested(PaymentOut))
