"""Input and output schemas of the SLA API (marshmallow 4), input and output kept apart."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..core.clock import now
from ..core.http import PageArgs
from ..core.schemas import Date
from ..core.workflow import PAUSE_REASONS
from .calendar import intervals_to_json, parse_intervals
from .models import CALENDARS, CLOCK_STATES, RECIPIENTS
from .policies import label

YEAR = 366 * 86400


class LadderStep(Schema):
    level = fields.Integer(required=True, validate=validate.OneOf([1, 2, 3]))
    notify = fields.List(fields.String(validate=validate.OneOf(RECIPIENTS)), required=True)
    at = fields.String(dump_only=True)
    escalate = fields.Boolean(dump_only=True)


class PolicyOut(Schema):
    id = fields.Integer()
    key = fields.String()
    label = fields.Function(lambda p: label(p.key))
    store_id = fields.Integer(allow_none=True)
    scope = fields.String()
    version = fields.Integer()
    target_seconds = fields.Integer()
    calendar = fields.String()
    warn_ratio = fields.Float()
    escalate_after_seconds = fields.Integer()
    pause_reasons = fields.List(fields.String())
    ladder = fields.List(fields.Nested(LadderStep))
    updated_at = fields.DateTime()
    updated_by_id = fields.Integer(allow_none=True)


class PolicyQuery(Schema):
    store_id = fields.Integer(load_default=None)


class PolicyIn(Schema):
    """Any of the fields; what is left out keeps its value. A change makes a new version that
    applies to clocks started from now on."""

    target_seconds = fields.Integer(validate=validate.Range(min=1, max=YEAR))
    calendar = fields.String(validate=validate.OneOf(CALENDARS))
    warn_ratio = fields.Float(validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False))
    escalate_after_seconds = fields.Integer(validate=validate.Range(min=0, max=YEAR))
    pause_reasons = fields.List(fields.String(validate=validate.OneOf(PAUSE_REASONS)))
    ladder = fields.List(fields.Nested(LadderStep))
    store_id = fields.Integer(load_default=None, allow_none=True)

    @validates_schema
    def _something(self, data, **kw):
        if not {k for k in data if k != "store_id"}:
            raise ValidationError("Send at least one of target_seconds, calendar, warn_ratio, "
                                  "escalate_after_seconds, pause_reasons, ladder.", "_schema")


class RebaselineIn(Schema):
    store_id = fields.Integer(load_default=None, allow_none=True)
    dry_run = fields.Boolean(load_default=True)
    # the preview's would_move: if the count changed since, the run is refused (409)
    expected = fields.Integer(load_default=None, allow_none=True)


class RebaselinePreviewOut(Schema):
    policy_key = fields.String()
    policy_version = fields.Integer()
    store_id = fields.Integer(allow_none=True)
    open_clocks = fields.Integer()
    would_move = fields.Integer()
    earlier = fields.Integer()
    later = fields.Integer()
    unchanged = fields.Integer()


class RebaselineOut(Schema):
    id = fields.Integer()
    policy_key = fields.Function(lambda r: r.policy.key)
    store_id = fields.Function(lambda r: r.policy.store_id)
    policy_version_id = fields.Integer()
    requested_by_id = fields.Integer()
    requested_at = fields.DateTime()
    state = fields.String()
    previewed = fields.Integer()
    moved = fields.Integer(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


def _remaining(clock):
    from .clock import remaining_seconds

    if clock.stopped_at is not None:
        return None
    if clock.calendar == "business":
        from .policies import load_calendars

        cal = load_calendars([clock.store_id]).get(clock.store_id)
    else:
        cal = None
    return round(remaining_seconds(clock, now(), cal), 3)


class TimerOut(Schema):
    id = fields.Integer()
    case_type = fields.String()
    case_id = fields.Integer()
    store_id = fields.Integer()
    policy_key = fields.String()
    policy_version = fields.Function(lambda c: c.policy_version.version)
    generation = fields.Integer()
    state = fields.String()
    active = fields.Boolean()
    calendar = fields.String()
    target_seconds = fields.Integer()
    started_at = fields.DateTime()
    warn_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    escalate_at = fields.DateTime(allow_none=True)
    remaining_seconds = fields.Function(_remaining)
    consumed_seconds = fields.Float()
    paused = fields.Function(lambda c: c.stopped_at is None and c.running_since is None)
    pause_reason = fields.String(allow_none=True)
    paused_seconds = fields.Float()
    escalation_level = fields.Integer()
    breached_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by_id = fields.Integer(allow_none=True)
    stopped_at = fields.DateTime(allow_none=True)


class TimerQuery(PageArgs):
    case_type = fields.String()
    case_id = fields.Integer()
    state = fields.String(validate=validate.OneOf(CLOCK_STATES))
    store_id = fields.Integer()
    policy_key = fields.String()
    active = fields.Boolean()


def _spans(value) -> list:
    """'08:30-12:00, 13:30-18:00' or [["08:30","12:00"], …] → normalised [["08:30","12:00"], …]."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        try:
            text = ", ".join(f"{a}-{b}" for a, b in value)
        except (TypeError, ValueError):
            raise ValidationError("Give spans as [[\"08:30\", \"12:00\"], …] or \"08:30-12:00, …\".") from None
    else:
        raise ValidationError("Give spans as [[\"08:30\", \"12:00\"], …] or \"08:30-12:00, …\".")
    try:
        return intervals_to_json(parse_intervals(text))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class SpansField(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        return _spans(value)


class CalendarDayOut(Schema):
    id = fields.Integer()
    day = fields.Date()
    kind = fields.String()
    name = fields.String()
    spans = fields.List(fields.List(fields.String()))


class CalendarOut(Schema):
    store_id = fields.Integer()
    own = fields.Boolean()
    timezone = fields.String()
    week = fields.List(fields.List(fields.List(fields.String())))
    days = fields.List(fields.Nested(CalendarDayOut))


class CalendarIn(Schema):
    timezone = fields.String(validate=validate.Length(min=1, max=64))
    week = fields.List(SpansField(), required=True, validate=validate.Length(equal=7))


class CalendarDayIn(Schema):
    day = Date(required=True)
    until = Date(load_default=None, allow_none=True)
    kind = fields.String(load_default="holiday", validate=validate.OneOf(["holiday", "closure", "workday"]))
    name = fields.String(load_default="", validate=validate.Length(max=120))
    spans = SpansField(load_default=list)


class JobOut(Schema):
    id = fields.String()
    queue = fields.String()
    func = fields.String()
    status = fields.String()
    retries_left = fields.Integer(allow_none=True)
    enqueued_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)


class JobsOut(Schema):
    scheduled = fields.Integer()
    queued = fields.Integer()
    failed_count = fields.Integer()
    failed = fields.List(fields.Nested(JobOut))
