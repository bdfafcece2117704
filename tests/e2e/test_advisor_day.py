"""The advisor's whole day: book a car that is due from the due list, receive it the next day through the
pre-filled reception, revise the promised time once with the customer's agreement, deliver; the follow-up
callback scores 2 and a complaint lands in customer relations' list with its first-response clock running.
The server runs in this process, so `core.clock.set_now` moves its time too."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from claimdesk.appointments.models import Appointment
from claimdesk.complaints.models import Complaint
from claimdesk.core import clock, uow
from claimdesk.extensions import db
from claimdesk.reminders.models import ServiceReminder
from claimdesk.sla.models import SlaClock
from claimdesk.workorders.models import WorkOrder
from tests.e2e.flows import SHANGHAI, authorise, estimate, next_step_card, server_view, workshop_repairs
from tests.factories import CustomerFactory, VehicleFactory

MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)


def test_advisor_books_receives_delays_delivers_and_the_unhappy_callback_complains(staff, store, advisor,
                                                                                   make_user):
    clock.set_now(MONDAY)
    try:
        _journey(staff, store, advisor, make_user)
    finally:
        clock.set_now(None)


def _journey(staff, store, advisor, make_user):
    cr = make_user("customer_relations", username="zhou", full_name="周丽")
    tech = make_user("workshop", username="liu", full_name="刘师傅", team="Team A")
    lead_user = make_user("workshop", username="lead", full_name="钱组长", team="Team A")
    qc_user = make_user("qc_inspector", username="qc", full_name="孙质检")
    vehicle = VehicleFactory(customer=CustomerFactory(store=store, name="陈先生"), plate="粤A66666", model="Lavida",
                             mileage_km=29500, next_service_date=MONDAY.date() + timedelta(days=5))
    uow.commit()
    tuesday = MONDAY.date() + timedelta(days=1)

    # Monday: the advisor books the car from the due list, for Tuesday 10:00.
    s = staff(advisor)
    page = s.page
    s.follow("Service due", within=page.locator("nav"))
    row = page.locator("tbody tr", has_text="粤A66666")
    expect(row).to_contain_text("by date")
    s.follow("Book", within=row)
    page.get_by_label("Day").fill(tuesday.isoformat())
    s.press("Show free slots")
    ten = datetime.combine(tuesday, datetime.min.time().replace(hour=10), tzinfo=SHANGHAI)
    page.get_by_label(f"Slot on {tuesday.isoformat()}").select_option(ten.isoformat())
    page.get_by_label("What the customer asks for").fill("10,000 km service; brakes squeak")
    s.shot("booking-from-due-list")
    s.press("Book")
    s.expect_success("Appointment booked")
    expect(page.locator("tbody tr", has_text="粤A66666")).to_contain_text("Booked for")
    s.goto(f"/appointments/?date={tuesday.isoformat()}")
    expect(page.locator("table.diary tbody tr", has_text="粤A66666")).to_contain_text("10:00")
    s.shot("diary-tuesday")

    # Tuesday: the car is on the advisor's arrivals; the reception comes pre-filled.
    clock.set_now(ten - timedelta(minutes=10))
    s.login()  # a day later the session has idled out: the advisor logs in again
    arrivals = page.locator(".card", has_text="My arrivals today")
    expect(arrivals).to_contain_text("粤A66666")
    s.shot("home-arrivals")
    s.follow("10:00", within=arrivals)
    expect(page.get_by_label("The customer's own description of the problem")).to_have_value(
        "10,000 km service; brakes squeak")
    expect(page.locator("#f-vehicle_id")).to_have_value(str(vehicle.id))
    page.get_by_label("Mileage today (km)").fill("30120")
    s.shot("prefilled-reception")
    s.press("Open work order")
    s.expect_success("opened")
    wo_url = page.url

    estimate(s, [("Labour", "10,000 km service", "1", "300.00"),
                 ("Labour", "Clean and grease front brake pads", "0.5", "200.00")], "Pads glazed, no wear")
    authorise(s, promised_in=timedelta(hours=6))

    # A part of the job takes longer: the customer agrees on the phone to a later time (once).
    page.locator("details summary", has_text="Revise promised time").click()
    form = page.locator("form[action$='/act/revise_promise']")
    later = (clock.now() + timedelta(hours=9)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    form.get_by_label("New promised completion").fill(later)
    form.get_by_label("Reason for the delay").fill("Brake cleaner out of stock until 15:00")
    s.press("Revise promised time", within=form)
    s.expect_success()

    w = staff(tech)
    w.goto(wo_url)
    workshop_repairs(w, lead=staff(lead_user), qc=staff(qc_user))
    s.goto(wo_url)
    s.press("Customer notified", within=next_step_card(s))
    s.expect_success()
    s.press("Deliver", within=next_step_card(s))
    s.expect_success()
    expect(page.locator("h1 + .badge")).to_have_text("Delivered")

    # The follow-up call: satisfaction 2 of 5 → a complaint for customer relations, clock running.
    clock.set_now(clock.now() + timedelta(days=2))
    c = staff(cr)
    c.goto(wo_url)
    card = c.page.locator("form[action$='/act/follow_up']").first
    card.get_by_label("Outcome").select_option(label="Customer reached")
    card.get_by_label("2", exact=True).check()
    card.get_by_label("What the customer said").fill("刹车还是有点响 — the brakes still squeak a little")
    c.press("Record callback", within=card)
    c.expect_success()
    c.follow("Complaints", within=c.page.locator("nav"))
    expect(c.page.locator("main")).to_contain_text("粤A66666")
    c.shot("complaint-in-customer-relations-list")

    server_view()
    appt = db.session.scalar(sa.select(Appointment))
    wo = db.session.get(WorkOrder, appt.work_order_id)
    reminder = db.session.scalar(sa.select(ServiceReminder))
    assert reminder.state == "booked" and reminder.appointment_id == appt.id and appt.source == "reminder"
    assert appt.state == "arrived" and wo.vehicle_id == vehicle.id and wo.assignee_id == advisor.id
    assert len(wo.promise_revisions) == 1 and wo.state in ("delivered", "closed")
    complaint = db.session.scalar(sa.select(Complaint).where(Complaint.work_order_id == wo.id))
    assert complaint.assignee_id == cr.id and complaint.channel == "callback"
    first = db.session.scalar(sa.select(SlaClock).where(SlaClock.case_type == "complaint",
                                                        SlaClock.case_id == complaint.id,
                                                        SlaClock.policy_key == "complaint.first_response"))
    assert first.state == "running"
