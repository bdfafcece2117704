"""Demo warranty claims: the brands' rules once, then for each store a few Volkswagen warranty repairs driven
through the work order's real flow and claimed from the manufacturer — one reimbursed and closed, one partly
rejected and resubmitted, one waiting for the manufacturer's decision, one close to its submission deadline
(time is moved with core.clock.set_now so timelines, clocks and ageing look real)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from ..core.clock import now, set_now
from ..customers.models import Vehicle
from ..demo import demo_plate, demo_vin
from ..extensions import db
from ..workorders.services import open_work_order
from ..workorders.workflow import WF as WO
from . import services
from .models import WarrantyBrandRule
from .workflow import WF

#: make, submission days, return days, pre-authorisation threshold, required evidence
RULES = [
    ("Volkswagen", 30, 15, Decimal("3000.00"), ["photos", "fault_code", "vin", "mileage", "labour_codes",
                                                 "old_part_tag"]),
    ("Toyota", 21, 30, Decimal("5000.00"), ["photos", "fault_code", "vin", "mileage", "old_part_tag"]),
    ("BYD", 15, 20, None, ["photos", "fault_code", "vin", "mileage", "diagnosis_report"]),
]
#: (description, labour lines, part lines) of a warranty repair
REPAIRS = [
    ("Coolant loss, water pump leaking 水泵漏水",
     [("Replace water pump 更换水泵", "1.5", "213.33", "19-101"), ("Coolant bleed 冷却液排气", "0.5", "120.01", "19-300")],
     [("Water pump 水泵", "1", "1280.00")]),
    ("Gearbox judder when pulling away 起步变速箱抖动",
     [("Replace mechatronic unit 更换机电单元", "3", "213.33", "34-230"), ("Basic settings 基本设定", "1", "213.33", "34-900")],
     [("Mechatronic unit 机电单元", "1", "6850.00"), ("DSG oil 变速箱油", "5.5", "98.00")]),
    ("Window does not close 车窗无法关闭",
     [("Replace window regulator 更换玻璃升降器", "1", "213.33", "64-410")],
     [("Window regulator 玻璃升降器", "1", "468.50")]),
    ("Engine warning light, misfire 发动机故障灯亮，缺缸",
     [("Replace ignition coil 更换点火线圈", "0.5", "213.33", "28-110")],
     [("Ignition coil 点火线圈", "1", "356.00")]),
]


def brand_rules() -> list[WarrantyBrandRule]:
    """The group's brand rules (shared by every store); created once."""
    out = []
    for make, days, ret, threshold, evidence in RULES:
        row = db.session.scalar(sa.select(WarrantyBrandRule).where(WarrantyBrandRule.make == make))
        if row is None:
            row = WarrantyBrandRule(make=make, submission_days=days, return_days=ret, preauth_threshold=threshold,
                                    required_evidence=evidence, active=True)
            db.session.add(row)
        out.append(row)
    db.session.flush()
    return out


def _repaired_work_order(store, customer, advisor, workshop, signers, repair, rng):
    """A Volkswagen warranty repair driven through the work order's flow up to delivery (at `now()`)."""
    description, labour, parts = repair
    vehicle = Vehicle(store_id=store.id, customer_id=customer.id, vin=demo_vin(rng), plate=demo_plate(rng, "粤"),
                      make="Volkswagen", model=rng.choice(["Lavida", "Tiguan L", "Magotan"]),
                      year=rng.randint(2022, 2025), mileage_km=rng.randint(8000, 60000))
    db.session.add(vehicle)
    db.session.flush()
    lines = [{"kind": "labour", "description": d, "quantity": q, "unit_price": p, "operation_code": op,
              "pay_type": "warranty"} for d, q, p, op in labour]
    lines += [{"kind": "part", "description": d, "quantity": q, "unit_price": p, "pay_type": "warranty"}
              for d, q, p in parts]
    wo = open_work_order(advisor, {"customer_id": customer.id, "vehicle_id": vehicle.id,
                                   "mileage_km": vehicle.mileage_km + rng.randint(100, 900),
                                   "customer_description": description, "covers_fitted": True,
                                   "licence_checked": True, "booklet_checked": True})
    step = _stepper()
    WO.perform(wo, "estimate", {"lines": lines}, advisor)
    step(20)
    WO.perform(wo, "authorise", {"signed_by": customer.name, "promised_at": (now() + timedelta(hours=8)).isoformat(),
                                 "payment_method": "wechat_pay"}, advisor)
    step(30)
    WO.perform(wo, "dispatch", {"team": "Team A", "technician_id": workshop.id}, workshop)
    step(180)
    WO.perform(wo, "complete_repair", {}, workshop)
    for stage in ("self", "team_lead", "final"):
        step(15)
        WO.perform(wo, "pass_check", {"stage": stage}, signers[stage])
    step(20)
    WO.perform(wo, "notify_customer", {"pickup_at": (now() + timedelta(hours=2)).isoformat()}, advisor)
    step(120)
    WO.perform(wo, "deliver", {"signed_by": customer.name}, advisor)
    return wo


