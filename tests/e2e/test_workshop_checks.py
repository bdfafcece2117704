"""The workshop takes a signed work order from the board through repair and the three checks; a failed
final QC sends it back for rework first."""
from __future__ import annotations

from playwright.sync_api import expect

from claimdesk.extensions import db
from claimdesk.workorders.models import WorkOrder
from tests.e2e.flows import authorised_work_order, next_step_card, server_view, sign_check
from tests.factories import CustomerFactory, VehicleFactory


def test_workshop_passes_self_team_lead_and_final_checks(staff, store, advisor, make_user):
    tech = make_user("workshop", username="liu", full_name="刘师傅", team="Team A")
    # one person signs one check: the team leader and the QC inspector sign the other two
    lead = make_user("workshop", username="lead", full_name="钱组长", team="Team A")
    qc = make_user("qc_inspector", username="qc", full_name="孙质检")
    vehicle = VehicleFactory(customer=CustomerFactory(store=store, name="陈先生"), plate="粤A88888", model="Sagitar")
    wo = authorised_work_order(advisor, vehicle, "Squeak when braking")
    s = staff(tech)
    page = s.page

    # The job waits on the workshop board; the technician opens it from there.
    s.follow("Workshop board", within=page.locator("nav"))
    card = page.locator(".board-col", has_text="Authorised").locator(".board-card", has_text="粤A88888")
    expect(card).to_contain_text(wo.number)
    s.shot("board")
    s.submit(card)
    expect(next_step_card(s)).to_contain_text("Dispatch the job to a team")
    expect(next_step_card(s).get_by_label("Team")).to_have_value("Team A")  # the technician's own team
    next_step_card(s).get_by_label("Technician").select_option(label="刘师傅 (Team A)")
    s.press("Dispatch", within=next_step_card(s))
    s.expect_success()
    s.press("Repair complete", within=next_step_card(s))
    s.expect_success()
    s.shot("quality-check")

    sign_check(s, "Technician self-check")
    leader, inspector = staff(lead), staff(qc)
    leader.goto(page.url)
    sign_check(leader, "Team-leader check", recommendations="Brake fluid due at the next service.")
    # Final QC finds a problem: the job goes back to repair (返工) and the checks start again.
    inspector.goto(page.url)
    ip = inspector.page
    ip.locator("details summary", has_text="Check failed: back to repair").click()
    failed = ip.locator("form[action$='/act/fail_check']")
    failed.get_by_label("Check").select_option(label="Final QC")
    failed.get_by_label("What failed").fill("Left front caliper bolt not torqued to spec.")
    inspector.press("Check failed: back to repair", within=failed)
    inspector.expect_success()
    expect(ip.locator("h1 ~ .badge", has_text="Rework 1")).to_be_visible()
    expect(ip.locator("h1 + .badge")).to_have_text("In repair")
    s.goto(page.url)
    s.press("Repair complete", within=next_step_card(s))
    s.expect_success()
    sign_check(s, "Technician self-check")
    leader.goto(page.url)
    sign_check(leader, "Team-leader check")
    inspector.goto(page.url)
    sign_check(inspector, "Final QC")
    expect(ip.locator("h1 + .badge")).to_have_text("Ready for delivery")
    expect(next_step_card(inspector)).to_contain_text("Waiting on the service advisor")
    inspector.shot("ready")

    server_view()
    done = db.session.get(WorkOrder, wo.id)
    assert done.state == "ready" and done.rework_count == 1 and done.team == "Team A"
    signed = [(c.round, c.stage, c.passed) for c in done.checks]
    assert signed == [(0, "self", True), (0, "team_lead", True), (0, "final", False),
                      (1, "self", True), (1, "team_lead", True), (1, "final", True)]
    assert [c.signed_by for c in done.checks] == ["刘师傅", "钱组长", "孙质检", "刘师傅", "钱组长", "孙质检"]
