"""The SLA API: policies (roles, scopes, validation, versions), re-baselining, timers, calendars, jobs."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from claimdesk.core import clock as core_clock
from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.sla import batch
from claimdesk.sla.jobs import rebaseline as rebaseline_job
from claimdesk.sla.models import SlaClock, SlaPolicy, SlaPolicyVersion, SlaRebaseline
from tests.sla.casetype import open_gadget
from tests.sla.conftest import T0, move


def test_policies_are_seeded_with_the_domain_targets(api_as, manager):
    resp = api_as(manager).get("sla/policies")
    assert resp.status_code == 200
    by_key = {p["key"]: p for p in resp.json}
    assert set(by_key) >= {"complaint.first_response", "complaint.resolution", "complaint.follow_up",
                           "work_order.promised_completion", "work_order.extra_work_approval",
                           "work_order.follow_up_call", "claim.assessment", "claim.documents", "claim.payout"}
    first = by_key["complaint.first_response"]
    assert first["target_seconds"] == 7200 and first["calendar"] == "business" and first["scope"] == "group"
    assert by_key["claim.payout"]["target_seconds"] == 30 * 86400
    assert [s["level"] for s in first["ladder"]] == [1, 2, 3]


def test_policies_are_for_managers_and_admins_only(api_as, advisor, clerk, workshop, make_user):
    for user in (advisor, clerk, workshop):
        assert api_as(user).get("sla/policies").status_code == 403
        assert api_as(user).put("sla/policies/claim.payout", {"target_seconds": 60}).status_code == 403
    assert api_as(make_user("admin", username="root")).get("sla/policies").status_code == 200


def test_manager_put_creates_a_store_override_as_a_new_version(api_as, manager, store):
    api = api_as(manager)
    resp = api.put("sla/policies/complaint.first_response",
                   {"target_seconds": 4, "calendar": "24x7", "warn_ratio": 0.5, "escalate_after_seconds": 10})
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["store_id"] == store.id and body["scope"] == "store" and body["version"] == 1
    assert body["target_seconds"] == 4 and body["calendar"] == "24x7" and body["warn_ratio"] == 0.5
    group = db.session.scalar(sa.select(SlaPolicy).where(SlaPolicy.key == "complaint.first_response",
                                                         SlaPolicy.store_id.is_(None)))
    assert group.target_seconds == 7200  # the group default is untouched
    again = api.put("sla/policies/complaint.first_response", {"target_seconds": 8}).json
    assert again["version"] == 2 and again["calendar"] == "24x7"
    versions = db.session.scalars(sa.select(SlaPolicyVersion.target_seconds).where(
        SlaPolicyVersion.policy_id == again["id"]).order_by(SlaPolicyVersion.version)).all()
    assert versions == [4, 8]
    assert api.get("sla/policies/complaint.first_response").json["target_seconds"] == 8


def test_store_manager_may_not_touch_group_defaults_or_other_stores(api_as, manager, other_store, make_user):
    api = api_as(manager)
    resp = api.put("sla/policies/claim.payout", {"target_seconds": 60, "store_id": other_store.id})
    assert resp.status_code == 404
    admin = api_as(make_user("admin", username="root"))
    resp = admin.put("sla/policies/claim.payout", {"target_seconds": 20 * 86400})
    assert resp.status_code == 200 and resp.json["store_id"] is None and resp.json["version"] == 2
    resp = admin.put("sla/policies/claim.payout", {"target_seconds": 86400, "store_id": other_store.id})
    assert resp.status_code == 200 and resp.json["store_id"] == other_store.id


def test_bad_policy_input_is_422_and_changes_nothing(api_as, manager):
    api = api_as(manager)
    for body in ({"target_seconds": 0}, {"calendar": "weekdays"}, {"warn_ratio": 1.5}, {"warn_ratio": 0},
                 {"escalate_after_seconds": -1}, {"pause_reasons": ["coffee"]}, {},
                 {"ladder": [{"level": 7, "notify": ["assignee"]}]},
                 {"ladder": [{"level": 1, "notify": ["the_ceo"]}]}):
        resp = api.put("sla/policies/claim.payout", body)
        assert resp.status_code == 422, body
        assert resp.json["error"]["code"] == "validation_error"
    assert api.put("sla/policies/no.such", {"target_seconds": 5}).status_code == 404
    from claimdesk.sla.policies import DEFAULTS  # the group defaults the migrations seed, one row each

    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy)) == len(DEFAULTS)
    assert api.put("sla/policies/claim.payout", "nope", headers={"Content-Type": "text/plain"}).status_code == 415


def test_policy_change_applies_to_new_clocks_and_rebaseline_moves_open_ones(
        api_as, manager, policies, store, customer, ladder_people):
    old = open_gadget(store, customer, ladder_people["assignee"])
    uow.commit()
    api = api_as(manager)
    assert api.put("sla/policies/gadget.reply", {"target_seconds": 7200}).status_code == 200
    new = open_gadget(store, customer, ladder_people["assignee"])
    uow.commit()
    clock = {c.case_id: c for c in db.session.scalars(sa.select(SlaClock).where(
        SlaClock.policy_key == "gadget.reply"))}
    assert clock[old.id].due_at == T0 + timedelta(hours=1)
    assert clock[new.id].due_at == T0 + timedelta(hours=2)
    preview = api.post("sla/policies/gadget.reply/rebaseline", {})
    assert preview.status_code == 200
    assert preview.json["open_clocks"] == 1 and preview.json["would_move"] == 1 and preview.json["later"] == 1
    stale = api.post("sla/policies/gadget.reply/rebaseline", {"dry_run": False, "expected": 5})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "preview_mismatch"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaRebaseline)) == 0
    resp = api.post("sla/policies/gadget.reply/rebaseline", {"dry_run": False, "expected": 1})
    assert resp.status_code == 202, resp.json
    run_id = resp.json["id"]
    assert resp.json["state"] == "queued" and resp.json["previewed"] == 1
    assert rebaseline_job(run_id) == 1  # what the worker runs
    uow.commit()
    db.session.expire_all()
    moved = db.session.get(SlaClock, clock[old.id].id)
    assert moved.due_at == T0 + timedelta(hours=2) and moved.target_seconds == 7200
    run = db.session.get(SlaRebaseline, run_id)
    assert run.state == "done" and run.moved == 1 and run.requested_by_id == manager.id
    assert api.get("sla/rebaselines").json[0]["moved"] == 1
    timer = api_as(manager).get(f"/api/v1/sla/timers?case_id={old.id}&case_type=gadget").json["items"][0]
    assert timer["target_seconds"] == 7200  # now on the store's own policy (its version 1)
    timeline = [e for e in db.session.execute(sa.text(
        "SELECT action FROM case_events WHERE case_type='gadget' AND case_id=:i"), {"i": old.id}).scalars()]
    assert "sla_rebaselined" in timeline


def test_rebaseline_never_moves_a_breached_clock(api_as, manager, policies, gadget):
    move(timedelta(minutes=61))
    batch.process_due([c for c, _g, _l in batch.due_clock_ids(core_clock.now())])
    uow.commit()
    api = api_as(manager)
    api.put("sla/policies/gadget.reply", {"target_seconds": 86400})
    assert api.post("sla/policies/gadget.reply/rebaseline", {}).json["open_clocks"] == 0


def test_rebaseline_is_for_policy_writers(api_as, advisor):
    assert api_as(advisor).post("sla/policies/claim.payout/rebaseline", {}).status_code == 403


def test_timers_filter_and_store_scope(api_as, advisor, policies, gadget, ladder_people, other_store, make_user):
    api = api_as(advisor)
    resp = api.get("sla/timers?case_type=gadget")
    assert resp.status_code == 200 and resp.json["total"] == 1
    item = resp.json["items"][0]
    assert item["policy_key"] == "gadget.reply" and item["state"] == "running" and item["active"] is True
    assert item["remaining_seconds"] == 3600 and item["due_at"].startswith("2026-03-02T02:00:00")
    assert api.get(f"sla/timers?case_id={gadget.id}&state=met").json["total"] == 0
    assert api.get("sla/timers?state=bogus").status_code == 422
    stranger = make_user("advisor", username="far", store=other_store)
    assert api_as(stranger).get("sla/timers").json["total"] == 0


def test_calendar_api(api_as, manager, advisor, store, other_store):
    api = api_as(manager)
    got = api.get(f"sla/calendars/{store.id}")
    assert got.status_code == 200 and got.json["own"] is False
    assert got.json["week"][0] == [["08:30", "12:00"], ["13:30", "18:00"]]
    week = ["08:00-12:00, 13:00-17:30"] * 5 + [[["09:00", "12:00"]], []]
    resp = api.put(f"sla/calendars/{store.id}", {"week": week, "timezone": "Asia/Shanghai"})
    assert resp.status_code == 200, resp.json
    assert resp.json["own"] is True and resp.json["week"][6] == [] and resp.json["week"][5] == [["09:00", "12:00"]]
    days = api.post(f"sla/calendars/{store.id}/days", {"day": "2026-10-01", "until": "2026-10-07",
                                                        "kind": "holiday", "name": "National Day"})
    assert days.status_code == 201 and len(days.json) == 7
    part = api.post(f"sla/calendars/{store.id}/days", {"day": "2026-03-03", "kind": "closure",
                                                        "spans": "13:30-16:00", "name": "training"})
    assert part.json[0]["spans"] == [["13:30", "16:00"]]
    assert api.delete(f"sla/calendars/{store.id}/days/{part.json[0]['id']}").status_code == 204
    assert len(api.get(f"sla/calendars/{store.id}").json["days"]) == 7
    # bad input: 422, nothing changed
    assert api.put(f"sla/calendars/{store.id}", {"week": ["08:00-07:00"] * 7}).status_code == 422
    assert api.put(f"sla/calendars/{store.id}", {"week": [""] * 7}).status_code == 422
    assert api.put(f"sla/calendars/{store.id}", {"week": week, "timezone": "Mars/Olympus"}).status_code == 422
    assert api.put(f"sla/calendars/{store.id}", {"week": week[:3]}).status_code == 422
    assert api.post(f"sla/calendars/{store.id}/days", {"day": "2026-05-01", "kind": "workday"}).status_code == 422
    assert api.get(f"sla/calendars/{store.id}").json["week"][0] == [["08:00", "12:00"], ["13:00", "17:30"]]
    # roles and stores
    assert api_as(advisor).get(f"sla/calendars/{store.id}").status_code == 200
    assert api_as(advisor).put(f"sla/calendars/{store.id}", {"week": week}).status_code == 403
    assert api.get(f"sla/calendars/{other_store.id}").status_code == 404


def test_store_calendar_drives_business_clocks(api_as, manager, gadgets, store, customer, ladder_people):
    from tests.sla.factories import make_policy

    make_policy("gadget.reply", 2 * 3600, calendar="business")
    api_as(manager).post(f"sla/calendars/{store.id}/days", {"day": "2026-03-02", "kind": "holiday"})
    g = open_gadget(store, customer, ladder_people["assignee"])  # Monday 09:00, but Monday is a holiday
    c = db.session.scalar(sa.select(SlaClock).where(SlaClock.case_id == g.id))
    assert c.due_at == T0 + timedelta(days=1, hours=1, minutes=30)  # Tuesday 08:30 + 2 h


def test_jobs_overview(api_as, manager, advisor, policies, gadget):
    resp = api_as(manager).get("sla/jobs")
    assert resp.status_code == 200
    assert resp.json["scheduled"] >= 1 and resp.json["failed_count"] == 0
    assert api_as(advisor).get("sla/jobs").status_code == 403


def test_openapi_documents_the_sla_routes(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/sla/policies", "/api/v1/sla/policies/{key}", "/api/v1/sla/timers",
                 "/api/v1/notifications"):
        assert path in spec["paths"]


def test_jobs_overview_answers_503_while_redis_is_down(app, api_as, manager, monkeypatch):
    """Nothing listens on the configured Redis: the documented 503 with the error body, not a 500."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    resp = api_as(manager).get("sla/jobs")
    assert resp.status_code == 503, resp.get_data(as_text=True)
    body = resp.get_json()["error"]
    assert body["code"] == "service_unavailable" and body["status"] == 503
    assert "Traceback" not in resp.get_data(as_text=True)