def _stepper():
    def step(minutes):
        set_now(now() + timedelta(minutes=minutes))
    return step


def _evidence(claim, advisor, *, photos=True):
    WF.perform(claim, "attach_evidence", {"kind": "fault_code", "value": "P0217 / 04712"}, advisor)
    if photos:
        WF.perform(claim, "attach_evidence", {"kind": "photos", "value": "DMS 照片 IMG_2041–2046"}, advisor)
    for i, line in enumerate(claim.part_lines):
        WF.perform(claim, "tag_part", {"line_id": line.id, "tag": f"JJ-{claim.id:04d}-{i + 1}"}, advisor)


def seed(*, store, users, customers, rng, months, cases, echo=print, **_kw):
    brand_rules()
    advisor, manager, workshop = users.get("advisor"), users.get("manager"), users.get("workshop")
    if not (advisor and manager and workshop and customers):
        return
    signers = {"self": workshop, "team_lead": users.get("teamlead") or manager,
               "final": users.get("qc") or manager}
    real_now = now()
    rule = brand_rules()[0]
    # (days ago the repair finished, the story)
    stories = [(75, "closed"), (40, "resubmitted"), (12, "submitted"), (rule.submission_days - 2, "near_deadline")]
    made = 0
    try:
        for index, (days_ago, story) in enumerate(stories):
            set_now(real_now - timedelta(days=days_ago, hours=6))
            customer = rng.choice(customers)
            wo = _repaired_work_order(store, customer, advisor, workshop, signers, REPAIRS[index % len(REPAIRS)], rng)
            set_now(now() + timedelta(hours=1))
            claim = services.open_claim(advisor, {"work_order_id": wo.id})
            made += 1
            if claim.preauth_required:
                WF.perform(claim, "request_preauth", {"reference": f"PA{rng.randint(10**6, 10**7 - 1)}"}, advisor)
                set_now(now() + timedelta(hours=20))
                WF.perform(claim, "record_preauth_decision", {"approved": True,
                                                              "reference": f"AUTH{rng.randint(10**5, 10**6 - 1)}"},
                           advisor)
            _evidence(claim, advisor, photos=story != "near_deadline")
            if story == "near_deadline":
                continue
            set_now(now() + timedelta(days=2))
            WF.perform(claim, "submit", {"manufacturer_claim_number": f"FAW-VW-{rng.randint(10**7, 10**8 - 1)}"},
                       advisor)
            if story == "submitted":
                continue
            set_now(now() + timedelta(days=3))
            WF.perform(claim, "ship_parts", {"waybill": f"SF{rng.randint(10**11, 10**12 - 1)}",
                                             "shipped_on": now().date().isoformat()}, advisor)
            set_now(now() + timedelta(days=12))
            if story == "closed":
                WF.perform(claim, "record_decision", {"lines": [{"line_id": ln.id, "decision": "approved"}
                                                                for ln in claim.lines]}, advisor)
            else:  # the part is cut to the parts list price, the second labour line is refused
                part, labour = claim.part_lines[0], [ln for ln in claim.lines if ln.kind == "labour"]
                decisions = [{"line_id": ln.id, "decision": "approved"} for ln in claim.lines]
                decisions[claim.lines.index(part)] = {
                    "line_id": part.id, "decision": "partly", "approved_amount": str(part.amount - Decimal("350.00")),
                    "reason_code": "wrong_labour_code", "reason_text": "配件价格高于厂家价格表 Price above the list"}
                decisions[claim.lines.index(labour[-1])] = {
                    "line_id": labour[-1].id, "decision": "rejected", "reason_code": "missing_evidence",
                    "reason_text": "缺少诊断仪截图 No tester screenshot"}
                WF.perform(claim, "record_decision", {"lines": decisions}, advisor)
            set_now(now() + timedelta(days=10))
            WF.perform(claim, "record_reimbursement", {"credit_note_number": f"CN{rng.randint(10**7, 10**8 - 1)}",
                                                       "amount": str(claim.outstanding),
                                                       "received_on": now().date().isoformat()}, advisor)
            set_now(now() + timedelta(days=1))
            if story == "closed":
                WF.perform(claim, "close", {}, advisor)
            else:
                WF.perform(claim, "resubmit", {"line_ids": [labour[-1].id], "evidence": [
                    {"kind": "diagnosis_report", "value": "ODIS 诊断报告 2 页 (tester report)"}]}, advisor)
    finally:
        set_now(None)
    echo(f"{store.code}: {made} warranty claims")
