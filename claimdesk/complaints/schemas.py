"""Input (…In) and output (…Out) schemas of complaints, separate as everywhere."""
from __future__ import annotations

from datetime import timezone

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..core.schemas import CaseOutBase, CaseQueryBase, Money
from .labels import next_step
from .models import ATTRIBUTIONS, CATEGORIES, CHANNELS, SEVERITIES, STATES


class Text(fields.String):
    """A string with surrounding blanks removed, so "   " counts as empty."""

    def _deserialize(self, value, attr, data, **kw):
        return super()._deserialize(value, attr, data, **kw).strip()


def _required_text(max_len: int, **kw):
    return Text(required=True, validate=validate.Length(
        min=1, max=max_len, error=str(_l("Required; at most {max} characters."))), **kw)


def _optional_text(max_len: int):
    return Text(load_default=None, allow_none=True, validate=validate.Length(max=max_len))


def _choice(values):
    return validate.OneOf(values, error=str(_l("Must be one of: {choices}.")))


Amount = lambda: Money(  # noqa: E731
    load_default=None, allow_none=True,
    validate=validate.Range(min=0, max=10_000_000, error=str(_l("A non-negative amount, at most 10,000,000."))))
When = lambda **kw: fields.AwareDateTime(default_timezone=timezone.utc, **kw)  # noqa: E731


class ComplaintIn(Schema):
    customer_id = fields.Integer(required=True)
    vehicle_id = fields.Integer(load_default=None, allow_none=True)
    work_order_id = fields.Integer(load_default=None, allow_none=True,
                                   metadata={"description": "the visit the complaint is about"})
    channel = fields.String(required=True, validate=_choice(CHANNELS))
    category = fields.String(required=True, validate=_choice(CATEGORIES))
    severity = fields.String(load_default=None, allow_none=True, validate=_choice(SEVERITIES),
                             metadata={"description": "default: high for manufacturer hotline and regulator, "
                                                      "else medium"})
    description = _required_text(8000, metadata={"description": "the customer's own words"})
    external_reference = _optional_text(64)
    deadline_at = When(load_default=None, allow_none=True,
                       metadata={"description": "manufacturer / regulator answer deadline"})
    assignee_id = fields.Integer(load_default=None, allow_none=True)
    store_id = fields.Integer(load_default=None, allow_none=True)


class ComplaintListenIn(Schema):
    account = _required_text(8000, metadata={"description": "the customer's own account"})
    met_by_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "who met the customer (default: the caller)"})
    met_at = When(load_default=None, allow_none=True)
    met_where = _optional_text(120)
    version = fields.Integer()


class ComplaintApologiseIn(Schema):
    note = _required_text(4000)
    version = fields.Integer()


class ComplaintResolveIn(Schema):
    attribution = fields.String(required=True, validate=_choice(ATTRIBUTIONS))
    resolution = _required_text(8000, metadata={"description": "the actions taken"})
    root_cause = _optional_text(4000)
    cost_to_store = Amount()
    labour_waived = Amount()
    discount = Amount()
    compensation = Amount()
    goodwill_note = _optional_text(2000)
    customer_accepted = fields.Boolean(load_default=None, allow_none=True)
    create_work_order = fields.Boolean(
        load_default=False, metadata={"description": "our_fault: open a rework work order; not_our_fault: a free "
                                                     "inspection work order (pay type internal), in the same step"})
    work_order_description = _optional_text(4000)
    vehicle_id = fields.Integer(load_default=None, allow_none=True,
                                metadata={"description": "for the work order, if the complaint names no vehicle"})
    mileage_km = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=2_000_000),
                                metadata={"description": "for the work order (default: the last recorded)"})
    version = fields.Integer()


class ComplaintFollowUpIn(Schema):
    satisfied = fields.Boolean(required=True)
    note = _required_text(4000)
    version = fields.Integer()


class ComplaintEscalateIn(Schema):
    reason = _optional_text(2000)
    version = fields.Integer()


class ComplaintCloseIn(Schema):
    reason = _required_text(4000, metadata={"description": "the manager's documented decision"})
    attribution = fields.String(load_default=None, allow_none=True, validate=_choice(ATTRIBUTIONS))
    resolution = _optional_text(8000)
    version = fields.Integer()


