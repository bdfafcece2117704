"""Demo work orders: a parts stock per store and work orders across every state over the requested
months, backdated with core.clock.set_now so timelines and SLA clocks look like real history."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ..core import clock
from ..customers.models import Vehicle
from ..demo import demo_vin
from ..extensions import db
from .models import Part
from .services import open_work_order
from .workflow import WF

PARTS = [("06L115562", "Oil filter 机油滤清器", "68.00", False), ("G052195M4", "Engine oil 5W-30 (1 L) 机油", "98.00", False),
         ("1K0698151", "Front brake pads 前刹车片", "480.00", True), ("5Q0615301", "Front brake disc 前刹车盘", "350.00", True),
         ("1K0819653", "Cabin air filter 空调滤芯", "120.00", False), ("04E129620", "Air filter 空气滤清器", "95.00", False),
         ("B000750M3", "Brake fluid DOT4 (1 L) 刹车油", "90.00", True), ("101905601", "Spark plug 火花塞", "75.00", False),
         ("5G0955425", "Wiper blade set 雨刮片", "160.00", False), ("3Q0407151", "Control arm 下摆臂", "820.00", True),
         ("1K0411315", "Stabiliser link 平衡杆连杆", "210.00", True), ("000915105", "Battery 12V 70Ah 蓄电池", "980.00", False)]
JOBS = [
    ("Routine service: noise-free, due at interval", [("labour", "Routine service 常规保养", "1.0", "180.00", None),
                                                     ("part", "Oil filter", "1", None, "06L115562"),
                                                     ("part", "Engine oil", "4.5", None, "G052195M4")]),
    ("Squeak when braking 刹车异响", [("labour", "Replace front brake pads 更换前刹车片", "1.5", "200.00", None),
                                   ("part", "Front brake pads", "1", None, "1K0698151")]),
    ("Air conditioning smells 空调有异味", [("labour", "Clean AC evaporator 空调清洗", "1.0", "200.00", None),
                                          ("part", "Cabin air filter", "1", None, "1K0819653")]),
    ("Clunk over bumps 过减速带异响", [("labour", "Replace stabiliser links 更换平衡杆连杆", "2.0", "200.00", None),
                                      ("part", "Stabiliser link", "2", None, "1K0411315")]),
    ("Hard to start in the morning 早上启动困难", [("labour", "Battery test and replace 电瓶检测更换", "0.5", "200.00", None),
                                              ("part", "Battery", "1", None, "000915105")]),
]
EXTRAS = [("part", "Brake fluid", "1", None, "B000750M3", True), ("part", "Wiper blade set", "1", None, "5G0955425", False),
          ("part", "Front brake disc", "2", None, "5Q0615301", True)]


def _parts(store) -> dict[str, Part]:
    out = {}
    for number, name, price, safety in PARTS:
        part = Part(store_id=store.id, part_number=number, name=name, unit_price=Decimal(price), stock_qty=20,
                    lead_time_days=3, safety_related=safety)
        db.session.add(part)
        out[number] = part
    db.session.flush()
    return out


def _line(kind, desc, qty, price, number, parts, pay_type, safety=False):
    line = {"kind": kind, "description": desc, "quantity": qty, "pay_type": pay_type, "safety_related": safety}
    if number:
        line["part_number"] = number
        line["unit_price"] = str(parts[number].unit_price)
    else:
        line["unit_price"] = price
    return line


def seed_work_orders(*, store, users, customers, rng, months, cases, echo, **_kw):
    advisor = users.get("advisor")
    second = users.get("advisorb", advisor)
    workshop = users.get("workshop")
    clerk = users.get("customer_relations") or advisor
    # one person signs one check: the technician, the team leader, the QC inspector (workorders/checks.py)
    signers = {"self": workshop, "team_lead": users.get("teamlead") or users.get("manager") or workshop,
               "final": users.get("qc") or users.get("manager") or workshop}
    if not (advisor and workshop and customers):
        return
    parts = _parts(store)
    real_now = clock.now()
    start = real_now - timedelta(days=30 * max(1, months))
    span = (real_now - start).total_seconds()
    # Most of the history is spread over the months; about a third is on the floor now (the last days).
    recent = max(1, cases // 3)
    times = sorted([start + timedelta(seconds=rng.random() * span) for _ in range(cases - recent)]
                   + [real_now - timedelta(days=rng.random() * 4) for _ in range(recent)])
    made = 0
    try:
        for created in times:
            # business hours in China (UTC+8): 08:30–17:00 local is 00:30–09:00 UTC
            created = created.replace(hour=rng.randint(0, 8), minute=rng.choice((0, 10, 20, 30, 40, 50)))
            if created > real_now:
                created = real_now - timedelta(hours=1)
            customer = rng.choice(customers)
            if not customer.vehicles:
                continue
            vehicle = rng.choice(customer.vehicles)
            age_days = (real_now - created).days
            _one(created, real_now, age_days, store, customer, vehicle, rng, parts, rng.choice((advisor, second)),
                 workshop, clerk, signers)
            made += 1
        _first_service(store, customers[0], rng, parts, advisor, workshop, signers, real_now)
    finally:
        clock.set_now(None)
    echo(f"{store.code}: {made} work orders (and a first free service)")


#: the store's first free service (首保) rule for one brand (edited on the store settings page)
FIRST_SERVICE_RULE = {"brand": "Volkswagen", "months": 6, "km": 7500, "payer": "manufacturer",
                      "labour_operations": ["BY01"], "parts": ["06L115562", "G052195M4", "机油"]}


def _first_service(store, customer, rng, parts, advisor, workshop, signers, real_now):
    """A new car of the customer back for its first service, which the manufacturer pays: ready for delivery."""
    store.settings = {**(store.settings or {}), "first_service_rules": [FIRST_SERVICE_RULE]}
    t = real_now - timedelta(hours=5)
    clock.set_now(t)
    vehicle = Vehicle(store_id=store.id, customer_id=customer.id, vin=demo_vin(rng),
                      plate=f"粤A{rng.randint(10000, 99999)}", make="Volkswagen", model="Lavida", mileage_km=4800,
                      purchase_date=(real_now - timedelta(days=120)).date())
    db.session.add(vehicle)
    db.session.flush()
    wo = open_work_order(advisor, {"customer_id": customer.id, "vehicle_id": vehicle.id, "mileage_km": 5000,
                                   "customer_description": "首保 First free service", "fuel_level": 75,
                                   "covers_fitted": True, "licence_checked": True, "booklet_checked": True})
    labour = {"kind": "labour", "description": "First service 首次保养", "operation_code": "BY01",
              "quantity": "1.0", "unit_price": "180.00"}
    lines = [labour, _line("part", "Oil filter", "1", None, "06L115562", parts, "customer"),
             _line("part", "Engine oil", "4.5", None, "G052195M4", parts, "customer"),
             _line("part", "Wiper blade set (recommended)", "1", None, "5G0955425", parts, "customer")]
    for minutes, action, user, data in (
            (10, "estimate", advisor, {"lines": lines}),
            (5, "apply_first_service", advisor, {}),
            (10, "authorise", advisor, {"signed_by": customer.name, "promised_at": t + timedelta(hours=4),
                                        "payment_method": "wechat_pay"}),
            (20, "dispatch", workshop, {"team": "Team A", "technician_id": workshop.id}),
            (60, "complete_repair", workshop, {}),
            (10, "pass_check", signers["self"], {"stage": "self"}),
            (10, "pass_check", signers["team_lead"], {"stage": "team_lead"}),
            (10, "pass_check", signers["final"], {"stage": "final"})):
        t += timedelta(minutes=minutes)
        clock.set_now(t)
        WF.perform(wo, action, data, user)


def _one(t, real_now, age_days, store, customer, vehicle, rng, parts, advisor, workshop, clerk, signers):
    def at(minutes):
        nonlocal t
        t = min(t + timedelta(minutes=minutes), real_now - timedelta(minutes=1))
        clock.set_now(t)

    def act(action, user, **data):
        WF.perform(wo, action, data, user)

    clock.set_now(t)
    pay_type = "warranty" if rng.random() < 0.1 else "customer"
    description, job = rng.choice(JOBS)
    wo = open_work_order(advisor, {
        "customer_id": customer.id, "vehicle_id": vehicle.id,
        "mileage_km": vehicle.mileage_km + rng.randint(300, 6000), "customer_description": description,
        "fuel_level": rng.choice((25, 50, 75, 100)), "covers_fitted": True, "licence_checked": True,
        "booklet_checked": rng.random() < 0.8,
        "damage": [{"panel": "rear_bumper", "kind": "scratch"}] if rng.random() < 0.3 else []})
    # How far this one got: old work orders are finished, recent ones are spread over the floor.
    if age_days > 10:
        target = "cancelled" if rng.random() < 0.05 else "closed"
    elif age_days > 4:
        target = rng.choice(["delivered", "closed", "closed"])
    else:
        target = rng.choice(["reception", "estimated", "authorised", "in_repair", "quality_check", "ready",
                             "delivered"])
    if target == "reception":
        return
    at(rng.randint(10, 40))
    lines = [_line(k, d, q, p, n, parts, pay_type) for k, d, q, p, n in job]
    if rng.random() < 0.3:
        k, d, q, p, n, safety = rng.choice(EXTRAS)
        lines.append(_line(k, d + " (recommended)", q, p, n, parts, "customer", safety))
    act("estimate", advisor, lines=lines)
    if target == "estimated":
        return
    if target == "cancelled":
        at(30)
        act("cancel", advisor, reason="Customer decided to repair elsewhere")
        return
    at(rng.randint(10, 30))
    decisions = [{"line_id": ln.id, "approved": rng.random() < 0.5} for ln in wo.lines
                 if "(recommended)" in ln.description]
    act("authorise", advisor, signed_by=customer.name, promised_at=t + timedelta(hours=rng.randint(3, 30)),
        payment_method=rng.choice(("wechat_pay", "alipay", "bank_card", "cash")), decisions=decisions,
        free_wash=rng.random() < 0.6, old_parts=rng.choice(("customer_takes", "dealer_disposes")))
    if target == "authorised":
        return
    at(rng.randint(15, 120))
    act("dispatch", workshop, team=rng.choice(("Team A", "Team B")), technician_id=workshop.id,
        priority=rng.choice(("normal", "normal", "high", "urgent", "low")))
    if rng.random() < 0.25:
        at(rng.randint(30, 120))
        k, d, q, p, n, safety = rng.choice(EXTRAS)
        act("request_extra_work", workshop, lines=[_line(k, d, q, p, n, parts, "customer", safety)],
            reason="Found during repair")
        if target == "in_repair" and rng.random() < 0.5:
            return
        at(rng.randint(20, 180))
        act("decide_extra_work", advisor, decided_by=customer.name, channel="phone",
            decisions=[{"line_id": wo.pending_extra_lines[0].id, "approved": rng.random() < 0.7}])
    if target == "in_repair":  # still in the workshop: a delay agreed with the customer (no random draw)
        at(30)
        act("revise_promise", advisor, promised_at=max(wo.promised_at, t) + timedelta(hours=24),
            reason="等待配件到货 Waiting for parts", agreed_by=customer.name, channel="phone")
    if target == "in_repair":
        return
    at(rng.randint(60, 600))
    act("complete_repair", workshop)
    if target == "quality_check":
        return
    for stage in ("self", "team_lead", "final"):
        at(rng.randint(5, 40))
        if stage == "final" and rng.random() < 0.12:
            act("fail_check", signers["final"], stage="final", reason="Noise still present on road test")
            at(rng.randint(30, 120))
            act("complete_repair", workshop)
            for again in ("self", "team_lead", "final"):
                at(rng.randint(5, 30))
                act("pass_check", signers[again], stage=again)
            break
        act("pass_check", signers[stage], stage=stage)
    if wo.free_wash:
        at(20)
        act("wash", workshop)
    at(rng.randint(5, 60))
    act("notify_customer", advisor, pickup_at=t + timedelta(hours=2))
    if target == "ready":
        return
    at(rng.randint(60, 600))
    unsigned = [ln.id for ln in wo.lines if ln.decision in ("declined", "deferred")]
    act("deliver", advisor, signed_by=customer.name, declined_signoff=unsigned,
        next_service_km=wo.mileage_km + 10000, next_service_date=(t + timedelta(days=180)).date())
    if target == "delivered":
        return
    at(rng.randint(24 * 60, 3 * 24 * 60 + 600))
    satisfaction = rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 6, 4))[0]
    act("follow_up", clerk, satisfaction=satisfaction,
        note="Satisfied with the repair" if satisfaction >= 4 else "Not fully satisfied: noise came back")
