"""The 三包 check runs after a work-order action only when the action changed a fact it reads
(`sanbao/changes.py`): a dispatch, a note or a customer-paid line rebuild no ledger and send no
statement to the 三包 tables; a warranty decision or the call to collect the car do, and each
threshold still fires exactly once."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimdesk.core import clock, uow
from claimdesk.extensions import db
from claimdesk.notifications.models import Notification
from claimdesk.sanbao import changes, jobs, ledger
from claimdesk.sanbao.models import SanbaoAlert, SanbaoEpisode
from claimdesk.workorders.services import open_work_order
from tests.workorders.conftest import LABOUR, PART, Mover

from .conftest import cst


@pytest.fixture
def builds(monkeypatch):
    """The vehicles whose ledger was built (a spy on `ledger.build`)."""
    seen = []
    real = ledger.build

    def spy(vehicle, at=None):
        seen.append(vehicle.id)
        return real(vehicle, at)

    monkeypatch.setattr(ledger, "build", spy)
    return seen


@pytest.fixture
def statements():
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def _open(advisor, car, km=12000):
    wo = open_work_order(advisor, {"customer_id": car.customer_id, "vehicle_id": car.id, "mileage_km": km,
                                   "customer_description": "Gearbox shudders"})
    uow.commit()
    return wo


def _sanbao(statements):
    return [s for s in statements if "sanbao_" in s]


def test_actions_that_change_no_fact_the_check_reads_skip_it(car, advisor, workshop, builds, statements):
    mover = Mover(advisor, workshop)
    clock.set_now(cst(2025, 7, 2, 9, 0))
    wo = _open(advisor, car)
    mover.run(wo, "estimate", lines=[{**LABOUR, "pay_type": "warranty"}, PART])  # a quality repair: checked
    assert builds == [car.id]
    assert db.session.scalar(sa.select(SanbaoEpisode.quality).where(SanbaoEpisode.work_order_id == wo.id))
    del builds[:], statements[:]
    mover.run(wo, "estimate", replace=False, lines=[{**LABOUR, "description": "Wipers"}])  # customer pays
    mover.to(wo, "in_repair")  # authorise, dispatch
    mover.run(wo, "note", text="waiting for the maker's technical support")
    mover.to(wo, "ready")  # complete, three checks
    assert builds == [] and _sanbao(statements) == []
    clock.set_now(cst(2025, 7, 4, 10, 0))
    mover.run(wo, "notify_customer", pickup_at=cst(2025, 7, 4, 17, 0).isoformat())  # the repair ends
    assert builds == [car.id]
    ep = next(e for e in ledger.build(car, cst(2025, 7, 10)).episodes if e.work_order.id == wo.id)
    assert ep.end == cst(2025, 7, 4, 10, 0) and ep.days == 2
    clock.set_now(None)


def test_a_warranty_decision_raises_the_alert_once_and_later_actions_do_not_again(car, repair, advisor,
                                                                                 workshop, manager, builds):
    # 19 repair days already: the next quality repair's first day reaches the warning (20)
    repair(car, cst(2025, 4, 1, 9, 0), cst(2025, 4, 11, 9, 0), system="engine", fault_code="P0300")
    repair(car, cst(2025, 5, 1, 9, 0), cst(2025, 5, 10, 9, 0), system="brakes", fault_code="C1")
    mover = Mover(advisor, workshop)
    clock.set_now(cst(2025, 7, 2, 9, 0))
    wo = _open(advisor, car)
    mover.run(wo, "estimate", lines=[LABOUR, PART])  # customer work: nothing counted yet
    assert db.session.scalar(sa.select(SanbaoAlert.id).where(SanbaoAlert.condition == "repair_days")) is None
    del builds[:]
    line = wo.lines[0]
    mover.run(wo, "decide_warranty", lines=[{"line_id": line.id, "warranty_status": "covered"}])
    assert builds == [car.id]
    alerts = list(db.session.scalars(sa.select(SanbaoAlert).where(SanbaoAlert.vehicle_id == car.id,
                                                                  SanbaoAlert.condition == "repair_days")))
    assert [(a.level, a.value) for a in alerts] == [("warning", 20)]
    del builds[:]
    mover.to(wo, "in_repair")
    assert builds == []
    assert jobs.sweep() == 0  # the safety net finds nothing new either
    notices = [n for n in db.session.scalars(sa.select(Notification)
                                             .where(Notification.user_id == manager.id))
               if n.data.get("condition") == "repair_days"]
    assert [n.data["level"] for n in notices] == ["warning"]
    clock.set_now(None)


def test_the_marks_last_one_transaction(car, advisor):
    wo = _open(advisor, car)
    session = db.session()
    wo.customer_notified_at = clock.now() + timedelta(hours=2)
    db.session.flush()
    assert wo.id in changes.pending(session)["orders"]
    uow.rollback()
    assert changes.pending(session)["orders"] == set()
    wo = db.session.get(type(wo), wo.id)
    wo.mileage_km += 10
    db.session.flush()
    assert wo.id in changes.pending(session)["orders"]
    uow.commit()
    assert changes.pending(session)["orders"] == set()
    wo.diagnosis = "Worn synchro ring"  # not a fact the check reads
    wo.lines  # noqa: B018  (loaded, unchanged)
    db.session.flush()
    assert changes.pending(session)["orders"] == set()


def test_confirming_a_job_gives_its_open_comeback_the_same_problem(car, advisor, workshop, api_as):
    mover = Mover(advisor, workshop)
    clock.set_now(cst(2025, 6, 2, 9, 0))
    first = _open(advisor, car)
    mover.to(first, "delivered")  # paid by the customer: not proposed as a quality repair
    clock.set_now(cst(2025, 6, 20, 9, 0))
    again = open_work_order(advisor, {"customer_id": car.customer_id, "vehicle_id": car.id,
                                      "mileage_km": 12500, "customer_description": "Again",
                                      "parent_id": first.id})
    uow.commit()
    mover.run(again, "estimate", lines=[{**LABOUR, "pay_type": "warranty"}])
    mover.to(again, "in_repair")
    assert db.session.scalar(sa.select(SanbaoEpisode.problem_key).where(
        SanbaoEpisode.work_order_id == again.id)) is None
    # the advisor files the first job's problem only now; the comeback follows without another action
    r = api_as(advisor).put(f"work-orders/{first.id}/sanbao", {"quality": True, "system": "brakes",
                                                               "fault_code": "C0035"})
    assert r.status_code == 200, r.get_json()
    assert db.session.scalar(sa.select(SanbaoEpisode.problem_key).where(
        SanbaoEpisode.work_order_id == again.id)) == "brakes:C0035"
    clock.set_now(None)
