"""The demo has a car near a 三包 limit: the same transmission fault repaired three times (25 days)
and in the workshop a fourth time; its alerts have fired."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk import demo
from claimdesk.core import clock
from claimdesk.customers.models import Vehicle
from claimdesk.extensions import db
from claimdesk.sanbao import ledger
from claimdesk.sanbao.demo import DEMO_VIN, seed


def test_demo_car_near_the_limit(app):
    assert seed in demo.SEEDERS
    demo.seed(stores=1, customers=4, months=1, cases=4, seed_value=5, echo=lambda *_a: None)
    assert clock._frozen is None
    car = db.session.scalar(sa.select(Vehicle).where(Vehicle.vin == DEMO_VIN))
    led = ledger.build(car)
    assert led.active and led.rules.code == "2022"
    closed = [e for e in led.counted if not e.running]
    assert sum(e.days for e in closed) == 25 and len(closed) == 3
    assert 25 < led.days_used < 30
    (problem,) = led.problems.values()
    assert len(problem) == 4
    levels = {(c.condition, c.level) for c in led.conditions}
    assert ("same_problem", "reached") in levels and ("repair_days", "warning") in levels
    from claimdesk.sanbao.models import SanbaoAlert

    fired = {(a.condition, a.level) for a in db.session.scalars(sa.select(SanbaoAlert).where(
        SanbaoAlert.vehicle_id == car.id))}
    assert {("same_problem", "warning"), ("same_problem", "reached"), ("repair_days", "warning")} <= fired
