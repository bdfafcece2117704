"""Factories and helpers for work-order tests."""
from __future__ import annotations

from datetime import timedelta

import factory

from claimdesk.core.clock import now
from claimdesk.workorders.models import Part
from tests.factories import Base


class PartFactory(Base):
    class Meta:
        model = Part

    store_id = factory.LazyAttribute(lambda o: o.store.id)
    part_number = factory.Sequence(lambda n: f"PN-{n:05d}")
    name = factory.Sequence(lambda n: f"Part {n}")
    unit_price = "120.00"
    stock_qty = 10
    lead_time_days = 3
    safety_related = False

    class Params:
        store = None


def later(hours=8):
    return (now() + timedelta(hours=hours)).isoformat()
