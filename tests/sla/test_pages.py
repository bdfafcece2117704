"""SLA pages and the Jinja helpers the case pages call (summary, time left, batch preload)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template_string
from sqlalchemy import event

from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.sla.models import SlaPolicy
from tests.sla.casetype import open_gadget
from tests.sla.conftest import move


def test_timers_page_lists_open_timers_most_urgent_first(client, login, advisor, policies, gadget):
    login(advisor)
    html = client.get("/sla/timers").get_data(as_text=True)
    assert "gadget.reply" in html or "Time left" in html
    assert gadget.number in html and 'data-due="2026-03-02T02:00:00+00:00"' in html


def test_policy_pages_for_managers_only(client, login, manager, advisor):
    login(advisor)
    assert client.get("/sla/policies").status_code == 403
    client.post("/logout")
    login(manager)
    html = client.get("/sla/policies").get_data(as_text=True)
    assert "Complaint: first response" in html and "complaint.first_response" in html
    form = client.get("/sla/policies/complaint.first_response/edit")
    assert form.status_code == 200 and 'name="target_value"' in form.get_data(as_text=True)


def test_policy_form_saves_a_store_version_and_offers_rebaseline(client, login, manager, store):
    login(manager)
    resp = client.post("/sla/policies/complaint.first_response/edit", data={
        "store_id": "", "target_value": "3", "target_unit": "hours", "calendar": "business", "warn_percent": "80",
        "escalate_after_value": "1", "escalate_after_unit": "days", "pause_reasons": ["waiting_customer"],
        "level_1": "1", "notify_1": ["assignee"], "level_2": "1", "notify_2": ["assignee", "manager"]})
    assert resp.status_code == 302 and "/rebaseline" in resp.headers["Location"]
    row = db.session.scalar(sa.select(SlaPolicy).where(SlaPolicy.key == "complaint.first_response",
                                                       SlaPolicy.store_id == store.id))
    assert row.target_seconds == 3 * 3600 and row.warn_ratio == 0.8 and row.escalate_after_seconds == 86400
    assert row.pause_reasons == ["waiting_customer"] and [s["level"] for s in row.ladder] == [1, 2]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "0 deadlines" in page or "would move 0" in page


def test_policy_form_rejects_bad_input(client, login, manager, store):
    login(manager)
    resp = client.post("/sla/policies/complaint.first_response/edit", data={
        "target_value": "soon", "target_unit": "hours", "calendar": "business", "warn_percent": "120",
        "escalate_after_value": "1", "escalate_after_unit": "hours"})
    assert resp.status_code == 422 and "is-invalid" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy).where(
        SlaPolicy.store_id == store.id)) == 0


def test_calendar_page_edit_and_days(client, login, manager, advisor, store):
    login(manager)
    page = client.get("/sla/calendar")
    assert page.status_code == 200 and "08:30-12:00, 13:30-18:00" in page.get_data(as_text=True)
    data = {f"day{i}": "08:00-12:00, 13:00-17:00" for i in range(6)}
    data.update(day6="", timezone="Asia/Shanghai", store_id=str(store.id))
    assert client.post("/sla/calendar", data=data).status_code == 302
    assert "08:00-12:00, 13:00-17:00" in client.get("/sla/calendar").get_data(as_text=True)
    bad = client.post("/sla/calendar", data={**data, "day2": "17:00-08:00"})
    assert bad.status_code == 422
    resp = client.post(f"/sla/calendar/{store.id}/days", data={"day": "2026-10-01", "until": "2026-10-03",
                                                             "kind": "holiday", "name": "National Day"})
    assert resp.status_code == 302
    html = client.get("/sla/calendar").get_data(as_text=True)
    assert html.count(">National Day<") == 3
    client.post("/logout")
    login(advisor)
    assert client.get("/sla/calendar").status_code == 200
    assert client.post("/sla/calendar", data=data).status_code == 403


def test_clock_summary_and_time_left_helpers(app, policies, gadget, ladder_people):
    with app.test_request_context("/"):
        summary = str(render_template_string("{{ sla_clock_summary(case) }}", case=gadget))
        left = str(render_template_string("{{ sla_time_left(case) }}", case=gadget))
    assert "sla-summary" in summary and "1h 0m" in summary and "running" in summary
    assert left.startswith('<span class="time-left" data-due="2026-03-02T02:00:00+00:00"') and "1h 0m" in left
    move(timedelta(minutes=50))
    with app.test_request_context("/"):
        left = str(render_template_string("{{ sla_time_left(case) }}", case=gadget))
    assert 'class="time-left at-risk"' in left and "10m" in left
    move(timedelta(minutes=20))
    with app.test_request_context("/"):
        left = str(render_template_string("{{ sla_time_left(case) }}", case=gadget))
    assert "overdue" in left and "-10m" in left


def test_paused_marker(app, policies, gadget, ladder_people):
    from tests.sla.casetype import WF

    WF.perform(gadget, "pause", {"reason": "waiting_customer"}, ladder_people["assignee"])
    uow.commit()
    with app.test_request_context("/"):
        left = str(render_template_string("{{ sla_time_left(case) }}", case=gadget))
        summary = str(render_template_string("{{ sla_clock_summary(case) }}", case=gadget))
    assert "data-paused" in left and "paused" in left
    assert "Waiting on the customer" in summary


def test_a_list_of_fifty_cases_costs_one_query(app, policies, store, customer, ladder_people):
    cases = [open_gadget(store, customer, ladder_people["assignee"]) for _ in range(50)]
    uow.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        if "sla_clocks" in statement:
            statements.append(statement)

    engine = db.session.get_bind().engine if hasattr(db.session.get_bind(), "engine") else db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with app.test_request_context("/"):
            html = str(render_template_string(
                "{% do preload_clocks('gadget', cases) %}{% for c in cases %}{{ sla_time_left(c) }}{% endfor %}",
                cases=cases))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert html.count('class="time-left"') == 50
    assert len(statements) == 1


def test_no_clock_no_markup(app, gadgets, store, customer, ladder_people):
    g = open_gadget(store, customer, ladder_people["assignee"], starts=())
    with app.test_request_context("/"):
        assert str(render_template_string("[{{ sla_time_left(c) }}{{ sla_clock_summary(c) }}]", c=g)) == "[]"


def test_policies_page_follows_a_queued_rebaselining_run(client, login, manager, store):
    """While a run is queued its row says the timers are being moved and the page reloads itself; once the
    job wrote how many it moved, the page stops reloading."""
    from claimdesk.core import uow
    from claimdesk.sla import policies, services

    policies.update_policy("complaint.first_response", store.id, {"target_seconds": 7200}, manager)
    run = services.request_rebaseline(manager, "complaint.first_response", store.id, 0)
    uow.commit()
    login(manager)
    html = client.get(f"/sla/policies?store_id={store.id}").get_data(as_text=True)
    assert 'data-refresh="5"' in html and "moving the open timers" in html
    run.moved = 0
    run.state = "done"
    uow.commit()
    html = client.get(f"/sla/policies?store_id={store.id}").get_data(as_text=True)
    assert "data-refresh" not in html and "moving the open timers" not in html
