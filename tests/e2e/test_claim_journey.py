"""An advisor runs an accident car from the claim report to the payout: the car arrives (an insurance work
order opens), the joint assessment, the repair through the workshop, the documents (scans uploaded from
the browser) and the insurer's payout."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from claimdesk.claims.models import Claim
from claimdesk.documents.services import documents_of
from claimdesk.extensions import db
from tests.claims.factories import PDF, PNG, InsurerFactory
from tests.e2e.flows import authorise, estimate, local_input, next_step_card, server_view, workshop_repairs
from tests.factories import CustomerFactory, VehicleFactory

REQUIRED = ["vehicle_licence", "driving_licence", "assessment_report", "authorisation"]


def _search(s, text: str):
    """Type into the navbar's search box and press Enter (a case number opens the case)."""
    box = s.page.locator("nav").get_by_role("searchbox", name="Search")
    box.fill(text)
    s.submit_by(lambda: box.press("Enter"))


def _document_row(page, label: str):
    return page.locator("#documents tbody tr", has_text=label)


def test_advisor_runs_an_accident_car_from_report_to_payout(staff, store, advisor, make_user):
    customer = CustomerFactory(store=store, name="张伟", phone="13600001111")
    VehicleFactory(customer=customer, plate="粤B6D123", make="Volkswagen", model="Magotan", mileage_km=35000)
    InsurerFactory(name="人保财险 PICC", short_name="PICC", required_documents=REQUIRED)
    InsurerFactory(name="平安产险 Ping An", short_name="PAIC")
    tech = make_user("workshop", username="zhao", full_name="赵师傅", team="Body shop")
    lead_user = make_user("workshop", username="e2e_lead", full_name="钱组长", team="Body shop")
    qc_user = make_user("qc_inspector", username="e2e_qc", full_name="孙质检")
    s = staff(advisor)
    page = s.page

    # The owner phones after the accident: the advisor finds him by phone from the search box.
    _search(s, "13600001111")
    expect(page.locator("h1")).to_contain_text("张伟")
    s.follow("New claim")

    # Report (报案).
    page.get_by_label(re.compile(r"^Insurer \*")).select_option(label="人保财险 PICC")
    page.get_by_label("Insurer's report number (报案号)").fill("RDAA2026440100000567")
    page.get_by_label("Commercial policy no. (商业险)").fill("PDAA202644010000001234")
    page.get_by_label("Accident date and time").fill(local_input(-timedelta(hours=20)))
    page.get_by_label("Accident place").fill("深南大道 / Shennan Avenue")
    page.get_by_label("What happened, damage seen").fill("Rear-ended at a red light: rear bumper and boot lid.")
    page.get_by_label("Liability").select_option(label="None (无责)")
    s.shot("claim-report-form")
    s.press("Report claim")
    s.expect_success("reported")
    number = page.locator("h1").inner_text().split()[-1]
    assert number.startswith("CL-")

    # The car arrives: the insurance work order is opened from the claim.
    expect(next_step_card(s)).to_contain_text("Receive the car")
    s.press("Car arrived: open the work order", within=next_step_card(s))
    s.expect_success()

    # Joint assessment (定损): book it, then record the assessor's figures.
    next_step_card(s).get_by_label("Appointment").fill(local_input(timedelta(hours=2)))
    next_step_card(s).get_by_label("Assessor's name").fill("王定损")
    s.press("Book assessment", within=next_step_card(s))
    s.expect_success()
    card = next_step_card(s)
    card.get_by_label("Approved amount (¥)").fill("5000.00")
    card.get_by_label("Damage items agreed, one a line: description ; amount").fill(
        "Rear bumper cover ; 1800\nBoot lid ; 2600\nLabour ; 600")
    s.press("Record assessment", within=card)
    s.expect_success()
    expect(next_step_card(s)).to_contain_text("Repair in progress on the work order")
    s.shot("claim-in-repair")

    # Repair: the linked work order, estimated and signed by the advisor …
    wo_link = page.locator("p.text-muted a", has_text="WO-")
    wo_number = wo_link.inner_text()
    s.submit(wo_link)
    expect(page.locator("h1")).to_have_text(wo_number)
    estimate(s, [("Labour", "Replace rear bumper and boot lid", "2", "300.00"),
                 ("Part", "Rear bumper cover", "1", "1800.00"),
                 ("Part", "Boot lid", "1", "2600.00")], diagnosis="Rear impact, no structural damage")
    expect(page.locator("table.lines tbody")).to_contain_text("Insurance")  # the work order's pay type
    authorise(s)
    wo_url = page.url

    # … and taken through the workshop (dispatch, repair, self / team-lead / final checks).
    w = staff(tech)
    w.goto(wo_url)
    lead, qc = staff(lead_user), staff(qc_user)
    workshop_repairs(w, lead=lead, qc=qc, team="Body shop")
    w.shot("insurance-work-order-ready")

    # The owner comes for the car, but the claim's documents are not in yet: delivery is refused by name.
    s.goto(wo_url)
    s.press("Customer notified", within=next_step_card(s))
    s.expect_success()
    s.press("Deliver", within=next_step_card(s))
    expect(page.locator("main > .alert-danger")).to_contain_text("Cannot release the car")
    s.shot("delivery-refused-documents-missing")

    # Documents (单证): scans uploaded from the browser, the rest handed over on paper; all verified.
    _search(s, number)  # the work-order page does not link its claim: the advisor types the claim number
    expect(page.locator("h1 + .badge")).to_have_text("Documents")
    upload = page.locator("form[action$='/documents']")
    sent_with_progress = []  # app.js sends uploads itself to show their progress (core.web.go_back)
    page.on("request", lambda r: sent_with_progress.append(r.url)
            if r.method == "POST" and r.headers.get("x-claimdesk-progress") else None)
    for kind, name, mime, data in (("Vehicle licence (行驶证)", "xingshizheng.png", "image/png", PNG),
                                   ("Loss-assessment report (定损单)", "dingsundan.pdf", "application/pdf", PDF)):
        upload.get_by_label("Document").select_option(label=kind)
        upload.get_by_label("Scan or photo (PDF, JPEG, PNG)").set_input_files(
            {"name": name, "mimeType": mime, "buffer": data})
        s.press("Upload", within=upload)
        s.expect_success("uploaded")
        expect(_document_row(page, kind)).to_contain_text(name)
    assert len(sent_with_progress) == 2 and all(u.endswith("/documents") for u in sent_with_progress)
    for label in ("Vehicle licence", "Driving licence", "Loss-assessment report", "Signed authorisation"):
        s.press("verified", within=_document_row(page, label))
        s.expect_success()
    expect(page.locator("#documents .card-header")).to_contain_text("complete")
    s.shot("claim-documents-complete")

    # Now the car may go: deliver, the owner signs.
    s.goto(wo_url)
    s.press("Deliver", within=next_step_card(s))
    s.expect_success()
    expect(page.locator("h1 + .badge")).to_have_text("Delivered")

    # Submit to the insurer, the payout arrives, reconcile and close.
    _search(s, number)
    card = next_step_card(s)
    card.get_by_label("Repair invoice amount (¥)").fill("5000.00")
    s.press("Submit to insurer", within=card)
    s.expect_success()
    card = next_step_card(s)
    expect(card.get_by_label("Amount received (¥)")).to_have_value("5000.00")
    card.get_by_label("Paid on").fill(local_input(timedelta(minutes=-5)))
    card.get_by_label("Bank reference").fill("PICC-PAY-8812")
    s.press("Record payout", within=card)
    s.expect_success()
    s.press("Reconcile and close", within=next_step_card(s))
    s.expect_success()
    expect(page.locator("h1 + .badge")).to_have_text("Closed")
    expect(page.locator("#money")).to_contain_text("PICC-PAY-8812")
    s.shot("claim-closed")

    server_view()
    claim = db.session.query(Claim).filter_by(number=number).one()
    assert claim.state == "closed" and claim.documents_complete
    assert claim.approved_total == claim.paid_total == 5000
    assert claim.work_order.number == wo_number and claim.work_order.state == "delivered"
    assert claim.work_order.pay_type == "insurance"
    files = {d.original_filename: d.kind for d in documents_of(claim)}
    assert files == {"xingshizheng.png": "vehicle_licence", "dingsundan.pdf": "assessment_report"}
