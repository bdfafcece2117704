"""The fold-maintained read copies (rollups.py): reading the copy up to the watermark plus the live tail
gives exactly what aggregating the SLA ledgers directly gives — before any fold, after one, with facts
arriving after the watermark, with a watermark behind the copy — and folding again does nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from claimdesk.dashboard import queries as q
from claimdesk.dashboard import rollups
from claimdesk.dashboard.models import DashEscalation, DashFact, DashPause, RollupState
from claimdesk.extensions import db
from claimdesk.sla.models import SlaEscalation, SlaFact
from tests.dashboard.conftest import NOW, at, user_filters
from tests.dashboard.factories import ClockFactory, FactFactory, escalation
from tests.dashboard.test_queries import facts  # noqa: F401 — the hand-computed fixture, reused


@pytest.fixture
def claim_facts(store, other_store):
    """Two insurers' claims with assessment and payout timers; one in the other store."""
    from claimdesk.claims.models import Claim
    from tests.claims.factories import InsurerFactory
    from tests.factories import CustomerFactory, VehicleFactory

    picc, pingan = InsurerFactory(short_name="PICC"), InsurerFactory(short_name="Ping An")
    made = []
    for n, (s, insurer, elapsed, day) in enumerate(((store, picc, 3600, 2), (store, picc, 90000, 3),
                                                    (store, pingan, 7200, 4), (other_store, pingan, 600, 5))):
        cust = CustomerFactory(store=s)
        claim = Claim(number=f"CL-R-{n}", store_id=s.id, customer_id=cust.id,
                      vehicle_id=VehicleFactory(customer=cust).id, insurer_id=insurer.id, state="repair",
                      policy_number="P", accident_at=at(1), description="x")
        db.session.add(claim)
        db.session.flush()
        made.append(FactFactory(store=s, case_type="claim", case_id=claim.id, policy_key="claim.assessment",
                                elapsed=elapsed, target=86400, ended_at=at(day),
                                paused_seconds=300 if n == 1 else 0,
                                paused_by_reason={"waiting_insurer": 300.0} if n == 1 else {}))
    return made


@pytest.fixture
def escalations(store, other_store):
    mine = ClockFactory(store_id=store.id, started_at=NOW, escalation_level=2, state="breached",
                        acknowledged_at=at(5))
    escalation(mine, 1, at(3))
    escalation(mine, 2, at(4))
    theirs = ClockFactory(store_id=other_store.id, started_at=NOW, case_type="claim",
                          policy_key="claim.assessment")
    escalation(theirs, 2, at(6))
    return mine, theirs


def _everything(f, direct: bool) -> dict:
    stats = q.stats_by(f, direct=direct)
    key = lambda name: lambda r: (r[name] is None, r[name])
    return {"stats": {name: sorted(rows, key=key(name)) for name, rows in stats.items()},
            "paused": q.paused_by_reason(f, direct=direct),
            "escalations": q.escalations_by_level(f, direct=direct)}


def _filters(users, **args):
    out = []
    for user in users:
        for extra in ({}, {"case_type": "complaint"}, {"case_type": "claim"}, {"from": "2026-01-01"}):
            out.append(user_filters(user, **{**extra, **args}))
    return out


def _assert_same(users):
    for f in _filters(users):
        assert _everything(f, direct=False) == _everything(f, direct=True), f


def _copied() -> tuple[int, int, int]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (DashFact, DashPause,
                                                                                         DashEscalation))


def test_copy_plus_tail_equals_the_ledgers(facts, claim_facts, escalations, manager, group_manager,  # noqa: F811
                                           other_manager, store):
    users = (manager, group_manager, other_manager)
    before = _everything(user_filters(group_manager), direct=True)
    assert before["stats"]["insurer_id"] and before["paused"] and before["escalations"]
    _assert_same(users)  # nothing folded yet: all of it is tail
    folded = rollups.fold()
    not_cancelled = db.session.scalar(sa.select(sa.func.count()).where(SlaFact.outcome != "cancelled"))
    assert folded == {"facts": not_cancelled, "escalations": 3}
    assert _copied() == (not_cancelled, 4, 3)  # pauses: waiting_customer ×2, waiting_parts, waiting_insurer
    _assert_same(users)
    assert _everything(user_filters(group_manager), direct=False) == before
    # facts and escalations arriving after the watermark are read live from the ledgers
    FactFactory(store=store, elapsed=5000, target=250, ended_at=at(9), paused_seconds=10,
                paused_by_reason={"waiting_parts": 10.0})
    FactFactory(store=store, elapsed=50, target=250, ended_at=at(10), outcome="cancelled")
    late = ClockFactory(store_id=store.id, started_at=NOW)
    escalation(late, 2, at(11))
    _assert_same(users)
    after = _everything(user_filters(manager), direct=False)
    first = {r["policy_key"]: r for r in after["stats"]["policy_key"]}["complaint.first_response"]
    assert (first["total"], first["breached"]) == (5, 3)
    assert {r["reason"]: r for r in after["paused"]}["waiting_parts"]["seconds"] == 610.0
    assert {r["level"]: r["count"] for r in after["escalations"]} == {1: 1, 2: 2}
    # the next fold takes exactly the new rows (not the cancelled fact); the one after that nothing
    assert rollups.fold() == {"facts": 1, "escalations": 1}
    _assert_same(users)
    counts = _copied()
    assert rollups.fold() == {"facts": 0, "escalations": 0}
    assert _copied() == counts
    _assert_same(users)


