"""Input and output schemas of the 三包 ledger (GET /vehicles/{id}/sanbao, the advisor's confirmation,
the rule sets)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from .models import CONDITIONS, LEVELS, REPLACEMENTS, SYSTEMS


def _choice(values):
    return validate.OneOf(values, error=str(_l("Must be one of: {choices}.")))


class EpisodeIn(Schema):
    """The advisor's confirmation of one work order's place in the ledger."""

    quality = fields.Boolean(required=True, metadata={"description": "a repair of a quality problem (counts)"})
    system = fields.String(load_default=None, allow_none=True, validate=_choice(SYSTEMS))
    fault_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    problem_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80), metadata={
        "description": "join this existing problem group of the vehicle; empty: the system's suggestion"})
    serious_safety = fields.Boolean(load_default=False)
    replacement = fields.String(load_default="none", validate=_choice(REPLACEMENTS))
    component = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


def _count(**kw):
    return fields.Integer(validate=validate.Range(min=0, max=100000), **kw)


class RuleSetIn(Schema):
    warranty_years = _count()
    warranty_km = _count()
    period_years = _count()
    period_km = _count()
    substitute_after_days = _count()
    max_repair_days = _count()
    max_same_problem = _count()
    max_safety_repairs = _count()
    max_replacements = _count()
    warn_substitute_days = _count()
    warn_repair_days = _count()
    warn_same_problem = _count()
    warn_safety_repairs = _count()
    warn_replacements = _count()


class RuleSetOut(RuleSetIn):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    valid_from = fields.Date()
    store_id = fields.Integer(allow_none=True)
    assemblies = fields.List(fields.String())
    component_systems = fields.List(fields.String())


class EpisodeOut(Schema):
    work_order_id = fields.Integer()
    number = fields.String()
    state = fields.String()
    mileage_km = fields.Integer()
    started_at = fields.DateTime(allow_none=True, metadata={"description": "reception (created_at)"})
    ended_at = fields.DateTime(allow_none=True, metadata={
        "description": "the customer told to collect the car (customer_notified_at), else delivery or closing"})
    running = fields.Boolean()
    repair_days = fields.Integer()
    in_period = fields.Boolean()
    in_warranty = fields.Boolean()
    quality = fields.Boolean()
    confirmed = fields.Boolean()
    system = fields.String(allow_none=True)
    fault_code = fields.String(allow_none=True)
    problem_key = fields.String(allow_none=True)
    serious_safety = fields.Boolean()
    replacement = fields.String()
    component = fields.String(allow_none=True)


class ConditionOut(Schema):
    condition = fields.String(metadata={"description": ", ".join(CONDITIONS)})
    key = fields.String()
    label = fields.String()
    value = fields.Integer()
    limit = fields.Integer()
    warn = fields.Integer()
    level = fields.String(allow_none=True, metadata={"description": ", ".join(LEVELS)})
    work_order_id = fields.Integer(allow_none=True)


class ProblemOut(Schema):
    key = fields.String()
    label = fields.String()
    repairs = fields.Integer()
    repair_days = fields.Integer()
    work_orders = fields.List(fields.String())


class AlertOut(Schema):
    id = fields.Integer()
    condition = fields.String()
    key = fields.String()
    level = fields.String()
    value = fields.Integer()
    limit = fields.Integer()
    work_order_id = fields.Integer(allow_none=True)
    fired_at = fields.DateTime()


class SanbaoOut(Schema):
    vehicle_id = fields.Integer()
    covered = fields.Boolean(metadata={"description": "a rule set and a purchase date are known"})
    rule_set = fields.Nested(RuleSetOut, allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True, metadata={"description": "三包有效期 by time"})
    warranty_end = fields.Date(allow_none=True, metadata={"description": "包修期 by time"})
    mileage_km = fields.Integer()
    ended_by = fields.String(allow_none=True, metadata={"description": "time | mileage | null (running)"})
    days_left = fields.Integer(allow_none=True)
    km_left = fields.Integer(allow_none=True)
    days_used = fields.Integer()
    level = fields.String(allow_none=True, metadata={"description": "worst level of any condition"})
    unconfirmed = fields.Integer(metadata={"description": "proposed episodes the advisor has not confirmed"})
    substitute_due = fields.List(fields.Integer(), metadata={
        "description": "work orders whose repair runs past the limit: substitute car or transport allowance"})
    problems = fields.List(fields.Nested(ProblemOut))
    conditions = fields.List(fields.Nested(ConditionOut))
    episodes = fields.List(fields.Nested(EpisodeOut))
    alerts = fields.List(fields.Nested(AlertOut))
