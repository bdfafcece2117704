"""Fixtures of the 三包 tests: a car bought on a known date and a helper that files a repair episode
(a work order with its repair times and the advisor's confirmation)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from claimdesk.core import clock, uow
from claimdesk.sanbao import services
from claimdesk.sanbao.rules import seed_rule_sets
from claimdesk.workorders.services import open_work_order
from tests.factories import VehicleFactory

UTC = timezone.utc
CST = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST


def cst(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.fixture(autouse=True)
def _rules_and_clock():
    seed_rule_sets()
    yield
    clock.set_now(None)


@pytest.fixture
def car(store):
    return VehicleFactory(customer__store=store, mileage_km=8000, purchase_date=date(2025, 3, 1))


@pytest.fixture
def repair(advisor):
    """repair(vehicle, start, end, km=…, **confirmation) -> work order, with the episode confirmed."""

    def make(vehicle, start, end, km=10000, *, confirm=True, quality=True, system="transmission",
             fault_code="P0741", **extra):
        clock.set_now(start)  # the reception starts the repair time
        wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                       "mileage_km": km, "customer_description": "Gearbox shudders"})
        wo.signed_at, wo.state = start + timedelta(minutes=30), "in_repair"
        if end is not None:
            wo.ready_at = wo.customer_notified_at = end  # the customer is told to collect it
            wo.state = "ready"
        if confirm:
            services.confirm_episode(advisor, wo, {"quality": quality, "system": system, "fault_code": fault_code,
                                                   **extra})
        uow.commit()
        clock.set_now(None)
        return wo

    return make
