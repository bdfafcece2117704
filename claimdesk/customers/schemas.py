"""Input and output schemas of the customer archive (separate, per the architecture notes)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from ..core.http import PageArgs
from ..core.schemas import Date
from . import entitlements
from . import validators as v


class Phone(fields.String):
    """A phone number, normalised (digits only for mobiles)."""

    def _deserialize(self, value, attr, data, **kw):
        raw = super()._deserialize(value, attr, data, **kw)
        try:
            return v.normalise_phone(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Plate(fields.String):
    def _deserialize(self, value, attr, data, **kw):
        raw = super()._deserialize(value, attr, data, **kw)
        try:
            return v.normalise_plate(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Vin(fields.String):
    def _deserialize(self, value, attr, data, **kw):
        raw = super()._deserialize(value, attr, data, **kw)
        try:
            return v.normalise_vin(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


_name = validate.Length(min=1, max=120, error=str(_l("Between 1 and 120 characters.")))


class CustomerIn(Schema):
    name = fields.String(required=True, validate=_name)
    phone = Phone(required=True)
    alt_phone = Phone(allow_none=True)
    address = fields.String(allow_none=True, validate=validate.Length(max=255))
    preferred_contact_time = fields.String(allow_none=True, validate=validate.Length(max=64))
    id_number = fields.String(allow_none=True, validate=validate.Length(max=32))
    notes = fields.String(allow_none=True, validate=validate.Length(max=4000))
    store_id = fields.Integer(load_only=True)


class CustomerPatch(CustomerIn):
    name = fields.String(validate=_name)
    phone = Phone()


class VehicleBrief(Schema):
    id = fields.Integer()
    vin = fields.String()
    plate = fields.String()
    model = fields.String()
    mileage_km = fields.Integer()


class CustomerOut(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    alt_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    preferred_contact_time = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    vehicles = fields.List(fields.Nested(VehicleBrief))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerQuery(PageArgs):
    q = fields.String(metadata={"description": "phone, plate, VIN or name"})
    phone = fields.String()
    name = fields.String()
    store_id = fields.Integer()


class VehicleIn(Schema):
    customer_id = fields.Integer(required=True)
    vin = Vin(required=True)
    plate = Plate(required=True)
    model = fields.String(required=True, validate=validate.Length(min=1, max=120))
    mileage_km = fields.Integer(required=True, validate=validate.Range(min=0, max=2_000_000))
    make = fields.String(allow_none=True, validate=validate.Length(max=64))
    year = fields.Integer(allow_none=True, validate=validate.Range(min=1950, max=2100))
    colour = fields.String(allow_none=True, validate=validate.Length(max=32))
    purchase_date = Date(allow_none=True)
    maintenance_interval_km = fields.Integer(allow_none=True, validate=validate.Range(min=1000, max=100000))
    maintenance_interval_months = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=60))
    next_service_date = Date(allow_none=True)
    next_service_km = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class VehiclePatch(VehicleIn):
    customer_id = fields.Integer()
    vin = Vin()
    plate = Plate()
    model = fields.String(validate=validate.Length(min=1, max=120))
    mileage_km = fields.Integer(validate=validate.Range(min=0, max=2_000_000))
    mileage_reason = fields.String(load_default=None, validate=validate.Length(max=500))


class VehicleOut(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    customer_id = fields.Integer()
    vin = fields.String()
    plate = fields.String()
    make = fields.String(allow_none=True)
    model = fields.String()
    year = fields.Integer(allow_none=True)
    colour = fields.String(allow_none=True)
    mileage_km = fields.Integer()
    purchase_date = fields.Date(allow_none=True)
    maintenance_interval_km = fields.Integer(allow_none=True)
    maintenance_interval_months = fields.Integer(allow_none=True)
    next_service_date = fields.Date(allow_none=True)
    next_service_km = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    first_service = fields.Method("get_first_service", metadata={
        "description": "the first free service (首保): state (available, used, expired, no_rule, "
                       "no_purchase_date), payer, until (date), km, and once used work_order_id, number, used_at"})

    def get_first_service(self, vehicle):
        fs = entitlements.as_dict(entitlements.of_vehicle(vehicle))
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in fs.items()}


class VehicleQuery(PageArgs):
    q = fields.String()
    plate = fields.String()
    vin = fields.String()
    customer_id = fields.Integer()
    store_id = fields.Integer()
