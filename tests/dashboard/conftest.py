"""Fixtures of the dashboard tests: a frozen 'now', the two stores' managers and a group manager."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from claimdesk.core import clock

SH = ZoneInfo("Asia/Shanghai")
#: Monday 16 March 2026, 10:00 in Guangzhou
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=SH)
#: the period the tests ask for: 1–15 March 2026 (Shanghai dates, end inclusive)
PERIOD = {"from": "2026-03-01", "to": "2026-03-15"}


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen_now():
    clock.set_now(NOW)
    yield NOW
    clock.set_now(None)


@pytest.fixture
def other_manager(make_user, other_store):
    return make_user("manager", username="manager2", store=other_store)


@pytest.fixture
def group_manager(make_user):
    return make_user("manager", username="groupmgr", is_group=True)


def user_filters(user, **args):
    from claimdesk.dashboard import services

    return services.filters_for(user, {**PERIOD, **args})
