"""Verbs of the customer archive. They change objects and flush; the boundary commits."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.permissions import get_or_404, store_for_new
from ..core.errors import Conflict, ValidationFailed
from ..extensions import db
from .models import Customer, Vehicle


def create_customer(actor, data: dict) -> Customer:
    data = dict(data)
    store_id = store_for_new(actor, data.pop("store_id", None))
    customer = Customer(store_id=store_id, **data)
    db.session.add(customer)
    db.session.flush()
    return customer


def update_customer(customer: Customer, data: dict) -> Customer:
    data.pop("store_id", None)
    for key, value in data.items():
        setattr(customer, key, value)
    db.session.flush()
    return customer


def _vin_taken(store_id: int, vin: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Vehicle.id).where(Vehicle.store_id == store_id, Vehicle.vin == vin)
    if exclude_id:
        stmt = stmt.where(Vehicle.id != exclude_id)
    return db.session.scalar(stmt) is not None


def create_vehicle(actor, data: dict) -> Vehicle:
    data = dict(data)
    customer = get_or_404(Customer, data.pop("customer_id"), actor)
    if _vin_taken(customer.store_id, data["vin"]):
        raise ValidationFailed(str(_l("This VIN is already in the archive.")),
                               fields={"vin": [str(_l("A vehicle with this VIN exists already."))]})
    vehicle = Vehicle(store_id=customer.store_id, customer_id=customer.id, **data)
    db.session.add(vehicle)
    db.session.flush()
    return vehicle


def update_vehicle(actor, vehicle: Vehicle, data: dict) -> Vehicle:
    data = dict(data)
    reason = data.pop("mileage_reason", None)
    if "customer_id" in data:
        customer = get_or_404(Customer, data.pop("customer_id"), actor)
        if customer.store_id != vehicle.store_id:
            raise ValidationFailed(str(_l("The customer is in another store.")),
                                   fields={"customer_id": [str(_l("Unknown customer."))]})
        vehicle.customer_id = customer.id
    if "vin" in data and _vin_taken(vehicle.store_id, data["vin"], vehicle.id):
        raise ValidationFailed(str(_l("This VIN is already in the archive.")),
                               fields={"vin": [str(_l("A vehicle with this VIN exists already."))]})
    if "mileage_km" in data:
        record_mileage(vehicle, data.pop("mileage_km"), reason)
    for key, value in data.items():
        setattr(vehicle, key, value)
    db.session.flush()
    return vehicle


def record_mileage(vehicle: Vehicle, mileage_km: int, reason: str | None = None) -> None:
    """Odometers only go up; going down needs a stated reason (cluster replaced, typo last visit)."""
    if mileage_km < vehicle.mileage_km and not (reason and reason.strip()):
        raise ValidationFailed(
            str(_l("Mileage %(new)s km is below the last recorded %(old)s km.", new=mileage_km,
                   old=vehicle.mileage_km)),
            fields={"mileage_km": [str(_l("Lower than the last recorded mileage; give a reason."))]},
        )
    vehicle.mileage_km = mileage_km


def ensure_vehicle_of_customer(vehicle: Vehicle, customer: Customer) -> None:
    if vehicle.customer_id != customer.id:
        raise Conflict(str(_l("The vehicle does not belong to this customer.")), code="mismatch")