def test_a_watermark_behind_the_copy_counts_nothing_twice(facts, escalations, group_manager, manager):  # noqa: F811
    """A reader that read the watermark just before a fold committed sees the copy cut at that
    watermark and the rest live: the same numbers, nothing counted twice."""
    rollups.fold()
    half = db.session.scalar(sa.select(sa.func.min(SlaFact.id))) + 3
    for state in db.session.scalars(sa.select(RollupState)):
        state.watermark = half if state.name == "facts" else 1
    db.session.flush()
    _assert_same((group_manager, manager))


def test_fold_reruns_do_nothing_and_batches_resume(facts, escalations):  # noqa: F811
    first = rollups.fold(batch=3)
    assert first["facts"] <= 3 and first["escalations"] <= 3
    assert rollups.behind() > 0
    while rollups.behind():
        rollups.fold(batch=3)
    assert rollups.fold() == {"facts": 0, "escalations": 0}
    facts_state = db.session.get(RollupState, "facts")
    assert facts_state.watermark == db.session.scalar(sa.select(sa.func.max(SlaFact.id)))
    assert db.session.get(RollupState, "escalations").watermark == \
        db.session.scalar(sa.select(sa.func.max(SlaEscalation.id)))
    assert facts_state.rows_folded == db.session.scalar(sa.select(sa.func.count()).select_from(DashFact))
    assert facts_state.folded_at == NOW


def test_insurer_is_denormalised_into_the_copy(claim_facts, manager, group_manager):
    rollups.fold()
    rows = {r["insurer_name"]: r for r in q.by_insurer(user_filters(group_manager))}
    assert (rows["PICC"]["total"], rows["PICC"]["breached"], rows["PICC"]["p50_seconds"]) == (2, 1, 46800.0)
    assert rows["Ping An"]["total"] == 2
    mine = {r["insurer_name"]: r["total"] for r in q.by_insurer(user_filters(manager))}
    assert mine == {"PICC": 2, "Ping An": 1}
    assert q.by_insurer(user_filters(manager, case_type="complaint")) == []


def test_acknowledged_escalations_are_live(escalations, manager, group_manager, store):
    mine, _theirs = escalations
    rollups.fold()
    assert q.escalations_by_level(user_filters(manager)) == [
        {"level": 1, "count": 1, "acknowledged": 1}, {"level": 2, "count": 1, "acknowledged": 1}]
    # acknowledged after the fold: counted at once, no fold needed
    other = ClockFactory(store_id=store.id, started_at=NOW, escalation_level=2, state="breached")
    escalation(other, 2, at(7))
    rollups.fold()
    other.acknowledged_at = at(8)
    db.session.flush()
    rows = {r["level"]: r for r in q.escalations_by_level(user_filters(manager))}
    assert (rows[2]["count"], rows[2]["acknowledged"]) == (2, 2)
    group = {r["level"]: r for r in q.escalations_by_level(user_filters(group_manager))}
    assert (group[2]["count"], group[2]["acknowledged"]) == (3, 2)
    # a restart clears the acknowledgement, and with it the count
    mine.acknowledged_at = None
    db.session.flush()
    rows = {r["level"]: r for r in q.escalations_by_level(user_filters(manager))}
    assert (rows[1]["acknowledged"], rows[2]["acknowledged"]) == (0, 1)


def test_the_fold_is_a_periodic_job(facts):  # noqa: F811
    from claimdesk import jobs
    from claimdesk.dashboard import jobs as dashboard_jobs

    entry = jobs.PERIODIC["claimdesk.dashboard.jobs.fold_rollups"]
    assert entry["interval"] == 60
    assert dashboard_jobs.fold_rollups()["facts"] > 0
    assert dashboard_jobs.fold_rollups() == {"facts": 0, "escalations": 0}


def test_api_unchanged_by_a_fold(facts, claim_facts, escalations, group_manager, api_as):  # noqa: F811
    """The JSON the managers get is the same before and after the fold."""
    api = api_as(group_manager)
    before = api.get("/api/v1/sla/dashboard?from=2026-03-01&to=2026-03-15").json
    rollups.fold()
    after = api.get("/api/v1/sla/dashboard?from=2026-03-01&to=2026-03-15").json
    assert before == after
    assert before["by_insurer"] and before["escalations"] and before["paused_by_reason"]
