"""A customer-relations clerk takes a phone complaint from intake to closed, through the pages."""
from __future__ import annotations

from playwright.sync_api import expect

from claimdesk.complaints.models import Complaint
from claimdesk.extensions import db
from tests.e2e.flows import server_view
from tests.factories import CustomerFactory, VehicleFactory


def test_clerk_logs_a_phone_complaint_and_closes_it(staff, store, clerk):
    customer = CustomerFactory(store=store, name="王芳", phone="13912345678")
    VehicleFactory(customer=customer, plate="粤B12345", model="Lavida")
    CustomerFactory(store=store, name="李雷", phone="13800000001")  # someone else, not found by her number
    s = staff(clerk)
    page = s.page

    # Intake: from "my complaints", find the caller by her phone number and pick her car.
    s.follow("Complaints", within=page.locator("nav"))
    s.follow("New complaint")
    page.get_by_label("Phone number or plate").fill("13912345678")
    s.press("Find")
    results = page.locator(".list-group-item")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("王芳")
    s.shot("intake-found-by-phone")
    s.follow("粤B12345 Lavida")
    page.get_by_label("Channel").select_option(label="Inbound phone")
    page.get_by_label("Category").select_option(label="Repair quality")
    page.get_by_label("The customer's words").fill("刹车异响，上周修过还是响。The brakes still squeal after last week's repair.")
    s.shot("intake-form")
    s.press("Log complaint")
    s.expect_success("logged")
    number = page.locator("h1").inner_text().split()[-1]
    assert number.startswith("CP-")
    expect(page.locator(".next-step")).to_contain_text("record their own account")
    s.shot("complaint-logged")

    # Listen: the customer's own account.
    page.get_by_label("The customer's account (in their words)").fill(
        "She drove 300 km since the repair; the squeal comes back when braking downhill.")
    page.get_by_label("Where").fill("by phone")
    s.press("Record the account")
    s.expect_success()

    # Apologise.
    page.get_by_label("How we thanked the customer and apologised").fill(
        "Thanked her for calling and apologised that the repair did not fix it.")
    s.press("Record the apology")
    s.expect_success()

    # Resolve: our fault, a rework at her convenience.
    page.get_by_label("Attribution").select_option(label="Our fault")
    page.get_by_label("Actions taken").fill("Rework booked for Saturday 10:00; brake pads replaced at our cost.")
    page.get_by_label("Cost to the store (¥)").fill("480")
    page.get_by_label("Customer accepts the resolution?").select_option(label="yes")
    s.shot("resolve-form")
    s.press("Record the resolution")
    s.expect_success()
    expect(page.locator(".next-step")).to_contain_text("are they satisfied")

    # Follow-up call: satisfied closes the complaint.
    page.get_by_label("Satisfied: close the complaint").check()
    page.get_by_label("What the customer said").fill("No more noise, thanks for the quick rework.")
    s.press("Record the call")
    s.expect_success()
    expect(page.locator("h1 + .badge, .badge").filter(has_text="Closed").first).to_be_visible()
    timeline = page.locator("ol.timeline")
    for step in ("Complaint logged", "Listened to the customer", "Apologised", "Resolved", "Followed up"):
        expect(timeline).to_contain_text(step)
    s.shot("complaint-closed")

    # The printable report of the closed case.
    s.follow("Printable report")
    expect(page.locator("body")).to_contain_text(number)
    s.shot("complaint-report")

    server_view()
    c = db.session.query(Complaint).filter_by(number=number).one()
    assert c.state == "closed" and c.channel == "phone" and c.attribution == "our_fault" and c.satisfied
    assert c.customer.phone == "13912345678" and c.vehicle.plate == "粤B12345"
