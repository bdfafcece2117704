"""Issue 16 item 9: a clock counts as breached from the moment it breaches, running or ended.

Before, the per-timer figures read only the facts of clocks that had ended, so a complaint nobody
answered never counted while it stayed open. Now a running clock whose deadline passed inside the
period adds one to total and breached (the counted time p50/p90 stays that of ended clocks)."""
from __future__ import annotations

from datetime import timedelta

from claimdesk.core import uow
from claimdesk.dashboard import queries as q
from tests.dashboard.conftest import NOW, at, user_filters
from tests.dashboard.factories import ClockFactory, FactFactory


def _open_clock(store, due, **kw):
    return ClockFactory(store_id=store.id, started_at=due - timedelta(hours=1), due_at=due,
                        warn_at=due - timedelta(minutes=15), **kw)


def _first_response(rows):
    return {r["policy_key"]: r for r in rows}.get("complaint.first_response")


def test_a_running_breached_clock_counts_as_breached(store, manager):
    FactFactory(store=store, elapsed=100, target=250, ended_at=at(3))           # met, ended in the period
    _open_clock(store, at(10), state="breached", breached_at=at(10), escalation_level=2)  # nobody answered
    _open_clock(store, at(12), state="running")      # past due, the sweep has not fired yet: breached too
    _open_clock(store, NOW + timedelta(hours=2))     # not due yet: not counted
    _open_clock(store, at(20, month=2), state="breached", breached_at=at(20, month=2))  # before the period
    ClockFactory(store_id=store.id, due_at=at(9), state="met", ended=at(8), stopped_at=at(8))  # ended: its fact counts
    row = _first_response(q.by_policy(user_filters(manager)))
    assert row is not None
    assert (row["total"], row["met"], row["breached"]) == (3, 1, 2)
    assert row["breach_rate"] == round(2 / 3, 4)
    assert row["p50_seconds"] == 100.0 and row["p90_seconds"] == 100.0  # counted time: ended clocks only
    stores = {r["store_id"]: r for r in q.by_store(user_filters(manager))}
    assert stores[store.id]["breached"] == 2


def test_only_breaches_inside_the_period_and_before_now(store, manager):
    _open_clock(store, NOW - timedelta(hours=1), state="running")  # 16 March 09:00, after the period's end
    assert _first_response(q.by_policy(user_filters(manager))) is None
    f = user_filters(manager, to="2026-03-16")
    assert _first_response(q.by_policy(f))["breached"] == 1


def test_store_scope_applies_to_running_clocks(store, other_store, other_manager, manager):
    _open_clock(other_store, at(10), state="breached", breached_at=at(10))
    assert _first_response(q.by_policy(user_filters(manager))) is None
    assert _first_response(q.by_policy(user_filters(other_manager)))["breached"] == 1


def test_holder_of_a_running_clock_is_the_case_assignee(store, manager, advisor, clerk, api_as):
    from claimdesk.complaints.models import Complaint
    from claimdesk.complaints.services import open_complaint
    from tests.factories import CustomerFactory

    customer = CustomerFactory(store=store)
    case = open_complaint(clerk, {"customer_id": customer.id, "channel": "phone", "category": "parts",
                                  "severity": "medium", "description": "Nobody called back.",
                                  "assignee_id": advisor.id})
    assert isinstance(case, Complaint)
    _open_clock(store, at(10), case_id=case.id, policy_key="complaint.follow_up", state="breached",
                breached_at=at(10))
    holders = {r["holder_id"]: r for r in q.by_holder(user_filters(manager))}
    assert holders[advisor.id]["breached"] >= 1


def test_api_page_export_and_report_count_running_breaches(store, manager, api_as, login, client):
    FactFactory(store=store, elapsed=100, target=250, ended_at=at(3))
    _open_clock(store, at(10), state="breached", breached_at=at(10))
    uow.commit()
    body = api_as(manager).get("sla/dashboard?from=2026-03-01&to=2026-03-15").get_json()
    row = _first_response(body["by_policy"])
    assert (row["total"], row["breached"], row["breach_rate"]) == (2, 1, 0.5)
    login(manager)
    page = client.get("/dashboard/?from=2026-03-01&to=2026-03-15").get_data(as_text=True)
    assert "ended or breached" in page  # the page says what the rate counts
    csv = client.get("/dashboard/export/by_policy.csv?from=2026-03-01&to=2026-03-15").get_data(as_text=True)
    assert "50.0" in csv or "50" in csv.split("\n")[1]
    report = client.get("/dashboard/report?month=2026-03").get_data(as_text=True)
    assert "breached: 1 (50" in report
