"""Fixtures of the SLA tests: the test case type's table, its policies, people on the ladder, a clock."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from claimdesk.core import clock, uow
from claimdesk.extensions import db

SH = ZoneInfo("Asia/Shanghai")
#: Monday 2 March 2026, 09:00 in Guangzhou
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)


@pytest.fixture
def t0():
    clock.set_now(T0)
    return T0


def move(delta: timedelta | float) -> datetime:
    if not isinstance(delta, timedelta):
        delta = timedelta(seconds=delta)
    clock.set_now(clock.now() + delta)
    return clock.now()


@pytest.fixture
def gadgets(t0):
    from tests.sla.casetype import create_table

    create_table(db.session.connection())


@pytest.fixture
def ladder_people(store, make_user):
    return {
        "assignee": make_user("advisor", username="assignee", email="assignee@example.com"),
        "manager": make_user("manager", username="asm"),
        "store_manager": make_user("manager", username="storemgr", is_store_manager=True),
    }


@pytest.fixture
def policies(gadgets):
    from tests.sla.factories import gadget_policies

    return gadget_policies()


@pytest.fixture
def customer(store):
    from tests.factories import CustomerFactory

    return CustomerFactory(store=store)


@pytest.fixture
def gadget(policies, store, customer, ladder_people):
    from tests.sla.casetype import open_gadget

    g = open_gadget(store, customer, ladder_people["assignee"], assignee=ladder_people["assignee"])
    uow.commit()
    return g
