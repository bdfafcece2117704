"""Fixtures for work-order tests: a vehicle, an opened work order, and helpers to move it on."""
from __future__ import annotations

from datetime import timedelta

import pytest

from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.workorders.services import open_work_order
from claimdesk.workorders.workflow import WF
from tests.factories import VehicleFactory, check_signer

LABOUR = {"kind": "labour", "description": "Replace front brake pads", "quantity": "1.5", "unit_price": "200.00",
          "pay_type": "customer"}
PART = {"kind": "part", "description": "Front brake pads", "quantity": "1", "unit_price": "480.00",
        "pay_type": "customer"}


@pytest.fixture
def vehicle(store):
    return VehicleFactory(customer__store=store, mileage_km=20000)


@pytest.fixture
def wo(vehicle, advisor):
    w = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                  "mileage_km": 21000, "customer_description": "Squeak when braking"})
    uow.commit()
    return w


@pytest.fixture
def team_lead(make_user):
    return make_user("workshop", username="lead", full_name="Team Lead")


class Mover:
    """Moves a work order through the workflow with the services (not the HTTP layer)."""

    def __init__(self, advisor, workshop):
        self.advisor, self.workshop = advisor, workshop

    def run(self, wo, action, user=None, **data):
        if user is None and action in ("pass_check", "fail_check"):
            user = check_signer(wo.store, data["stage"], self.workshop)
        WF.perform(wo, action, data, user or (self.workshop if action in WORKSHOP_ACTIONS else self.advisor))
        uow.commit()
        return wo

    def to(self, wo, state, lines=None):
        order = ["estimated", "authorised", "in_repair", "quality_check", "ready", "delivered", "closed"]
        start = order.index(wo.state) + 1 if wo.state in order else 0
        for step in order[start:order.index(state) + 1]:
            if step == "estimated":
                self.run(wo, "estimate", lines=lines or [LABOUR, PART])
            elif step == "authorised":
                self.run(wo, "authorise", signed_by="Mr Wang", promised_at=(now() + timedelta(hours=6)).isoformat(),
                         payment_method="wechat_pay")
            elif step == "in_repair":
                self.run(wo, "dispatch", team="Team A")
            elif step == "quality_check":
                self.run(wo, "complete_repair")
            elif step == "ready":
                for stage in ("self", "team_lead", "final"):
                    self.run(wo, "pass_check", stage=stage)
            elif step == "delivered":
                self.run(wo, "deliver", signed_by="Mr Wang")
            elif step == "closed":
                self.run(wo, "follow_up", satisfaction=5, note="all good")
        return wo


WORKSHOP_ACTIONS = {"dispatch", "complete_repair", "pass_check", "fail_check", "wash"}


@pytest.fixture
def mover(advisor, workshop):
    return Mover(advisor, workshop)
