"""Input and output schemas of the call lists' API (/api/v1/reminders, /api/v1/campaigns)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..appointments.schemas import AppointmentOut
from ..core.http import PageArgs
from ..core.schemas import AwareDateTime, Date
from .models import CALL_OUTCOMES, CAMPAIGN_KINDS, CHANNELS, MAX_DUE_WINDOW_DAYS, NO_REMINDER, STATES


def _of(attr: str, field=fields.String, **kw):
    """A field read along `attr` (dotted), null where the chain ends (no reminder, no appointment yet)."""
    return field(attribute=attr, dump_default=None, dump_only=True, allow_none=True, **kw)


class ReminderQuery(PageArgs):
    store_id = fields.Integer(metadata={"description": "a store the caller sees (default: the caller's own)"})
    days = fields.Integer(validate=validate.Range(min=1, max=MAX_DUE_WINDOW_DAYS),
                          metadata={"description": "days ahead (default: the store's due-list window)"})
    state = fields.String(validate=validate.OneOf(STATES + (NO_REMINDER,)),
                          metadata={"description": "the reminder's state; `none`: no reminder made yet"})
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class _Called(Schema):
    """Whom a reminder or a campaign contact calls about: the vehicle and its owner."""

    vehicle_id = _of("vehicle.id", fields.Integer)
    plate = _of("vehicle.plate")
    vin = _of("vehicle.vin")
    model = _of("vehicle.model")
    customer_id = _of("vehicle.customer_id", fields.Integer)
    customer_name = _of("vehicle.customer.name")
    customer_phone = _of("vehicle.customer.phone")


class ReminderOut(_Called):
    """One line of the due list: the vehicle coming due, and its reminder once one is made."""

    id = _of("reminder.id", fields.Integer,
             metadata={"description": "the reminder's id; null until one is made"})
    store_id = _of("vehicle.store_id", fields.Integer)
    due_date = fields.Date()
    due_by = fields.String(metadata={"description": "`date` or `mileage` (projected)"})
    projected_km = fields.Integer(allow_none=True)
    next_service_date = _of("vehicle.next_service_date", fields.Date)
    next_service_km = _of("vehicle.next_service_km", fields.Integer)
    state = _of("reminder.state",
                metadata={"description": "open, booked, declined, unreachable; null: none made yet"})
    channel = _of("reminder.channel", metadata={"description": "message or call"})
    attempts = _of("reminder.attempts", fields.Integer)
    note = _of("reminder.note")
    outcome_at = _of("reminder.outcome_at", fields.DateTime)
    appointment_id = _of("appointment.id", fields.Integer,
                         metadata={"description": "the vehicle's booked appointment, if any"})
    appointment_starts_at = _of("appointment.starts_at", fields.DateTime)


class OutcomeIn(Schema):
    """Declined is final; unreachable (with what happened) may be tried again. Booked: the book route."""

    outcome = fields.String(required=True, validate=validate.OneOf(CALL_OUTCOMES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                         metadata={"description": "required for unreachable"})


class BookIn(Schema):
    """The diary's booking for the reminder's (or contact's) vehicle and customer."""

    starts_at = AwareDateTime(required=True, metadata={"description": "the slot's start (aware ISO time)"})
    advisor_id = fields.Integer(allow_none=True)
    request = fields.String(validate=validate.Length(max=2000),
                            metadata={"description": "default: scheduled service, or the campaign's title"})


class ReminderBookedOut(Schema):
    appointment = fields.Nested(AppointmentOut)
    reminder = fields.Nested(ReminderOut)


class CampaignQuery(PageArgs):
    store_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(CAMPAIGN_KINDS))


class CampaignIn(Schema):
    """Pasted VINs (of any store: the answer names those not found in this one) and/or a model filter."""

    kind = fields.String(required=True, validate=validate.OneOf(CAMPAIGN_KINDS))
    title = fields.String(required=True)
    vins = fields.List(fields.String(), metadata={"description": "17-character VINs"})
    model_filter = fields.String(allow_none=True, validate=validate.Length(max=120),
                                 metadata={"description": "the model (or make and model) contains this"})
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    store_id = fields.Integer(metadata={"description": "group-wide users: the campaign's store"})


class ProgressOut(Schema):
    total = fields.Integer()
    open = fields.Integer()
    booked = fields.Integer()
    declined = fields.Integer()
    unreachable = fields.Integer()
    reached = fields.Integer(metadata={"description": "booked + declined"})
    percent_booked = fields.Integer()


class ContactQuery(PageArgs):
    state = fields.String(validate=validate.OneOf(STATES))


class ContactOut(_Called):
    id = fields.Integer()
    campaign_id = fields.Integer()
    state = fields.String()
    note = fields.String(allow_none=True)
    attempts = fields.Integer()
    outcome_at = fields.DateTime(allow_none=True)
    appointment_id = fields.Integer(allow_none=True)


class ContactBookedOut(Schema):
    appointment = fields.Nested(AppointmentOut)
    contact = fields.Nested(ContactOut)
