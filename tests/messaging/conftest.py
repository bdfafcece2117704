"""Fixtures for customer messaging: cases that trigger messages, and the fake provider server."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from claimdesk.core import clock, uow
from claimdesk.extensions import db
from claimdesk.messaging.models import Message
from tests.messaging.fake_providers import SECRET, WECHAT_SECRET, FakeProviders
from tests.workorders.conftest import LABOUR, PART, Mover  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXTRA_A = {"kind": "labour", "description": "Replace rear wiper blades", "quantity": "0.5", "unit_price": "120.00",
           "pay_type": "customer"}
EXTRA_B = {"kind": "part", "description": "Cabin air filter", "quantity": "1", "unit_price": "260.00",
           "pay_type": "customer"}


def at_local(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def daytime():
    clock.set_now(at_local(10))
    yield
    clock.set_now(None)


@pytest.fixture
def mover(advisor, workshop):
    return Mover(advisor, workshop)


@pytest.fixture
def wo_in_repair(daytime, store, advisor, mover):
    from claimdesk.workorders.services import open_work_order
    from tests.factories import VehicleFactory

    vehicle = VehicleFactory(customer__store=store)
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 21000, "customer_description": "Squeak when braking"})
    uow.commit()
    return mover.to(wo, "in_repair")


def request_extra(mover, wo, lines=(EXTRA_A, EXTRA_B)):
    mover.run(wo, "request_extra_work", lines=list(lines))
    return wo


def messages(**filters) -> list[Message]:
    stmt = sa.select(Message).order_by(Message.id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(Message, key) == value)
    return list(db.session.scalars(stmt))


@pytest.fixture
def fake():
    server = FakeProviders().start()
    yield server
    server.stop()


@pytest.fixture
def aliyun(app, fake, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "aliyun")
    monkeypatch.setitem(app.config, "ALIYUN_SMS_ENDPOINT", fake.url + "/")
    monkeypatch.setitem(app.config, "ALIYUN_SMS_ACCESS_KEY_ID", "fake-key-id")
    monkeypatch.setitem(app.config, "ALIYUN_SMS_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setitem(app.config, "ALIYUN_SMS_SIGN_NAME", "测试4S店")
    monkeypatch.setitem(app.config, "MESSAGING_TIMEOUT_SECONDS", 0.5)
    return fake


@pytest.fixture
def wechat(app, fake, monkeypatch):
    from claimdesk.messaging import providers

    providers._wechat_tokens.clear()
    monkeypatch.setitem(app.config, "WECHAT_PROVIDER", "wechat")
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", fake.url)
    monkeypatch.setitem(app.config, "WECHAT_APP_ID", "wx-fake")
    monkeypatch.setitem(app.config, "WECHAT_APP_SECRET", WECHAT_SECRET)
    monkeypatch.setitem(app.config, "MESSAGING_TIMEOUT_SECONDS", 0.5)
    return fake
