"""A manager tightens the complaint first-response target in the SLA pages, a complaint is left waiting past
it, the SLA jobs fire (the sweep and an RQ worker, as in production), and the manager sees the breach on
the dashboard (counter, the breached-now table), opens the case from it, acknowledges the escalation in
place on the dashboard, and finds it acknowledged on the SLA timers page."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from rq import SimpleWorker

from claimdesk import jobs
from claimdesk.complaints.models import Complaint
from claimdesk.core import clock
from claimdesk.extensions import db
from claimdesk.sla import jobs as sla_jobs
from claimdesk.sla.models import SlaClock
from tests.complaints.factories import open_complaint
from tests.e2e.flows import server_view
from tests.factories import CustomerFactory


def run_sla_jobs() -> None:
    """What `flask claimdesk cron` and `flask claimdesk worker` do: the sweep finds the due clocks and
    enqueues a batch; a worker runs it (burst: until the queues are empty)."""
    assert sla_jobs.sweep() >= 1
    worker = SimpleWorker(jobs.all_queues(), connection=jobs.connection(), job_class=jobs.AppJob)
    worker.work(burst=True, with_scheduler=False)


def test_manager_sees_the_breach_and_acknowledges_it(staff, store, clerk, make_user):
    manager = make_user("manager", username="huang", full_name="黄经理")
    start = clock.now().replace(microsecond=0)
    clock.set_now(start)  # the server runs in this process: it sees the same moved time
    m = staff(manager)
    page = m.page

    # The manager sets a 10-minute first response, around the clock, for the store.
    m.follow("SLA policies", within=page.locator("nav"))
    row = page.locator("tbody tr", has_text="complaint.first_response")
    m.follow("Edit", within=row)
    page.get_by_label("Target", exact=True).fill("10")
    page.get_by_label("Unit").first.select_option(label="minutes")
    page.get_by_label("Counted in").select_option(label="around the clock (24x7)")
    m.shot("policy-form")
    m.press("Save as a new version")
    m.expect_success("Saved as version")
    m.follow("SLA policies", within=page.locator("nav"))
    expect(page.locator("tbody tr", has_text="complaint.first_response")).to_contain_text("10m")
    m.shot("policies")

    # A phone complaint comes in for the clerk; nobody calls the customer back.
    server_view()
    customer = CustomerFactory(store=store, name="周女士", phone="13711112222")
    complaint = open_complaint(clerk, customer, channel="phone", assignee_id=clerk.id,
                               description="Car returned dirty, seats stained.", category="service_attitude")
    clock.set_now(start + timedelta(minutes=11))
    page.clock.set_fixed_time(clock.now())  # the pages' time-left counters run on the browser's clock
    run_sla_jobs()

    # The breach on the dashboard: counted, and listed first among the breached and at-risk timers.
    m.follow("Dashboard", within=page.locator("nav"))
    expect(page.locator("[data-counter='breached_now']")).to_have_text("1")
    urgent = page.locator("table[data-section='urgent'] tbody tr", has_text=complaint.number)
    expect(urgent).to_contain_text("Complaint: first response")
    expect(urgent.get_by_role("button", name="Acknowledge")).to_be_visible()
    m.shot("dashboard-breach")

    # The case page, opened from the dashboard, says the same.
    m.follow(complaint.number, within=urgent)
    expect(page.locator(".sla-summary")).to_contain_text("breached")
    m.shot("complaint-escalated")

    # Back on the dashboard the manager takes ownership of the escalation in place.
    page.go_back()
    urgent = page.locator("table[data-section='urgent'] tbody tr", has_text=complaint.number)
    m.press("Acknowledge", within=urgent)
    m.expect_success("escalation acknowledged")
    assert "/dashboard" in page.url
    urgent = page.locator("table[data-section='urgent'] tbody tr", has_text=complaint.number)
    expect(urgent.get_by_role("button", name="Acknowledge")).to_have_count(0)
    m.shot("dashboard-acknowledged")

    # The SLA timers page: breached, and acknowledged; the breach notice reached the inbox.
    m.follow("SLA timers", within=page.locator("nav"))
    breached = page.locator("tbody tr", has_text=complaint.number).filter(has_text="Complaint: first response")
    expect(breached).to_contain_text("breached")
    expect(breached).to_contain_text("acknowledged")
    expect(page.locator("[data-bell-count]")).not_to_have_text("")
    m.shot("timers-acknowledged")

    server_view()
    c = db.session.get(Complaint, complaint.id)
    first = db.session.query(SlaClock).filter_by(case_type="complaint", case_id=c.id,
                                                 policy_key="complaint.first_response").one()
    assert first.state == "breached" and first.target_seconds == 600 and first.escalation_level == 2
    assert first.acknowledged_by_id == manager.id
