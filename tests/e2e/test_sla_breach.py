"""A manager tightens the complaint first-response target in the SLA pages, a complaint is left waiting past
it, the SLA jobs fire (the sweep and an RQ worker, as in production), and the manager sees the breach on
the SLA timers page and the case page and acknowledges it.

The managers' dashboard is being built on another branch; until it lands the SLA timers page, the home
page's escalation panel and the case page are where a manager sees a breach."""
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

    # The breach on the SLA timers page: breached, escalated to the managers.
    m.follow("SLA timers", within=page.locator("nav"))
    breached = page.locator("tbody tr", has_text=complaint.number).filter(has_text="Complaint: first response")
    expect(breached).to_contain_text("breached")
    expect(breached).to_have_class("sla-overdue")
    m.shot("timers-breached")
    expect(page.locator("[data-bell-count]")).not_to_have_text("")  # the breach notice is in the inbox

    # The manager opens the case from the timer and takes ownership of the escalation.
    m.follow(complaint.number, within=breached)
    expect(page.locator(".sla-summary")).to_contain_text("breached")
    m.shot("complaint-escalated")
    ack = page.locator("form[action$='/actions/acknowledge']")
    m.press("Acknowledge", within=ack)
    m.expect_success()
    expect(page.locator(".sla-summary .sla-clock", has_text="first response")).to_contain_text("acknowledged")
    m.shot("complaint-acknowledged")

    m.follow("SLA timers", within=page.locator("nav"))
    expect(page.locator("tbody tr", has_text=complaint.number).filter(has_text="Complaint: first response")) \
        .to_contain_text("acknowledged")

    server_view()
    c = db.session.get(Complaint, complaint.id)
    first = db.session.query(SlaClock).filter_by(case_type="complaint", case_id=c.id,
                                                 policy_key="complaint.first_response").one()
    assert first.state == "breached" and first.target_seconds == 600 and first.escalation_level == 2
    assert first.acknowledged_by_id == manager.id
