"""Each threshold fires exactly once per vehicle, before the limit is crossed, whoever runs the check
(the hourly sweep, twice; a work-order action)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from claimdesk.core import clock, uow
from claimdesk.extensions import db
from claimdesk.notifications.models import Notification
from claimdesk.sanbao import jobs, ledger, services
from claimdesk.sanbao.models import SanbaoAlert

from .conftest import cst


def _alerts(vehicle):
    return sorted((a.condition, a.key, a.level) for a in db.session.scalars(
        sa.select(SanbaoAlert).where(SanbaoAlert.vehicle_id == vehicle.id)))


def _notices(user):
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_repeat_repairs_warn_at_the_third_and_reach_the_limit_at_the_fourth(car, repair, manager, other_store):
    from tests.factories import UserFactory

    other_store_manager = UserFactory(role="manager", username="elsewhere", store=other_store)
    day = cst(2025, 4, 1, 9, 0)
    for n in range(2):
        repair(car, day + timedelta(days=30 * n), day + timedelta(days=30 * n, hours=5))
    assert [a for a in _alerts(car) if a[0] == "same_problem"] == []
    repair(car, day + timedelta(days=60), day + timedelta(days=60, hours=5))
    assert ("same_problem", "transmission:P0741", "warning") in _alerts(car)
    notes = _notices(manager)
    assert len(notes) == 1 and notes[0].kind == "sanbao.warning"
    assert notes[0].data["condition"] == "same_problem" and notes[0].data["value"] == 3
    assert [h["days"] for h in notes[0].data["history"]] == [1, 1, 1]  # the vehicle's history goes along
    assert services.evaluate(car) == []  # again: nothing new
    repair(car, day + timedelta(days=90), day + timedelta(days=90, hours=5))
    assert ("same_problem", "transmission:P0741", "reached") in _alerts(car)
    assert [n.kind for n in _notices(manager)] == ["sanbao.warning", "sanbao.reached"]
    repair(car, day + timedelta(days=120), day + timedelta(days=120, hours=5))
    assert [n.kind for n in _notices(manager)] == ["sanbao.warning", "sanbao.reached", "sanbao.exceeded"]
    assert _notices(other_store_manager) == []  # another store's manager hears nothing


def test_cumulative_days_warn_before_thirty_and_each_level_fires_once(car, repair, manager):
    repair(car, cst(2025, 4, 1, 9, 0), cst(2025, 4, 11, 9, 0), system="engine", fault_code="P0300")  # 10
    repair(car, cst(2025, 6, 1, 9, 0), cst(2025, 6, 10, 9, 0), system="brakes", fault_code="C1")  # 9
    assert [a for a in _alerts(car) if a[0] == "repair_days"] == []
    repair(car, cst(2025, 8, 1, 9, 0), cst(2025, 8, 2, 9, 0), system="body", fault_code="B1")  # 1 → 20
    assert [a for a in _alerts(car) if a[0] == "repair_days"] == [("repair_days", "", "warning")]
    repair(car, cst(2025, 9, 1, 9, 0), cst(2025, 9, 11, 9, 0), system="steering", fault_code="S1")  # 10 → 30
    assert [a[2] for a in _alerts(car) if a[0] == "repair_days"] == ["reached", "warning"]
    led = ledger.build(car)
    assert led.days_used == 30 and led.level == "reached"
    kinds = [n.data["condition"] + ":" + n.data["level"] for n in _notices(manager)]
    assert kinds.count("repair_days:warning") == 1 and kinds.count("repair_days:reached") == 1


def test_the_sweep_raises_the_substitute_duty_of_a_running_repair_once(car, repair, manager, advisor):
    wo = repair(car, cst(2025, 5, 6, 9, 0), None)
    uow.commit()
    clock.set_now(cst(2025, 5, 9, 10, 0))  # 3 days: nothing yet
    assert jobs.sweep() == 0
    clock.set_now(cst(2025, 5, 10, 10, 0))  # 4 days: warning
    assert jobs.sweep() == 1
    assert jobs.sweep() == 0  # the job twice: nothing new
    clock.set_now(cst(2025, 5, 11, 10, 0))  # 5 days: at the limit
    assert jobs.sweep() == 1
    clock.set_now(cst(2025, 5, 12, 10, 0))  # 6 days: over 5, the duty is due
    assert jobs.sweep() == 1
    assert jobs.sweep() == 0
    assert [a for a in _alerts(car) if a[0] == "substitute"] == [
        ("substitute", str(wo.id), "exceeded"), ("substitute", str(wo.id), "reached"),
        ("substitute", str(wo.id), "warning")]
    led = ledger.build(car)
    assert [c.work_order_id for c in led.substitute_due] == [wo.id]
    # the advisor of the work order hears of it too, once per level
    assert [n.kind for n in _notices(advisor)] == ["sanbao.warning", "sanbao.reached", "sanbao.exceeded"]
    assert all(n.case_type == "work_order" and n.case_id == wo.id for n in _notices(advisor))
    # finished: no longer swept
    wo.ready_at = wo.customer_notified_at = cst(2025, 5, 12, 12, 0)
    wo.state = "ready"
    uow.commit()
    assert services.vehicles_to_sweep() == []


def test_safety_fault_and_replacements_warn_after_the_first_and_reach_at_the_second(car, repair, manager):
    repair(car, cst(2025, 4, 1, 9, 0), cst(2025, 4, 1, 15, 0), system="brakes", fault_code="C0035",
           serious_safety=True, replacement="component", component="ABS pump")
    repair(car, cst(2025, 5, 1, 9, 0), cst(2025, 5, 1, 15, 0), system="engine", fault_code="P0016",
           replacement="assembly")
    got = _alerts(car)
    assert ("safety", "", "warning") in got and ("component", "brakes:abs pump", "warning") in got
    assert ("assembly", "engine", "warning") in got
    repair(car, cst(2025, 6, 1, 9, 0), cst(2025, 6, 1, 15, 0), system="brakes", fault_code="C0035",
           serious_safety=True, replacement="component", component="abs pump ")
    got = _alerts(car)
    assert ("safety", "", "reached") in got and ("component", "brakes:abs pump", "reached") in got
    # not a main component system of the rule set: a replacement of an electrical part is not tracked
    repair(car, cst(2025, 7, 1, 9, 0), cst(2025, 7, 1, 15, 0), system="electrical", fault_code="U0100",
           replacement="component", component="radio")
    assert not [a for a in _alerts(car) if a[1].startswith("electrical")]


def test_a_car_without_purchase_date_raises_nothing(store, repair, manager):
    from tests.factories import VehicleFactory

    v = VehicleFactory(customer__store=store, mileage_km=5000)
    for n in range(5):
        repair(v, cst(2025, 4, 1 + n, 9, 0), cst(2025, 4, 1 + n, 15, 0))
    assert _alerts(v) == [] and _notices(manager) == []


def test_a_lowered_threshold_reaches_a_car_with_no_repair_running(car, repair, manager):
    """No work-order action follows a rule-set edit: the edit queues the review of every car with a quality
    repair on record (after its commit), and the daily review fires what the new threshold reached, once."""
    from claimdesk import jobs as queue
    from claimdesk.sanbao.rules import rule_set_for

    day = cst(2025, 4, 1, 9, 0)
    for n in range(2):
        repair(car, day + timedelta(days=30 * n), day + timedelta(days=30 * n, hours=5))
    uow.commit()
    assert [a for a in _alerts(car) if a[0] == "same_problem"] == []
    rs = services.copy_for_store(manager, rule_set_for(car.purchase_date, car.store_id))
    uow.commit()
    queue.get_queue("default").empty()
    services.update_rule_set(manager, rs, {"warn_same_problem": 2})
    default = queue.get_queue("default")
    assert "sanbao-review" not in default.get_job_ids()  # after the commit only
    uow.commit()
    assert "sanbao-review" in default.get_job_ids()
    assert jobs.review() == 1
    assert ("same_problem", "transmission:P0741", "warning") in _alerts(car)
    assert jobs.review() == 0  # twice: nothing new
    assert [n.kind for n in _notices(manager)] == ["sanbao.warning"]
