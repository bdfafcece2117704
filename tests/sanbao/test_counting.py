"""Repair-day counting, quality-problem grouping, the 三包 period and the dated rule sets."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from claimdesk.core import uow
from claimdesk.sanbao import ledger, services
from claimdesk.sanbao.models import SanbaoRuleSet
from claimdesk.sanbao.rules import rule_set_for
from tests.factories import StoreFactory, VehicleFactory

from .conftest import UTC, cst

SH = "Asia/Shanghai"


@pytest.mark.parametrize("start, end, days", [
    (cst(2026, 3, 2, 9, 0), cst(2026, 3, 2, 9, 30), 1),  # half an hour
    (cst(2026, 3, 2, 9, 0), cst(2026, 3, 2, 17, 0), 1),  # a part day
    (cst(2026, 3, 2, 16, 0), cst(2026, 3, 3, 10, 0), 1),  # over midnight, under 24 hours
    (cst(2026, 3, 2, 9, 0), cst(2026, 3, 3, 11, 0), 1),  # 26 hours, one midnight
    (cst(2026, 3, 2, 23, 0), cst(2026, 3, 4, 1, 0), 2),  # 26 hours spanning two midnights
    (cst(2026, 3, 2, 9, 0), cst(2026, 3, 10, 17, 0), 8),
])
def test_repair_days(start, end, days):
    assert ledger.repair_days(start, end, SH) == days


def test_repair_days_are_counted_in_the_store_time_zone():
    # 00:30 on 2 March to 23:00 on 3 March in Shanghai: one midnight there, two in UTC
    start, end = datetime(2026, 3, 1, 16, 30, tzinfo=UTC), datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    assert ledger.repair_days(start, end, SH) == 1
    assert ledger.repair_days(start, end, "UTC") == 2
    assert ledger.repair_days(None, end, SH) == 0


def test_a_history_across_many_work_orders(car, repair, advisor):
    a = repair(car, cst(2025, 5, 6, 9, 0), cst(2025, 5, 6, 15, 0), 12000)  # part day: 1
    b = repair(car, cst(2025, 7, 1, 22, 0), cst(2025, 7, 4, 10, 0), 18000, fault_code="p0741")  # 3 days
    c = repair(car, cst(2025, 8, 1, 9, 0), cst(2025, 8, 3, 8, 0), 19000, system="brakes", fault_code="C0035")
    m = repair(car, cst(2025, 9, 1, 9, 0), cst(2025, 9, 1, 11, 0), 21000, confirm=False)  # maintenance only
    led = ledger.build(car, cst(2025, 10, 1, 12, 0))
    assert [e.days for e in led.episodes] == [1, 3, 2, 1]  # 47 hours over two midnights: 2
    assert led.days_used == 1 + 3 + 2  # the maintenance visit does not count
    problems = led.problems
    assert len(problems) == 2
    assert [e.work_order.id for e in problems["transmission:P0741"]] == [a.id, b.id]  # the code's case
    assert [e.work_order.id for e in problems["brakes:C0035"]] == [c.id]
    assert m.id not in [e.work_order.id for e in led.counted]
    same = next(x for x in led.conditions if x.condition == "same_problem" and x.key == "transmission:P0741")
    assert (same.value, same.limit, same.level) == (2, 4, None)


def test_grouping_is_suggested_and_the_advisor_decides(car, repair, advisor):
    first = repair(car, cst(2025, 5, 6, 9, 0), cst(2025, 5, 7, 9, 0), system="engine", fault_code="P0300")
    # another code of the same system, the only engine problem so far: suggested as the same problem
    assert services.suggest_problem(car.id, "engine", "P0301") == "engine:P0300"
    second = repair(car, cst(2025, 6, 6, 9, 0), cst(2025, 6, 7, 9, 0), system="engine", fault_code="P0301")
    assert second.id != first.id
    led = ledger.build(car)
    assert len(led.problems["engine:P0300"]) == 2
    # the advisor says it is a problem of its own: a new group with its own key
    services.confirm_episode(advisor, second, {"quality": True, "system": "engine", "fault_code": "P0301",
                                               "problem_key": "engine:P0301"})
    uow.commit()
    led = ledger.build(car)
    assert set(led.problems) == {"engine:P0300", "engine:P0301"}
    # joining a group the vehicle does not have is refused
    from claimdesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        services.confirm_episode(advisor, second, {"quality": True, "system": "engine", "problem_key": "body:X"})
    assert "problem_key" in err.value.fields


def test_period_ends_by_time(car, repair):
    repair(car, cst(2026, 2, 20, 9, 0), cst(2026, 2, 25, 9, 0), 30000)  # inside: ends 2027-03-01
    late = repair(car, cst(2027, 3, 1, 9, 0), cst(2027, 3, 3, 9, 0), 40000)  # the day the period ended
    led = ledger.build(car, cst(2027, 3, 5, 12, 0))
    assert led.period_end == date(2027, 3, 1) and led.warranty_end == date(2028, 3, 1)
    assert led.ended_by == "time" and not led.active
    assert led.days_used == 5
    assert not next(e for e in led.episodes if e.work_order.id == late.id).in_period
    assert next(e for e in led.episodes if e.work_order.id == late.id).in_warranty
    assert ledger.build(car, cst(2027, 2, 28, 23, 0)).ended_by is None


def test_period_ends_by_mileage_first(car, repair):
    repair(car, cst(2025, 9, 1, 9, 0), cst(2025, 9, 3, 9, 0), 49000)
    over = repair(car, cst(2025, 12, 1, 9, 0), cst(2025, 12, 9, 9, 0), 50001)
    led = ledger.build(car, cst(2026, 1, 1, 12, 0))
    assert led.ended_by == "mileage" and led.km_left == 0
    assert led.days_used == 2
    assert not next(e for e in led.episodes if e.work_order.id == over.id).in_period


@pytest.mark.parametrize("bought, code, days, repeats", [
    (date(2021, 12, 31), "2013", 35, 5), (date(2022, 1, 1), "2022", 30, 4), (date(2013, 9, 30), None, None, None)])
def test_the_rule_set_in_force_on_the_purchase_date(store, bought, code, days, repeats):
    rs = rule_set_for(bought, store.id)
    if code is None:
        assert rs is None
        v = VehicleFactory(customer__store=store, purchase_date=bought)
        assert not ledger.build(v).covered
        return
    assert (rs.code, rs.max_repair_days, rs.max_same_problem) == (code, days, repeats)


def test_a_store_rule_set_overrides_the_group_one_for_that_store_only(store):
    group = rule_set_for(date(2024, 1, 1), store.id)
    own = SanbaoRuleSet(**{c.key: getattr(group, c.key) for c in SanbaoRuleSet.__table__.c
                           if c.key not in ("id", "created_at", "updated_at")})
    own.code, own.store_id, own.warn_repair_days = "2022-S", store.id, 15
    from claimdesk.extensions import db

    db.session.add(own)
    db.session.flush()
    assert rule_set_for(date(2024, 1, 1), store.id).warn_repair_days == 15
    assert rule_set_for(date(2024, 1, 1), StoreFactory().id).warn_repair_days == 20
    assert rule_set_for(date(2021, 1, 1), store.id).code == "2013"


def test_a_running_repair_counts_up_to_now(car, repair):
    repair(car, cst(2025, 5, 6, 9, 0), None)
    assert ledger.build(car, cst(2025, 5, 6, 20, 0)).days_used == 1
    assert ledger.build(car, cst(2025, 5, 9, 8, 0)).days_used == 3
    assert ledger.build(car, cst(2025, 5, 9, 8, 0)).episodes[0].running
    assert ledger.build(car, cst(2025, 5, 9, 8, 0)).episodes[0].start == cst(2025, 5, 6, 9, 0)
    assert timedelta(0) < ledger.DAY


def test_the_store_time_zone_decides_the_days(car, repair, store):
    from claimdesk.extensions import db

    start, end = datetime(2025, 5, 1, 16, 30, tzinfo=UTC), datetime(2025, 5, 3, 15, 0, tzinfo=UTC)
    repair(car, start, end)
    assert ledger.build(car).days_used == 1  # 00:30 on 2 May to 23:00 on 3 May in Shanghai
    store.timezone = "UTC"
    db.session.flush()
    assert ledger.build(car).days_used == 2  # the same repair crosses two midnights in UTC
