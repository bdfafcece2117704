"""The dashboard's demo step: the ladder's history for ended timers, and the live ladder now."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimdesk import demo
from claimdesk.core import clock
from claimdesk.dashboard.demo import replay_ladder, seed_dashboard
from claimdesk.extensions import db
from claimdesk.sla.models import SlaEscalation, SlaFact
from tests.dashboard.factories import FactFactory
from tests.factories import CustomerFactory, VehicleFactory


@pytest.fixture(autouse=True)
def real_time():
    clock.set_now(None)  # the demo works relative to the real now


def test_seeder_is_registered_last(app):
    assert demo.SEEDERS[-1] is seed_dashboard


def test_replay_fires_warning_breach_and_escalation_at_their_times(store):
    end = clock.now() - timedelta(days=1)
    # first response, target 1 h 24x7 in these facts: ran 6 h → warning, breach and (4 h later) escalation
    late = FactFactory(store=store, elapsed=6 * 3600, target=3600, ended_at=end, calendar="24x7",
                       due_at=end - timedelta(hours=5))
    ok = FactFactory(store=store, elapsed=600, target=3600, ended_at=end, calendar="24x7")
    added = replay_ladder(store.id)
    rows = {r.level: r for r in db.session.scalars(sa.select(SlaEscalation).where(
        SlaEscalation.clock_id == late.clock_id))}
    version_ladder_has_3 = 3 in rows
    assert rows[1].fired_at < rows[2].fired_at == late.due_at
    assert version_ladder_has_3 and rows[3].fired_at <= end
    assert not db.session.scalars(sa.select(SlaEscalation).where(SlaEscalation.clock_id == ok.clock_id)).all()
    assert added == len(rows)
    assert replay_ladder(store.id) == 0  # idempotent


def test_full_demo_gives_a_meaningful_dashboard(store, make_user, api_as):
    users = {"cr": make_user("customer_relations", username="cr"), "advisor": make_user("advisor", username="a1"),
             "advisorb": make_user("advisor", username="a2"), "workshop": make_user("workshop", username="w"),
             "manager": make_user("manager", username="m"),
             "storemgr": make_user("manager", username="sm", is_store_manager=True),
             # one person signs one check: a team leader and the QC inspector as in the demo (claimdesk/demo.py)
             "teamlead": make_user("workshop", username="tl"), "qc": make_user("qc_inspector", username="qc")}
    users["customer_relations"] = users["cr"]
    customers = [CustomerFactory(store=store) for _ in range(10)]
    for c in customers:
        VehicleFactory(customer=c)
    db.session.flush()
    lines = []
    for seeder in demo.SEEDERS:
        seeder(store=store, users=users, customers=customers, rng=random.Random(5), months=3, cases=10,
               echo=lines.append)
    assert lines[-1].startswith(f"{store.code}: dashboard history")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaFact)) > 20
    body = api_as(users["manager"]).get("sla/dashboard", query_string={
        "from": (clock.now() - timedelta(days=130)).date().isoformat()}).json
    assert body["by_policy"] and sum(r["total"] for r in body["by_policy"]) > 20
    assert body["escalations"] and body["backlog"]
