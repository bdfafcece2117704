"""Fixtures of the diary tests: a fixed clock (Monday 2026-12-07, 07:00 in the store) and a vehicle."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from claimdesk.core import clock
from tests.factories import VehicleFactory

SH = ZoneInfo("Asia/Shanghai")


def local(day: int, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 12, day, h, m, tzinfo=SH)


@pytest.fixture(autouse=True)
def monday_morning():
    clock.set_now(local(7, "07:00"))
    yield
    clock.set_now(None)


@pytest.fixture
def vehicle(store):
    return VehicleFactory(customer__store=store, mileage_km=20000)


@pytest.fixture
def book(advisor, vehicle):
    from claimdesk.appointments import services

    def make(at, actor=None, v=None, **kw):
        v = v or vehicle
        return services.book(actor or advisor, {"customer_id": v.customer_id, "vehicle_id": v.id,
                                                "starts_at": at.isoformat(), "request": "Routine service", **kw})

    return make
