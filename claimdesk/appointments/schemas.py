"""Input and output schemas of the appointment diary (/api/v1/appointments)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..core.http import PageArgs
from ..core.schemas import AwareDateTime, Date
from .models import SOURCES, STATES


class AppointmentIn(Schema):
    customer_id = fields.Integer(required=True)
    vehicle_id = fields.Integer(required=True)
    advisor_id = fields.Integer(allow_none=True)
    starts_at = AwareDateTime(required=True, metadata={"description": "the slot's start (aware ISO time)"})
    request = fields.String(load_default="", validate=validate.Length(max=2000),
                            metadata={"description": "what the customer asks for; pre-fills the reception"})
    source = fields.String(load_default="phone", validate=validate.OneOf(SOURCES))


class AppointmentQuery(PageArgs):
    date = Date(metadata={"description": "the store-local day"})
    advisor_id = fields.Integer()
    state = fields.String(validate=validate.OneOf(STATES))
    store_id = fields.Integer()


class CloseIn(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ArriveIn(Schema):
    """Link a work order opened already, or open one pre-filled from the appointment."""

    work_order_id = fields.Integer(metadata={"description": "a work order of the same vehicle"})
    mileage_km = fields.Integer(validate=validate.Range(min=0, max=2_000_000))
    customer_description = fields.String(validate=validate.Length(min=1, max=4000),
                                         metadata={"description": "defaults to the appointment's request"})


class AppointmentOut(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    customer_id = fields.Integer()
    vehicle_id = fields.Integer()
    advisor_id = fields.Integer(allow_none=True)
    starts_at = fields.DateTime()
    minutes = fields.Integer()
    request = fields.String()
    source = fields.String()
    state = fields.String()
    note = fields.String(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    arrived_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    plate = fields.Function(lambda a: a.vehicle.plate if a.vehicle else None)
    customer_name = fields.Function(lambda a: a.customer.name if a.customer else None)


class SettingsIn(Schema):
    """A store's diary settings (stored in the store's settings under `diary`)."""

    slot_minutes = fields.Integer(validate=validate.OneOf([15, 20, 30, 45, 60, 90, 120]))
    opens = fields.Time(format="%H:%M")
    closes = fields.Time(format="%H:%M")
    per_slot = fields.Integer(validate=validate.Range(min=1, max=50))
    per_day = fields.Integer(validate=validate.Range(min=1, max=500))
    no_show_hours = fields.Integer(validate=validate.Range(min=1, max=72))
    reminder_days = fields.Integer(validate=validate.Range(min=1, max=60))
    due_window_days = fields.Integer(validate=validate.Range(min=1, max=120))

