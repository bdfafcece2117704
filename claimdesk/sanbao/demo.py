"""Demo: one car near a 三包 limit in the first store — bought 14 months ago, its transmission
repaired three times for the same fault (25 repair days) and in the workshop a fourth time."""
from __future__ import annotations

from datetime import timedelta

from ..core import clock
from ..customers.models import Customer, Vehicle
from ..extensions import db
from ..workorders.services import open_work_order
from ..workorders.workflow import WF
from .rules import seed_rule_sets
from .services import confirm_episode, evaluate

DEMO_VIN = "LSVDEMO3B0SANBAO1"
#: (days before now the repair was agreed, repair days, mileage)
VISITS = ((300, 8, 9800), (190, 9, 16500), (75, 8, 24300))
LINES = [{"kind": "labour", "description": "Transmission valve body repair 变速箱阀体维修", "quantity": "4.0",
          "unit_price": "260.00", "pay_type": "warranty"},
         {"kind": "part", "description": "Valve body 阀体总成", "quantity": "1", "unit_price": "5200.00",
          "pay_type": "warranty"}]


def seed(*, store, users, echo, **_kw):
    advisor, workshop = users.get("advisor"), users.get("workshop")
    if store.code != "S01" or not (advisor and workshop):
        return
    seed_rule_sets()
    signers = {"self": workshop, "team_lead": users.get("teamlead") or users.get("manager") or workshop,
               "final": users.get("qc") or users.get("manager") or workshop}
    real_now = clock.now()
    customer = Customer(store_id=store.id, name="赵建国", phone="13800138431")
    db.session.add(customer)
    db.session.flush()
    vehicle = Vehicle(store_id=store.id, customer_id=customer.id, vin=DEMO_VIN, plate="粤B3B431", make="Volkswagen",
                      model="Tiguan L", year=real_now.year - 1, mileage_km=3000,
                      purchase_date=(real_now - timedelta(days=420)).date())
    db.session.add(vehicle)
    db.session.flush()
    try:
        for ago, days, km in VISITS:
            _visit(real_now - timedelta(days=ago), days, km, store, customer, vehicle, advisor, workshop, signers)
        _visit(real_now - timedelta(days=2, hours=3), None, 31000, store, customer, vehicle, advisor, workshop,
               signers)
    finally:
        clock.set_now(None)
    evaluate(vehicle)
    echo(f"{store.code}: 三包 demo car {vehicle.plate} (transmission repaired 4 times)")


def _visit(t, days, km, store, customer, vehicle, advisor, workshop, signers):
    t = t.replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 in China: whole repair days below
    clock.set_now(t)
    wo = open_work_order(advisor, {"customer_id": customer.id, "vehicle_id": vehicle.id, "mileage_km": km,
                                   "customer_description": "Gearbox shudders when pulling away 起步变速箱抖动"})
    WF.perform(wo, "estimate", {"lines": LINES}, advisor)
    clock.set_now(t + timedelta(minutes=20))
    WF.perform(wo, "authorise", {"signed_by": customer.name, "promised_at": t + timedelta(days=3),
                                 "payment_method": "wechat_pay"}, advisor)
    clock.set_now(t + timedelta(minutes=50))
    WF.perform(wo, "dispatch", {"team": "Team A"}, workshop)
    confirm_episode(advisor, wo, {"quality": True, "system": "transmission", "fault_code": "P0741",
                                  "replacement": "none", "note": "Torque converter clutch 液力变矩器锁止"})
    if days is None:
        return
    done = t + timedelta(days=days, hours=-2)  # finished at 07:00 local, the customer called at 09:00
    clock.set_now(done)
    WF.perform(wo, "complete_repair", {}, workshop)
    for stage in ("self", "team_lead", "final"):
        clock.set_now(clock.now() + timedelta(minutes=10))
        WF.perform(wo, "pass_check", {"stage": stage}, signers[stage])
    clock.set_now(done + timedelta(hours=2))
    WF.perform(wo, "notify_customer", {"pickup_at": done + timedelta(hours=5)}, advisor)
    clock.set_now(done + timedelta(hours=5))
    WF.perform(wo, "deliver", {"signed_by": customer.name}, advisor)
