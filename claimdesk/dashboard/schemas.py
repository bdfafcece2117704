"""Schemas of the dashboard API: the filters in, the aggregates out (api.md fixes the core fields)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .models import CASE_TYPES


class DashboardQuery(Schema):
    store_id = fields.Integer(metadata={"description": "one store (must be one you see); default: all you see"})
    from_ = fields.String(data_key="from", metadata={"description": "start, YYYY-MM-DD (store's zone) or ISO 8601; "
                                                                    "default: 30 days before `to`"})
    to = fields.String(metadata={"description": "end, YYYY-MM-DD (that whole day) or ISO 8601; default: now"})
    case_type = fields.String(validate=validate.OneOf(CASE_TYPES))


class StatOut(Schema):
    total = fields.Integer(metadata={"description": "clocks that ended met or breached (cancelled excluded)"})
    met = fields.Integer()
    breached = fields.Integer()
    breach_rate = fields.Float(allow_none=True, metadata={"description": "breached / total, 0–1"})
    p50_seconds = fields.Float(allow_none=True, metadata={"description": "median counted time (pauses excluded)"})
    p90_seconds = fields.Float(allow_none=True)


class PolicyStatOut(StatOut):
    policy_key = fields.String()


class HolderStatOut(StatOut):
    holder_id = fields.Integer(allow_none=True)
    holder_name = fields.String(allow_none=True)


class StoreStatOut(StatOut):
    store_id = fields.Integer()
    store_code = fields.String()
    store_name = fields.String()


class InsurerStatOut(StatOut):
    insurer_id = fields.Integer()
    insurer_name = fields.String()


class UrgentOut(Schema):
    clock_id = fields.Integer(attribute="id")
    case_type = fields.String()
    case_id = fields.Integer()
    number = fields.String(allow_none=True)
    store_id = fields.Integer()
    policy_key = fields.String()
    state = fields.String()
    breached = fields.Boolean()
    due_at = fields.DateTime(allow_none=True)
    seconds_left = fields.Float(allow_none=True)
    escalation_level = fields.Integer()
    acknowledged_at = fields.DateTime(allow_none=True)
    pause_reason = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)


class BacklogOut(Schema):
    case_type = fields.String()
    state = fields.String()
    buckets = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "open cases by age since opened: lt1d, 1to3d, 3to7d, 7to30d, gt30d"})
    total = fields.Integer()


class EscalationOut(Schema):
    level = fields.Integer()
    count = fields.Integer()
    acknowledged = fields.Integer()


class PausedOut(Schema):
    reason = fields.String()
    clocks = fields.Integer()
    seconds = fields.Float()


class PeriodCountOut(Schema):
    period = fields.String(metadata={"description": "YYYY-MM (month) or the week's Monday YYYY-MM-DD"})
    key = fields.String()
    count = fields.Integer()


class ComplaintOutcomesOut(Schema):
    logged = fields.Integer()
    followed_up = fields.Integer()
    reopened = fields.Integer()
    reopen_rate = fields.Float(allow_none=True)
    satisfied = fields.Integer()
    not_satisfied = fields.Integer()
    satisfaction_rate = fields.Float(allow_none=True)


class WorkOrderSatisfactionOut(Schema):
    callbacks = fields.Integer()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())
    average = fields.Float(allow_none=True)
    satisfied_rate = fields.Float(allow_none=True)


class DocsInsurerOut(Schema):
    insurer_id = fields.Integer()
    insurer_name = fields.String()
    claims = fields.Integer()
    items = fields.Integer()
    oldest_days = fields.Float(allow_none=True)


class DocsClaimOut(Schema):
    claim_id = fields.Integer()
    number = fields.String()
    insurer_name = fields.String()
    missing = fields.Integer()
    waiting_days = fields.Float()


class DocsWaitingOut(Schema):
    total = fields.Integer()
    by_insurer = fields.List(fields.Nested(DocsInsurerOut))
    claims = fields.List(fields.Nested(DocsClaimOut))


class PayoutRowOut(Schema):
    insurer_id = fields.Integer()
    insurer_name = fields.String()
    claims = fields.Integer(metadata={"description": "claims submitted in the period"})
    expected = fields.Decimal(places=2, as_string=True)
    received = fields.Decimal(places=2, as_string=True)
    outstanding = fields.Decimal(places=2, as_string=True, metadata={"description": "now, on every unpaid claim"})
    outstanding_claims = fields.Integer()
    ageing = fields.Dict(keys=fields.String(), values=fields.Decimal(places=2, as_string=True))


class PayoutTotalsOut(Schema):
    claims = fields.Integer()
    expected = fields.Decimal(places=2, as_string=True)
    received = fields.Decimal(places=2, as_string=True)
    outstanding = fields.Decimal(places=2, as_string=True)
    ageing = fields.Dict(keys=fields.String(), values=fields.Decimal(places=2, as_string=True))


class PayoutsOut(Schema):
    by_insurer = fields.List(fields.Nested(PayoutRowOut))
    totals = fields.Nested(PayoutTotalsOut)


class FiltersOut(Schema):
    store_id = fields.Integer(allow_none=True)
    store_ids = fields.List(fields.Integer(), allow_none=True)
    from_ = fields.DateTime(data_key="from")
    to = fields.DateTime()
    case_type = fields.String(allow_none=True)
    now = fields.DateTime()


class DashboardOut(Schema):
    filters = fields.Nested(FiltersOut)
    breached_now = fields.Integer(metadata={"description": "open clocks past their deadline"})
    at_risk = fields.Integer(metadata={"description": "open clocks past their warning point, not yet breached"})
    by_policy = fields.List(fields.Nested(PolicyStatOut))
    by_holder = fields.List(fields.Nested(HolderStatOut))
    by_store = fields.List(fields.Nested(StoreStatOut))
    by_insurer = fields.List(fields.Nested(InsurerStatOut))
    urgent = fields.List(fields.Nested(UrgentOut))
    backlog = fields.List(fields.Nested(BacklogOut))
    escalations = fields.List(fields.Nested(EscalationOut))
    paused_by_reason = fields.List(fields.Nested(PausedOut))
    granularity = fields.String()
    complaint_categories = fields.List(fields.Nested(PeriodCountOut))
    complaint_channels = fields.List(fields.Nested(PeriodCountOut))
    complaint_outcomes = fields.Nested(ComplaintOutcomesOut)
    work_order_satisfaction = fields.Nested(WorkOrderSatisfactionOut)
    documents_waiting = fields.Nested(DocsWaitingOut)
    payouts = fields.Nested(PayoutsOut)
