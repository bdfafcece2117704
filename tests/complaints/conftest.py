"""Fixtures of the complaint tests: the escalation ladder's managers and an SLA signal recorder."""
from __future__ import annotations

import pytest

from claimdesk.core.workflow import action_performed
from tests.factories import CustomerFactory, VehicleFactory


@pytest.fixture
def store_manager(make_user):
    return make_user("manager", username="storemgr", is_store_manager=True)


@pytest.fixture
def customer(store):
    return CustomerFactory(store=store, name="王芳", phone="13912345678")


@pytest.fixture
def vehicle(customer):
    return VehicleFactory(customer=customer, plate="粤B12345")


@pytest.fixture
def sla_calls():
    """What the SLA engine would be told: (action, starts, stops, cancels, targets, deadlines) per action."""
    seen = []

    def listener(sender, case=None, action=None, event=None, context=None, **kw):
        if sender.case_type != "complaint":
            return
        seen.append({"action": action.name, "starts": tuple(action.starts) + tuple(context.starts),
                     "stops": tuple(action.stops) + tuple(context.stops), "cancels": tuple(action.cancels),
                     "targets": dict(context.targets), "deadlines": dict(context.deadlines)})

    action_performed.connect(listener)
    yield seen
    action_performed.disconnect(listener)