class GoodwillGrantedOut(Schema):
    kind = fields.String(metadata={"description": "labour_waiver | goodwill_discount | compensation"})
    amount = fields.Decimal(places=2, as_string=True)
    work_order_id = fields.Integer(allow_none=True)
    work_order_number = fields.String(allow_none=True)
    work_order_state = fields.String(allow_none=True)
    paid_directly = fields.Boolean(metadata={"description": "a goodwill payment, not a line of a bill"})


class ComplaintOut(CaseOutBase):
    vehicle_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    channel = fields.String()
    category = fields.String()
    severity = fields.String()
    description = fields.String()
    external_reference = fields.String(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    account = fields.String(allow_none=True)
    met_by_id = fields.Integer(allow_none=True)
    met_at = fields.DateTime(allow_none=True)
    met_where = fields.String(allow_none=True)
    listened_at = fields.DateTime(allow_none=True)
    apology_note = fields.String(allow_none=True)
    apologised_at = fields.DateTime(allow_none=True)
    attribution = fields.String(allow_none=True)
    root_cause = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    cost_to_store = fields.Decimal(places=2, as_string=True)
    labour_waived = fields.Decimal(places=2, as_string=True)
    discount = fields.Decimal(places=2, as_string=True)
    compensation = fields.Decimal(places=2, as_string=True)
    goodwill_note = fields.String(allow_none=True)
    customer_accepted = fields.Boolean(allow_none=True)
    resolution_work_order_id = fields.Integer(allow_none=True)
    resolution_work_order_kind = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by_id = fields.Integer(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    follow_up_note = fields.String(allow_none=True)
    followed_up_at = fields.DateTime(allow_none=True)
    reopen_count = fields.Integer()
    escalated_to_id = fields.Integer(allow_none=True)
    close_reason = fields.String(allow_none=True)
    customer_name = fields.Function(lambda c: c.customer.name if c.customer else None)
    next_step = fields.Function(lambda c: next_step(c), metadata={"description": "the one next step, in words"})
    available_actions = fields.Method("_available", metadata={
        "description": "actions the caller may run now (before field checks and gates)"})
    vehicle_plate = fields.Function(lambda c: c.vehicle.plate if c.vehicle else None)


    def _available(self, c):
        from flask_login import current_user

        from .workflow import WF

        user = current_user._get_current_object() if getattr(current_user, "is_authenticated", False) else None
        return [a.name for a in WF.available(c, user)] if user is not None else []


class ComplaintDetailOut(ComplaintOut):
    """One complaint (get, create, actions): the list rows leave out what was granted."""

    goodwill_granted = fields.Method("get_goodwill_granted", metadata={
        "description": "what was actually granted: adjustment lines on work-order bills, goodwill payments "
                       "(list of GoodwillGrantedOut)"})

    def get_goodwill_granted(self, case):
        from .services import goodwill_granted

        if case.resolved_at is None:  # nothing is granted before a resolution: no queries
            return []
        return GoodwillGrantedOut(many=True).dump(goodwill_granted(case))


class ComplaintQuery(CaseQueryBase):
    state = fields.String(validate=_choice(STATES))
    channel = fields.String(validate=_choice(CHANNELS))
    category = fields.String(validate=_choice(CATEGORIES))
    severity = fields.String(validate=_choice(SEVERITIES))
    attribution = fields.String(validate=_choice(ATTRIBUTIONS))
    vehicle_id = fields.Integer()
    work_order_id = fields.Integer()
    escalated = fields.Boolean(metadata={"description": "only escalated (true) or not escalated (false)"})
    open = fields.Boolean(metadata={"description": "only open (true) or closed (false) complaints"})
    q = fields.String(metadata={"description": "the customer's phone, a plate, a VIN or the customer's name"})
    mine = fields.Boolean(metadata={"description": "assigned or escalated to the caller"})

    @validates_schema
    def _range(self, data, **kw):
        if data.get("created_from") and data.get("created_to") and data["created_from"] > data["created_to"]:
            raise ValidationError(str(_l("'from' is after 'to'.")), "from")
