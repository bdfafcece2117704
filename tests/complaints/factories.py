"""Factories for complaints: `ComplaintFactory` for bare rows, `open_complaint` for the real intake."""
from __future__ import annotations

import factory

from claimdesk.complaints import services
from claimdesk.complaints.models import Complaint
from claimdesk.core import uow
from tests.factories import Base, CustomerFactory, VehicleFactory


class ComplaintFactory(Base):
    """A complaint row without timeline or clocks (for list and query tests)."""

    class Meta:
        model = Complaint

    customer = factory.SubFactory(CustomerFactory)
    customer_id = factory.SelfAttribute("customer.id")
    store_id = factory.SelfAttribute("customer.store_id")
    number = factory.Sequence(lambda n: f"CP-2026-{900000 + n:06d}")
    state = "listen"
    channel = "phone"
    category = "repair_quality"
    severity = "medium"
    description = "The noise is still there after the repair."


def open_complaint(actor, customer=None, *, store=None, vehicle=True, commit=True, **data):
    """A complaint logged through the service, as the pages and the API do."""
    if customer is None:
        customer = CustomerFactory(store=store or actor.store)
    payload = {"customer_id": customer.id, "channel": "phone", "category": "repair_quality",
               "description": "The noise is still there after the repair.", **data}
    if vehicle is True:
        payload["vehicle_id"] = VehicleFactory(customer=customer).id
    elif vehicle:
        payload["vehicle_id"] = vehicle.id
    complaint = services.open_complaint(actor, payload)
    if commit:
        uow.commit()
    return complaint
