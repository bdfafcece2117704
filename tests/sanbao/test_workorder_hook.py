"""Work-order actions propose the episode (warranty work = a quality repair; maintenance is not one),
a comeback proposes its parent's problem, and the vehicle's thresholds are checked at once."""
from __future__ import annotations


import sqlalchemy as sa

from claimdesk.core import clock, uow
from claimdesk.extensions import db
from claimdesk.sanbao import ledger
from claimdesk.sanbao.models import SanbaoAlert, SanbaoEpisode
from claimdesk.workorders.services import open_work_order
from tests.workorders.conftest import LABOUR, PART, Mover

from .conftest import cst

WARRANTY = [{**LABOUR, "pay_type": "warranty", "safety_related": True}, {**PART, "pay_type": "warranty"}]


def _open(advisor, car, km, parent_id=None):
    data = {"customer_id": car.customer_id, "vehicle_id": car.id, "mileage_km": km,
            "customer_description": "Brakes judder"}
    if parent_id:
        data["parent_id"] = parent_id
    wo = open_work_order(advisor, data)
    uow.commit()
    return wo


def _episode(wo):
    return db.session.scalar(sa.select(SanbaoEpisode).where(SanbaoEpisode.work_order_id == wo.id))


def test_warranty_work_is_proposed_maintenance_is_not(car, advisor, workshop):
    mover = Mover(advisor, workshop)
    clock.set_now(cst(2025, 6, 2, 9, 0))
    service = _open(advisor, car, 12000)
    mover.to(service, "ready")
    assert _episode(service) is None
    clock.set_now(cst(2025, 7, 2, 9, 0))
    wo = _open(advisor, car, 13000)
    mover.to(wo, "authorised", lines=WARRANTY)
    row = _episode(wo)
    assert row.quality and row.serious_safety and row.confirmed_at is None  # proposed, not confirmed
    clock.set_now(cst(2025, 7, 3, 15, 0))
    mover.to(wo, "ready")
    assert ledger.build(car, cst(2025, 7, 5, 9, 0)).episodes[1].running  # ready, but nobody called yet
    clock.set_now(cst(2025, 7, 4, 10, 0))
    mover.run(wo, "notify_customer", pickup_at=cst(2025, 7, 4, 17, 0).isoformat())
    led = ledger.build(car, cst(2025, 7, 10, 9, 0))
    ep = next(e for e in led.episodes if e.work_order.id == wo.id)
    # received 09:00 on 2 July, the customer called to collect it at 10:00 on 4 July: 49 hours, 2 days
    assert ep.start == cst(2025, 7, 2, 9, 0) and ep.end == cst(2025, 7, 4, 10, 0) and ep.days == 2
    assert [e.work_order.id for e in led.unconfirmed] == [wo.id]
    # a serious safety fault repaired once (proposed from the safety-related warranty line): warned
    assert db.session.scalar(sa.select(SanbaoAlert).where(SanbaoAlert.condition == "safety")).level == "warning"


def test_a_comeback_is_proposed_as_the_same_problem(car, advisor, workshop, api_as):
    mover = Mover(advisor, workshop)
    clock.set_now(cst(2025, 6, 2, 9, 0))
    first = _open(advisor, car, 12000)
    mover.to(first, "delivered", lines=WARRANTY)
    api = api_as(advisor)
    r = api.put(f"work-orders/{first.id}/sanbao", {"quality": True, "system": "brakes", "fault_code": "c0035"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["problem_key"] == "brakes:C0035" and r.get_json()["confirmed"]
    clock.set_now(cst(2025, 6, 20, 9, 0))
    again = _open(advisor, car, 12500, parent_id=first.id)
    mover.to(again, "authorised", lines=WARRANTY)
    assert _episode(again).problem_key == "brakes:C0035"
    led = ledger.build(car, cst(2025, 6, 21, 9, 0))
    assert len(led.problems["brakes:C0035"]) == 2
    clock.set_now(None)
