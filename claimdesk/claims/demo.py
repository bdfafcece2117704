"""Demo claims: the common insurers and claims in every stage over the past months (time is moved
with core.clock.set_now so timelines, clocks and ageing look real)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from ..core.clock import now, set_now
from ..extensions import db
from .models import DOCUMENT_KINDS, Insurer

INSURERS = [
    ("PICC 人保财险", "PICC", "95518", list(DOCUMENT_KINDS),
     [{"name": "Guangzhou claims centre 广州理赔中心", "role": "claims", "phone": "020-83188888"}]),
    ("Ping An 平安产险", "Ping An", "95511",
     [k for k in DOCUMENT_KINDS if k != "policy"],
     [{"name": "Ping An assessor desk 定损岗", "role": "assessors", "phone": "020-38888888"}]),
    ("CPIC 太平洋产险", "CPIC", "95500", list(DOCUMENT_KINDS),
     [{"name": "CPIC claims 理赔部", "role": "claims", "phone": "020-87777777"}]),
    ("China Life P&C 国寿财险", "China Life", "95519",
     ["vehicle_licence", "driving_licence", "accident_certificate", "assessment_report", "repair_invoice",
      "bank_details", "authorisation"], []),
]
ACCIDENTS = [
    ("Rear-ended at a red light 等红灯被追尾", "rear bumper", "boot lid"),
    ("Scraped a pillar in an underground car park 地库剐蹭", "front bumper", "left front wing"),
    ("Side collision at a junction 路口侧面碰撞", "right front door", "right rear door"),
    ("Hit a kerb, wheel damaged 撞路沿", "front left wheel rim", "lower control arm"),
    ("Hail damage 冰雹", "roof panel", "bonnet"),
]
PLACES = ["天河路与体育西路交叉口", "华南快速干线", "珠江新城地下停车场", "广园快速路", "黄埔大道西"]


def insurers() -> list[Insurer]:
    """The group's insurer list (shared by every store); created once."""
    out = []
    for name, short, hotline, docs, contacts in INSURERS:
        insurer = db.session.scalar(sa.select(Insurer).where(Insurer.name == name))
        if insurer is None:
            insurer = Insurer(name=name, short_name=short, hotline=hotline, required_documents=docs,
                              contacts=contacts, active=True)
            db.session.add(insurer)
        out.append(insurer)
    db.session.flush()
    return out


