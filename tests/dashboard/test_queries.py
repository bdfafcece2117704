"""The aggregates against hand-computed fixtures: counts, breach rates, p50/p90 (PostgreSQL's
percentile_cont and the SQLite fallback must agree), empty periods, scoping by store."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from claimdesk.dashboard import queries as q
from tests.dashboard.conftest import NOW, at, user_filters
from tests.dashboard.factories import ClockFactory, FactFactory, escalation


@pytest.fixture
def facts(store, other_store, advisor, make_user):
    """S01 first response: 100, 200, 300, 400 s in the period (target 250: two breached), plus one
    before the period, one cancelled; resolution: one of 500 s. S02: 1000 s and 3000 s."""
    other_adv = make_user("advisor", username="adv2", store=other_store)
    for elapsed, day in ((100, 2), (200, 3), (300, 4), (400, 15)):
        FactFactory(store=store, elapsed=elapsed, target=250, ended_at=at(day), holder_id=advisor.id)
    FactFactory(store=store, elapsed=50, target=250, ended_at=at(28, month=2), holder_id=advisor.id)
    FactFactory(store=store, elapsed=9000, target=250, ended_at=at(5), outcome="cancelled", holder_id=advisor.id)
    FactFactory(store=store, policy_key="complaint.resolution", elapsed=500, target=7200, ended_at=at(6),
                paused_seconds=1800, paused_by_reason={"waiting_customer": 1200.0, "waiting_parts": 600.0})
    FactFactory(store=other_store, elapsed=1000, target=250, ended_at=at(7), holder_id=other_adv.id)
    FactFactory(store=other_store, elapsed=3000, target=250, ended_at=at(8), holder_id=other_adv.id,
                paused_seconds=60, paused_by_reason={"waiting_customer": 60.0})
    # the end day is inclusive: 15 March 23:30 Shanghai is in, 16 March 00:30 is not
    FactFactory(store=store, policy_key="complaint.follow_up", elapsed=10, target=250,
                ended_at=at(15, 23) + timedelta(minutes=30))
    FactFactory(store=store, policy_key="complaint.follow_up", elapsed=20, target=250,
                ended_at=at(16, 0) + timedelta(minutes=30))


def _by_key(rows, key):
    return {r[key]: r for r in rows}


def test_by_policy_hand_computed(facts, manager):
    rows = _by_key(q.by_policy(user_filters(manager)), "policy_key")
    first = rows["complaint.first_response"]
    assert (first["total"], first["met"], first["breached"]) == (4, 2, 2)
    assert first["breach_rate"] == 0.5
    assert first["p50_seconds"] == 250.0          # (200 + 300) / 2
    assert first["p90_seconds"] == 370.0          # 300 + 0.7 × (400 − 300)
    single = rows["complaint.resolution"]
    assert (single["total"], single["breached"], single["p50_seconds"], single["p90_seconds"]) == (1, 0, 500.0, 500.0)
    assert rows["complaint.follow_up"]["total"] == 1


def test_group_sees_all_stores_and_filters_one(facts, group_manager, other_store, store):
    rows = _by_key(q.by_policy(user_filters(group_manager)), "policy_key")
    first = rows["complaint.first_response"]
    assert first["total"] == 6 and first["breached"] == 4
    # 100, 200, 300, 400, 1000, 3000: p50 = 350; p90 at position 4.5 → 1000 + 0.5 × 2000 = 2000
    assert (first["p50_seconds"], first["p90_seconds"]) == (350.0, 2000.0)
    stores = _by_key(q.by_store(user_filters(group_manager)), "store_code")
    assert stores["S02"]["total"] == 2 and stores["S02"]["p50_seconds"] == 2000.0
    assert stores["S01"]["total"] == 6
    only = _by_key(q.by_policy(user_filters(group_manager, store_id=other_store.id)), "policy_key")
    assert set(only) == {"complaint.first_response"} and only["complaint.first_response"]["total"] == 2


def test_store_manager_never_sees_another_store(facts, other_manager):
    rows = q.by_policy(user_filters(other_manager))
    assert [(r["policy_key"], r["total"]) for r in rows] == [("complaint.first_response", 2)]
    holders = q.by_holder(user_filters(other_manager))
    assert [h["holder_name"] for h in holders] == ["Adv2"]
    assert q.by_store(user_filters(other_manager))[0]["store_code"] == "S02"


def test_by_holder(facts, manager, advisor):
    rows = _by_key(q.by_holder(user_filters(manager)), "holder_id")
    assert rows[advisor.id]["total"] == 4 and rows[advisor.id]["holder_name"] == advisor.display_name
    assert rows[None]["total"] == 2  # the resolution and the follow-up without a holder


def test_empty_period(facts, manager):
    f = user_filters(manager, **{"from": "2025-01-01", "to": "2025-01-31"})
    assert q.by_policy(f) == [] and q.by_holder(f) == [] and q.paused_by_reason(f) == []
    assert q.escalations_by_level(f) == []
    assert q.complaint_outcomes(f)["reopen_rate"] is None
    assert q.work_order_satisfaction(f)["average"] is None


def test_case_type_filter(facts, manager):
    assert q.by_policy(user_filters(manager, case_type="claim")) == []
    assert q.by_policy(user_filters(manager, case_type="complaint"))


def test_paused_by_reason(facts, manager, group_manager):
    rows = _by_key(q.paused_by_reason(user_filters(manager)), "reason")
    assert rows["waiting_customer"] == {"reason": "waiting_customer", "clocks": 1, "seconds": 1200.0}
    assert rows["waiting_parts"]["seconds"] == 600.0
    group = _by_key(q.paused_by_reason(user_filters(group_manager)), "reason")
    assert group["waiting_customer"]["clocks"] == 2 and group["waiting_customer"]["seconds"] == 1260.0


def test_live_clocks_breached_and_at_risk(store, other_store, manager):
    ClockFactory(store_id=store.id, started_at=NOW - timedelta(hours=3), due_at=NOW - timedelta(hours=2),
                 warn_at=NOW - timedelta(hours=2, minutes=15), running_since=NOW)  # breached, sweep not run yet
    ClockFactory(store_id=store.id, started_at=NOW, due_at=NOW + timedelta(minutes=30),
                 warn_at=NOW - timedelta(minutes=5), running_since=NOW)  # at risk
    ClockFactory(store_id=store.id, started_at=NOW, due_at=NOW + timedelta(hours=5),
                 warn_at=NOW + timedelta(hours=4), running_since=NOW)  # fine
    ClockFactory(store_id=store.id, started_at=NOW, state="breached", escalation_level=2,
                 breached_at=NOW - timedelta(days=1), due_at=NOW - timedelta(days=1))  # paused after breach
    ClockFactory(store_id=store.id, started_at=NOW, stopped_at=NOW, due_at=NOW - timedelta(days=2),
                 state="breached")  # ended: not live
    ClockFactory(store_id=other_store.id, started_at=NOW, due_at=NOW - timedelta(hours=1), running_since=NOW)
    f = user_filters(manager)
    assert q.live_counts(f) == {"breached_now": 2, "at_risk": 1}
    urgent = q.urgent_clocks(f)
    assert [r["breached"] for r in urgent] == [True, True, False]
    assert [r["due_at"] for r in urgent] == sorted(r["due_at"] for r in urgent)  # least time left first
    assert urgent[-1]["seconds_left"] == 1800.0


def test_escalations_by_level(store, other_store, manager):
    mine = ClockFactory(store_id=store.id, started_at=NOW)
    theirs = ClockFactory(store_id=other_store.id, started_at=NOW)
    escalation(mine, 1, at(3))
    escalation(mine, 2, at(4))
    escalation(theirs, 2, at(4))
    old = ClockFactory(store_id=store.id, started_at=NOW, generation=1)
    escalation(old, 3, at(1, month=1))
    assert q.escalations_by_level(user_filters(manager)) == [
        {"level": 1, "count": 1, "acknowledged": 0}, {"level": 2, "count": 1, "acknowledged": 0}]


def test_backlog_by_stage_and_age(store, other_store, manager):
    from tests.complaints.factories import ComplaintFactory
    from tests.factories import CustomerFactory

    cust = CustomerFactory(store=store)
    for hours, state in ((2, "listen"), (30, "listen"), (24 * 5, "resolve"), (24 * 40, "resolve"), (1, "closed")):
        ComplaintFactory(customer=cust, state=state, created_at=NOW - timedelta(hours=hours))
    ComplaintFactory(customer=CustomerFactory(store=other_store), state="listen", created_at=NOW)
    rows = {(r["case_type"], r["state"]): r for r in q.backlog(user_filters(manager, case_type="complaint"))}
    assert rows[("complaint", "listen")]["buckets"] == {"lt1d": 1, "1to3d": 1, "3to7d": 0, "7to30d": 0, "gt30d": 0}
    assert rows[("complaint", "resolve")]["buckets"] == {"lt1d": 0, "1to3d": 0, "3to7d": 1, "7to30d": 0, "gt30d": 1}
    assert rows[("complaint", "apologise")]["total"] == 0
    assert ("complaint", "closed") not in rows


def test_complaints_over_time_outcomes(store, manager):
    from tests.complaints.factories import ComplaintFactory
    from tests.factories import CustomerFactory

    cust = CustomerFactory(store=store)
    # weeks (Monday): 2 March and 9 March; 1 March (a Sunday) belongs to the week of 23 February
    ComplaintFactory(customer=cust, category="price", channel="phone", created_at=at(1, 9))
    ComplaintFactory(customer=cust, category="price", channel="letter", created_at=at(3),
                     followed_up_at=at(5), satisfied=True)
    ComplaintFactory(customer=cust, category="parts", channel="phone", created_at=at(10),
                     followed_up_at=at(12), satisfied=False, reopen_count=1)
    ComplaintFactory(customer=cust, category="parts", channel="phone", created_at=at(11),
                     followed_up_at=at(13), satisfied=True, reopen_count=2)
    f = user_filters(manager)
    assert q.granularity(f) == "week"
    rows = {(r["period"], r["key"]): r["count"] for r in q.complaints_over_time(f, "category")}
    assert rows == {("2026-02-23", "price"): 1, ("2026-03-02", "price"): 1, ("2026-03-09", "parts"): 2}
    months = q.complaints_over_time(user_filters(manager, **{"from": "2025-12-01"}), "channel")
    assert {(r["period"], r["key"]): r["count"] for r in months} == {("2026-03", "phone"): 3, ("2026-03", "letter"): 1}
    out = q.complaint_outcomes(f)
    assert (out["logged"], out["followed_up"], out["reopened"]) == (4, 3, 2)
    assert out["reopen_rate"] == round(2 / 3, 4)
    assert (out["satisfied"], out["not_satisfied"], out["satisfaction_rate"]) == (2, 1, round(2 / 3, 4))
    assert q.top_categories(f) == [{"category": "parts", "count": 2}, {"category": "price", "count": 2}]


def test_work_order_satisfaction(store, manager, advisor):
    from tests.factories import CustomerFactory, VehicleFactory
    from claimdesk.workorders.models import WorkOrder

    cust = CustomerFactory(store=store)
    veh = VehicleFactory(customer=cust)
    from claimdesk.extensions import db

    for n, (score, day) in enumerate(((5, 2), (4, 3), (2, 4), (5, 20))):
        db.session.add(WorkOrder(number=f"WO-T-{n}", store_id=store.id, customer_id=cust.id, vehicle_id=veh.id,
                                 state="closed", mileage_km=1000, customer_description="x", satisfaction=score,
                                 followed_up_at=at(day) if day < 16 else at(day, month=2)))
    db.session.flush()
    out = q.work_order_satisfaction(user_filters(manager))
    assert out["callbacks"] == 3 and out["scores"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert out["average"] == round(11 / 3, 2) and out["satisfied_rate"] == round(2 / 3, 4)


def test_claims_money_documents_and_payout_ageing(store, other_store, manager, advisor):
    from claimdesk.claims.models import Claim, ClaimDocument, ClaimPayout
    from claimdesk.extensions import db
    from tests.claims.factories import InsurerFactory
    from tests.factories import CustomerFactory, VehicleFactory

    ins_a, ins_b = InsurerFactory(short_name="PICC"), InsurerFactory(short_name="Ping An")
    cust = CustomerFactory(store=store)
    veh = VehicleFactory(customer=cust)
    n = 0

    def claim(insurer, state, *, s=store, **kw):
        nonlocal n
        n += 1
        c = Claim(number=f"CL-T-{n}", store_id=s.id, customer_id=cust.id, vehicle_id=veh.id, insurer_id=insurer.id,
                  state=state, policy_number="P", accident_at=at(1), description="x", **kw)
        db.session.add(c)
        db.session.flush()
        return c

    # submitted in the period: 10000 (paid 4000, 10 days old), 6000 (paid in full, closed)
    a = claim(ins_a, "payout", submitted_at=at(6), claimed_amount=Decimal("10000.00"))
    db.session.add(ClaimPayout(claim_id=a.id, amount=Decimal("4000.00"), paid_at=at(10)))
    b = claim(ins_a, "closed", submitted_at=at(2), claimed_amount=Decimal("6000.00"), fully_paid_at=at(9))
    db.session.add(ClaimPayout(claim_id=b.id, amount=Decimal("6000.00"), paid_at=at(9)))
    # submitted 70 days ago, nothing paid: outstanding in the 61–90 bucket, not in the period's figures
    claim(ins_b, "payout", submitted_at=NOW - timedelta(days=70), claimed_amount=Decimal("2500.50"))
    # another store: never counted
    claim(ins_b, "payout", s=other_store, submitted_at=at(6), claimed_amount=Decimal("99999.00"))
    # waiting on documents: 2 items not verified (one rejected), one verified
    d = claim(ins_b, "documents", repair_completed_at=NOW - timedelta(days=4))
    for kind, status in (("policy", "missing"), ("owner_id", "rejected"), ("bank_details", "verified")):
        db.session.add(ClaimDocument(claim_id=d.id, kind=kind, status=status, required=True))
    db.session.add(ClaimDocument(claim_id=d.id, kind="authorisation", status="missing", required=False))
    db.session.flush()
    f = user_filters(manager)
    p = q.payouts(f)
    rows = {r["insurer_name"]: r for r in p["by_insurer"]}
    assert rows["PICC"]["claims"] == 2 and rows["PICC"]["expected"] == Decimal("16000.00")
    assert rows["PICC"]["received"] == Decimal("10000.00") and rows["PICC"]["outstanding"] == Decimal("6000.00")
    assert rows["PICC"]["ageing"]["0to30d"] == Decimal("6000.00")
    assert rows["Ping An"]["claims"] == 0 and rows["Ping An"]["ageing"]["61to90d"] == Decimal("2500.50")
    assert p["totals"]["outstanding"] == Decimal("8500.50")
    docs = q.documents_waiting(f)
    assert docs["total"] == 1
    assert docs["by_insurer"] == [{"insurer_id": ins_b.id, "claims": 1, "items": 2, "insurer_name": "Ping An",
                                   "oldest_days": 4.0}]
    assert docs["claims"][0]["missing"] == 2 and docs["claims"][0]["waiting_days"] == 4.0
    money = q.claims_money(f)
    assert (money["submitted"], money["claimed"], money["payouts"], money["paid"]) == \
        (2, Decimal("16000.00"), 2, Decimal("10000.00"))


def test_one_pass_stats_equal_the_single_dimension_ones(facts, group_manager):
    """stats_by (GROUPING SETS on PostgreSQL) gives exactly what one GROUP BY per dimension gives."""
    f = user_filters(group_manager)
    stats = q.stats_by(f)
    for name in q.DIMENSIONS:
        single = [r for r in q._stats([name], q._facts(f)) if name != "insurer_id" or r["insurer_id"] is not None]
        key = lambda r: (r[name] is None, r[name])  # noqa: E731
        assert sorted(stats[name], key=key) == sorted(single, key=key)
