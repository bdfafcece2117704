"""GET /api/v1/sla/dashboard: the api.md fields, roles, store scoping and filter validation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dashboard.conftest import NOW, PERIOD, at
from tests.dashboard.factories import ClockFactory, FactFactory

POLICY_FIELDS = {"policy_key", "total", "met", "breached", "breach_rate", "p50_seconds", "p90_seconds"}


@pytest.fixture
def data(store, other_store):
    for elapsed in (100, 200, 300, 400):
        FactFactory(store=store, elapsed=elapsed, target=250, ended_at=at(3))
    FactFactory(store=other_store, elapsed=5000, target=250, ended_at=at(3))
    ClockFactory(store_id=store.id, started_at=NOW, due_at=NOW - timedelta(hours=1), running_since=NOW)
    ClockFactory(store_id=other_store.id, started_at=NOW, due_at=NOW - timedelta(hours=1), running_since=NOW)
    ClockFactory(store_id=other_store.id, started_at=NOW, due_at=NOW + timedelta(minutes=10),
                 warn_at=NOW - timedelta(minutes=1), running_since=NOW)


def test_fields_of_api_md(data, manager, api_as):
    resp = api_as(manager).get("sla/dashboard", query_string=PERIOD)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["breached_now"] == 1 and body["at_risk"] == 0
    assert isinstance(body["by_policy"], list) and set(body["by_policy"][0]) == POLICY_FIELDS
    row = body["by_policy"][0]
    assert row == {"policy_key": "complaint.first_response", "total": 4, "met": 2, "breached": 2,
                   "breach_rate": 0.5, "p50_seconds": 250.0, "p90_seconds": 370.0}
    for key in ("by_holder", "by_store", "by_insurer", "backlog", "escalations", "paused_by_reason",
                "complaint_categories", "complaint_channels", "complaint_outcomes", "work_order_satisfaction",
                "documents_waiting", "payouts", "urgent", "filters"):
        assert key in body
    assert body["filters"]["from"].startswith("2026-03-01T00:00:00+08:00") or \
        body["filters"]["from"].startswith("2026-02-28T16:00:00")
    assert body["urgent"][0]["seconds_left"] == -3600.0


def test_store_manager_sees_only_own_store(data, other_manager, api_as, store):
    client = api_as(other_manager)
    body = client.get("sla/dashboard", query_string=PERIOD).json
    assert body["breached_now"] == 1 and body["at_risk"] == 1
    assert [(r["policy_key"], r["total"]) for r in body["by_policy"]] == [("complaint.first_response", 1)]
    assert [s["store_code"] for s in body["by_store"]] == ["S02"]
    resp = client.get("sla/dashboard", query_string={**PERIOD, "store_id": store.id})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_group_manager_sees_all_and_filters_a_store(data, group_manager, api_as, other_store):
    client = api_as(group_manager)
    body = client.get("sla/dashboard", query_string=PERIOD).json
    assert body["breached_now"] == 2 and body["at_risk"] == 1
    assert body["by_policy"][0]["total"] == 5
    assert {s["store_code"] for s in body["by_store"]} == {"S01", "S02"}
    one = client.get("sla/dashboard", query_string={**PERIOD, "store_id": other_store.id}).json
    assert one["by_policy"][0]["total"] == 1 and one["breached_now"] == 1
    assert one["filters"]["store_id"] == other_store.id


def test_case_type_filter_and_empty_period(data, manager, api_as):
    client = api_as(manager)
    body = client.get("sla/dashboard", query_string={**PERIOD, "case_type": "claim"}).json
    assert body["by_policy"] == [] and body["breached_now"] == 0
    assert body["complaint_categories"] == [] and body["complaint_outcomes"]["logged"] == 0
    empty = client.get("sla/dashboard", query_string={"from": "2024-01-01", "to": "2024-01-31"}).json
    assert empty["by_policy"] == [] and empty["breached_now"] == 1  # "now" does not depend on the period


@pytest.mark.parametrize("query,field", [({"from": "yesterday"}, "from"), ({"case_type": "parcel"}, "case_type"),
                                         ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
                                         ({"store_id": "x"}, "store_id")])
def test_bad_filters_are_422(manager, api_as, query, field):
    resp = api_as(manager).get("sla/dashboard", query_string=query)
    assert resp.status_code == 422 and field in resp.json["error"]["fields"]


def test_roles(advisor, clerk, make_user, api_as, client):
    assert api_as(advisor).get("sla/dashboard").status_code == 403
    assert api_as(clerk).get("sla/dashboard").status_code == 403
    assert api_as(make_user("admin", username="root")).get("sla/dashboard").status_code == 200
    resp = client.get("/api/v1/sla/dashboard")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthenticated"


def test_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/sla/dashboard"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"store_id", "from", "to", "case_type"}


@pytest.mark.postgres
def test_parallel_aggregates_equal_the_sequential_ones(app, committed_db, data, group_manager, api_as):
    """With committed rows the aggregates run on several connections in one snapshot (core.snapshot):
    the answer is the same as one after the other in the request's session."""
    from claimdesk.core import uow

    uow.commit()
    client = api_as(group_manager)
    app.config["PARALLEL_QUERIES"] = 1
    try:
        sequential = client.get("sla/dashboard", query_string=PERIOD).json
    finally:
        app.config["PARALLEL_QUERIES"] = 3
    try:
        parallel = client.get("sla/dashboard", query_string=PERIOD).json
    finally:
        app.config["PARALLEL_QUERIES"] = 2
    assert parallel == sequential
    assert parallel["breached_now"] == 2 and parallel["by_policy"][0]["total"] == 5