def seed(*, store, users, customers, rng, months, cases, echo=print, **_kw):
    """Claims for one store, spread over `months`; older ones further along (closed, rejected …)."""
    from ..workorders.workflow import WF as WO
    from . import services
    from .workflow import WF

    pool = insurers()
    advisors = [u for key, u in users.items() if key in ("advisor", "advisorb")] or [users["advisor"]]
    manager, workshop = users["manager"], users.get("workshop")
    real_now = now()
    count = max(3, cases // 2)
    made = 0
    for index in range(count):
        customer = rng.choice(customers)
        if not customer.vehicles:
            continue
        vehicle = rng.choice(customer.vehicles)
        advisor = rng.choice(advisors)
        insurer = rng.choice(pool)
        what, part_a, part_b = rng.choice(ACCIDENTS)
        age_days = rng.uniform(0.5, months * 30) if index else 1.0
        t = real_now - timedelta(days=age_days)

        def at(hours):  # move the clock forward; False once we would pass today
            nonlocal t
            t = t + timedelta(hours=hours)
            if t >= real_now - timedelta(minutes=5):
                return False
            set_now(t)
            return True

        set_now(t)
        claim = services.open_claim(advisor, {
            "customer_id": customer.id, "vehicle_id": vehicle.id, "insurer_id": insurer.id,
            "policy_number": f"PDAA{t.year}4401{rng.randint(10**9, 10**10 - 1)}",
            "compulsory_policy_number": f"PDZA{t.year}4401{rng.randint(10**9, 10**10 - 1)}",
            "report_number": None if rng.random() < 0.1 else f"RDAA{t.year}{rng.randint(10**11, 10**12 - 1)}",
            "reported_at": t - timedelta(hours=rng.randint(1, 20)),
            "accident_at": t - timedelta(hours=rng.randint(21, 60)),
            "accident_place": rng.choice(PLACES), "description": what,
            "liability": rng.choice(["full", "major", "equal", "minor", "none"]),
            "payer_route": rng.choice(["own_damage", "own_damage", "third_party", "subrogation"]),
        })
        made += 1
        outcome = rng.random()
        if claim.report_number is None or not at(rng.uniform(2, 30)):
            continue
        WF.perform(claim, "vehicle_arrived", {}, advisor)
        if not at(rng.uniform(1, 6)):
            continue
        WF.perform(claim, "schedule_assessment", {"appointment_at": (t + timedelta(hours=3)).isoformat(),
                                                  "assessor_name": rng.choice(["张定损", "李定损", "王定损"]),
                                                  "assessor_phone": f"139{rng.randint(10**7, 10**8 - 1)}"},
                   advisor)
        if outcome < 0.06:
            if at(rng.uniform(3, 20)):
                WF.perform(claim, "withdraw", {"reason": "客户自费维修，保留无赔款优待 (customer pays to keep the "
                                                         "no-claims discount)"}, advisor)
            continue
        if not at(rng.uniform(3, 30)):
            continue
        if outcome < 0.10:
            WF.perform(claim, "declare_total_loss", {"agreed_value": f"{rng.randint(40, 160) * 1000}.00",
                                                     "reason": "修复费用超过车辆实际价值 (repair exceeds the value)"},
                       advisor)
        else:
            a = Decimal(rng.randint(800, 9000)) + Decimal(rng.randint(0, 99)) / 100
            b = Decimal(rng.randint(300, 4000))
            WF.perform(claim, "assess", {
                "assessor_name": claim.assessor_name, "approved_amount": str(a + b),
                "damage_items": [{"description": part_a, "kind": "part", "amount": str(a)},
                                 {"description": part_b, "kind": "paint", "amount": str(b)}],
                "present": ["owner", "advisor", "assessor"]}, advisor)
            wo = claim.work_order
            WO.perform(wo, "estimate", {"lines": [
                {"kind": "part", "description": part_a, "quantity": "1", "unit_price": str(a), "pay_type": "insurance"},
                {"kind": "labour", "description": f"{part_b} repair and paint", "quantity": "1",
                 "unit_price": str(b), "pay_type": "insurance"}]}, advisor)
            WO.perform(wo, "authorise", {"signed_by": customer.name,
                                         "promised_at": (t + timedelta(days=3)).isoformat()}, advisor)
            if outcome < 0.14:
                if at(rng.uniform(24, 200)):
                    WF.perform(claim, "reject", {"reason": "驾驶人无有效驾驶证 (the driver had no valid licence)"},
                               advisor)
                continue
            if not at(rng.uniform(2, 24)):
                continue
            WO.perform(wo, "dispatch", {"team": "钣喷组 Body & paint"}, workshop or manager)
            if rng.random() < 0.3:
                extra = Decimal(rng.randint(200, 1500))
                WF.perform(claim, "supplement", {"description": "拆检发现隐损 (hidden damage found on strip-down)",
                                                 "amount": str(extra), "approved": False}, advisor)
                if not at(rng.uniform(4, 48)):
                    continue
                sup = claim.supplements[-1]
                approved = rng.random() < 0.75
                WF.perform(claim, "decide_supplement", {"supplement_id": sup.id, "approved": approved,
                                                        "note": None if approved else "属旧损 (old damage)"},
                           advisor)
                pays = False
                if not approved:
                    pays = rng.random() < 0.5
                    WF.perform(claim, "customer_supplement_decision",
                               {"supplement_id": sup.id, "customer_pays": pays}, advisor)
                # the supplement's work is a line of the work order: the insurer's if approved, the
                # customer's if they pay for a rejected one, declined otherwise — the bill follows
                WO.perform(wo, "request_extra_work", {"lines": [
                    {"kind": "labour", "description": "隐损修复 hidden damage repair", "quantity": "1",
                     "unit_price": str(extra), "pay_type": "insurance" if approved else "customer"}]},
                    workshop or manager)
                WO.perform(wo, "decide_extra_work", {"decisions": [{"line_id": wo.pending_extra_lines[0].id,
                                                                   "approved": approved or pays}],
                                                     "decided_by": customer.name}, advisor)
            if rng.random() < 0.25:
                # the policy's deductible (免赔): the insurer pays less, the customer pays it at the cashier
                deductible = Decimal(rng.choice([300, 500, 1000]))
                if deductible < wo.settlement.insurer:
                    WO.perform(wo, "add_adjustment", {"kind": "deductible", "amount": str(deductible),
                                                      "description": "保单免赔额 policy deductible"}, advisor)
            if not at(rng.uniform(24, 96)):
                continue
            WO.perform(wo, "complete_repair", {}, workshop or manager)
            signers = {"self": workshop or manager, "team_lead": users.get("teamlead") or manager,
                       "final": users.get("qc") or manager}  # one person signs one check
            for stage in ("self", "team_lead", "final"):
                WO.perform(wo, "pass_check", {"stage": stage}, signers[stage])
            # the work order is ready: the claim moved on to documents by itself
        # documents trickle in
        for item in list(claim.checklist):
            if not at(rng.uniform(2, 30)):
                break
            # older claims have everything checked; recent ones still have items waiting to be checked
            status = "verified" if age_days > 25 or rng.random() < 0.8 else "received"
            WF.perform(claim, "collect_document", {"kind": item.kind, "status": status}, advisor)
        if t >= real_now - timedelta(minutes=10) or claim.state != "documents" or not claim.documents_complete:
            continue
        if claim.work_order and claim.work_order.state == "ready":
            WO.perform(claim.work_order, "deliver", {"signed_by": customer.name, "payment_method": "wechat_pay"},
                       advisor)
        if not at(rng.uniform(2, 48)):
            continue
        WF.perform(claim, "submit", {}, advisor)  # the invoice is the work order's insurance share
        paid = Decimal("0.00")
        parts = 1 if rng.random() < 0.7 else 2
        for part in range(parts):
            if not at(rng.uniform(24 * 5, 24 * 40)):
                break
            share = claim.outstanding if part == parts - 1 else (claim.outstanding / 2).quantize(Decimal("0.01"))
            if rng.random() < 0.15 and part == parts - 1:
                share = (share * Decimal("0.95")).quantize(Decimal("0.01"))  # the insurer deducts
            WF.perform(claim, "record_payout", {"amount": str(share), "paid_at": t.isoformat(),
                                                "reference": f"BANK{rng.randint(10**8, 10**9 - 1)}"}, advisor)
            paid += share
        if claim.payouts and at(rng.uniform(2, 72)):
            if claim.unsettled > 0:
                if rng.random() < 0.5:
                    WF.perform(claim, "close", {"shortfall_action": "write_off",
                                                "write_off_reason": "保险公司扣除免赔额，门店承担 (deductible absorbed)"},
                               manager)
                else:
                    WF.perform(claim, "close", {"shortfall_action": "customer_owes"}, advisor)
            else:
                WF.perform(claim, "close", {}, advisor)
    set_now(None)
    echo(f"{store.code}: {made} insurance claims")
