"""Schemas every domain shares: money, the case envelope and the timeline event."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from ..core.http import PageArgs
from .types import money


MAX_AMOUNT = Decimal("999999999.99")

# Times and dates the application accepts. Python and PostgreSQL take years 1–9999, but a year-1 time
# with an offset (0001-01-01T00:00:00+14:00) overflows when it is converted to UTC, when a day is
# subtracted from it, or in PostgreSQL's ranges; no case of a car dealership lies outside these.
MIN_YEAR, MAX_YEAR = 1900, 2100


def out_of_range(value: date | datetime) -> str | None:
    """The message for a date or time outside MIN_YEAR–MAX_YEAR (taken in UTC for an aware time),
    else None. Never raises: a time that cannot even be converted to UTC is out of range."""
    year = value.year
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            year = value.astimezone(timezone.utc).year
        except (OverflowError, ValueError):
            year = 0
    if MIN_YEAR <= year <= MAX_YEAR:
        return None
    return str(_l("Must be between the years %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR))


class _InRange:
    """Refuses dates and times outside MIN_YEAR–MAX_YEAR at the edge (422 with the field named)."""

    def _deserialize(self, value, attr, data, **kw):
        result = super()._deserialize(value, attr, data, **kw)
        message = out_of_range(result)
        if message:
            raise ValidationError(message)
        return result


class DateTime(_InRange, fields.DateTime):
    """fields.DateTime (naive or aware ISO 8601) within MIN_YEAR–MAX_YEAR."""


class AwareDateTime(_InRange, fields.AwareDateTime):
    """fields.AwareDateTime within MIN_YEAR–MAX_YEAR."""


class Date(_InRange, fields.Date):
    """fields.Date within MIN_YEAR–MAX_YEAR."""


class Money(fields.Field):
    """A decimal with two places: "1280.00" out; a string or a number in, rounded half-up to the cent.

    Floats are converted through their shortest repr, so 0.1 stays 0.10 and never 0.1000000000000000055.
    """

    default_error_messages = {"invalid": _l("Not a valid amount (use a decimal such as 1280.00).")}

    def __init__(self, *, minimum: Decimal | None = None, exclusive_minimum: bool = False, **kw):
        super().__init__(**kw)
        self.minimum = minimum
        self.exclusive_minimum = exclusive_minimum

    def _serialize(self, value, attr, obj, **kw):
        return None if value is None else f"{money(value):.2f}"

    def _deserialize(self, value, attr, data, **kw):
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ValidationError(str(self.error_messages["invalid"]))
        try:
            raw = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(str(self.error_messages["invalid"])) from None
        if not raw.is_finite():
            raise ValidationError(str(self.error_messages["invalid"]))
        if abs(raw) > MAX_AMOUNT + 1:  # before rounding: 2.9e142 cannot be quantized to cents at all
            raise ValidationError(str(_l("Too large.")))
        result = money(raw)
        if abs(result) > MAX_AMOUNT:
            raise ValidationError(str(_l("Too large.")))
        if self.minimum is not None:
            if self.exclusive_minimum and result <= self.minimum:
                raise ValidationError(str(_l("Must be greater than %(min)s.", min=self.minimum)))
            if not self.exclusive_minimum and result < self.minimum:
                raise ValidationError(str(_l("Must not be below %(min)s.", min=self.minimum)))
        return result


class CaseOutBase(Schema):
    """Fields every case has (api.md). Case types extend this."""

    id = fields.Integer()
    number = fields.String()
    store_id = fields.Integer()
    state = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer()
    version = fields.Integer()
    pause_reason = fields.String(allow_none=True)
    paused_at = fields.DateTime(allow_none=True)
    escalation_level = fields.Integer()
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CaseQueryBase(PageArgs):
    """Filters every case list takes; case types add their own."""

    state = fields.String()
    store_id = fields.Integer()
    assignee_id = fields.Integer()
    customer_id = fields.Integer()
    number = fields.String()
    created_from = DateTime(data_key="from")
    created_to = DateTime(data_key="to")


class EventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    action = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda e: e.actor.display_name if e.actor else None)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    visibility = fields.String()
    data = fields.Dict()


class EventList(Schema):
    items = fields.List(fields.Nested(EventOut))
