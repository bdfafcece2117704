"""open_work_order: the service other modules (claims, complaints) call."""
from __future__ import annotations

import pytest

from claimdesk.core import events
from claimdesk.core.errors import ValidationFailed
from claimdesk.workorders.services import open_work_order
from tests.factories import VehicleFactory


def test_open_numbers_starts_and_defaults(store, advisor):
    v = VehicleFactory(customer__store=store, mileage_km=20000)
    wo = open_work_order(advisor, {"customer_id": v.customer_id, "vehicle_id": v.id, "mileage_km": 21000,
                                   "customer_description": "Squeak when braking", "pay_type": "insurance"})
    assert wo.id and wo.number.startswith("WO-") and wo.state == "reception"
    assert wo.pay_type == "insurance" and wo.assignee_id == advisor.id
    assert v.mileage_km == 21000
    assert [e.action for e in events.timeline("work_order", wo.id)] == ["create"]


def test_open_refuses_mileage_backwards_without_reason(store, advisor):
    v = VehicleFactory(customer__store=store, mileage_km=20000)
    with pytest.raises(ValidationFailed) as err:
        open_work_order(advisor, {"customer_id": v.customer_id, "vehicle_id": v.id, "mileage_km": 19000,
                                  "customer_description": "x"})
    assert "mileage_km" in err.value.fields
    wo = open_work_order(advisor, {"customer_id": v.customer_id, "vehicle_id": v.id, "mileage_km": 19000,
                                   "customer_description": "x", "mileage_reason": "cluster replaced"})
    assert v.mileage_km == 19000 and wo.mileage_reason == "cluster replaced"


def test_open_as_system_without_actor(store):
    v = VehicleFactory(customer__store=store)
    wo = open_work_order(None, {"customer_id": v.customer_id, "vehicle_id": v.id, "mileage_km": v.mileage_km,
                                "customer_description": "accident repair", "pay_type": "insurance"}, system=True)
    assert wo.store_id == store.id and wo.assignee_id is None


def test_open_validates_fields(store, advisor):
    with pytest.raises(ValidationFailed) as err:
        open_work_order(advisor, {"customer_id": 1})
    assert {"vehicle_id", "mileage_km", "customer_description"} <= set(err.value.fields)
