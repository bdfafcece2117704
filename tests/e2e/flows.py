"""Steps several journeys share, done the way staff do them in the pages."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.extensions import db
from claimdesk.workorders.services import open_work_order
from claimdesk.workorders.workflow import WF as WORK_ORDERS

SHANGHAI = ZoneInfo("Asia/Shanghai")


def server_view():
    """The test's session, with its transaction ended so it sees what the server committed since (SQLite
    reads from a snapshot per transaction; writing on a stale one is refused). Call after browser steps."""
    db.session.rollback()  # everything the test made is committed already; this only ends the snapshot
    return db.session


def local_input(delta: timedelta) -> str:
    """A datetime-local value (store time) `delta` from now."""
    return (now() + delta).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def next_step_card(s):
    return s.page.locator(".next-step")


def estimate(s, lines: list[tuple[str, str, str, str]], diagnosis: str):
    """The advisor types the estimate: (kind label, description, quantity, unit price) per line."""
    page = s.page
    card = next_step_card(s)
    card.get_by_label("Diagnosis").fill(diagnosis)
    for i, (kind, description, quantity, price) in enumerate(lines):
        card.locator(f"[name=lines-{i}-kind]").select_option(label=kind)
        card.locator(f"[name=lines-{i}-description]").fill(description)
        card.locator(f"[name=lines-{i}-quantity]").fill(quantity)
        card.locator(f"[name=lines-{i}-unit_price]").fill(price)
    s.press("Save estimate", within=card)
    s.expect_success()
    expect(page.locator("table.lines tbody tr")).to_have_count(len(lines))


def authorise(s, promised_in: timedelta = timedelta(days=1)):
    """The customer signs; every proposed line approved (the form's default)."""
    card = next_step_card(s)
    card.get_by_label("Promised completion").fill(local_input(promised_in))
    card.get_by_label("Payment method").select_option(label="WeChat Pay")
    s.press("Customer authorises", within=card)
    s.expect_success()


def sign_check(s, stage_label: str, recommendations: str | None = None):
    card = next_step_card(s)
    expect(card.locator("legend")).to_have_text(stage_label)
    if recommendations:
        card.get_by_label("Recommendations", exact=True).fill(recommendations)
    s.press("Sign check passed", within=card)
    s.expect_success()
    expect(s.page.locator(".list-group-item").filter(has_text=f"{stage_label}: passed").last).to_be_visible()


def workshop_repairs(s, *, lead, qc, team: str = "Team A"):
    """On the work-order page: dispatch, repair, and the three checks → ready. One person signs one check:
    the technician (`s`) the self-check, the team leader (`lead`) the second, the QC inspector (`qc`) the
    final one (each a logged-in Staff)."""
    page = s.page
    card = next_step_card(s)
    card.get_by_label("Team").fill(team)
    s.press("Dispatch", within=card)
    s.expect_success()
    s.press("Repair complete", within=next_step_card(s))
    s.expect_success()
    sign_check(s, "Technician self-check")
    lead.goto(page.url)
    sign_check(lead, "Team-leader check", recommendations="Rear tyres at 3 mm: replace within 5,000 km.")
    qc.goto(page.url)
    sign_check(qc, "Final QC")
    expect(qc.page.locator("h1 + .badge")).to_have_text("Ready for delivery")


def authorised_work_order(advisor, vehicle, description: str):
    """A work order estimated and signed at reception (the advisor's part, through the services)."""
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": vehicle.mileage_km + 1200, "customer_description": description})
    WORK_ORDERS.perform(wo, "estimate", {"lines": [
        {"kind": "labour", "description": "Replace front brake pads", "quantity": "1.5", "unit_price": "200.00",
         "pay_type": "customer"},
        {"kind": "part", "description": "Front brake pads", "quantity": "1", "unit_price": "480.00",
         "pay_type": "customer"}]}, advisor)
    WORK_ORDERS.perform(wo, "authorise", {"signed_by": vehicle.customer.name,
                                          "promised_at": (now() + timedelta(hours=6)).isoformat()}, advisor)
    uow.commit()
    return wo
