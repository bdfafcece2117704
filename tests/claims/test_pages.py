"""The advisors' claim pages: board, lists, the claim page with its forms, uploads, print list, insurers."""
from __future__ import annotations

import io
import re

import pytest

from claimdesk.claims.models import Claim, Insurer
from claimdesk.claims.workflow import WF
from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.extensions import db
from tests.claims.factories import PDF, InsurerFactory, advance, new_claim
from tests.factories import CustomerFactory, UserFactory, VehicleFactory


@pytest.fixture
def insurer():
    return InsurerFactory(name="PICC 人保", short_name="PICC")


@pytest.fixture
def claim(advisor, store, insurer):
    return new_claim(advisor, store, insurer)


def page(client, url, status=200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:2000]
    return resp.get_data(as_text=True)


def switch(client, login, user):
    client.post("/logout")
    login(user)


def post(client, claim, action, **data):
    data.setdefault("version", claim.version)
    return client.post(f"/claims/{claim.id}/actions/{action}", data=data)


def test_board_shows_open_claims_by_stage_and_insurer(client, login, advisor, store, claim, insurer):
    other = new_claim(advisor, store, InsurerFactory(name="Ping An 平安", short_name="Ping An"))
    advance(other, advisor, "repair")
    login(advisor)
    html = page(client, "/claims/")
    assert claim.number in html and other.number in html and "PICC" in html
    html = page(client, f"/claims/?insurer_id={insurer.id}")
    assert claim.number in html and other.number not in html
    assert "Record the insurer" in html or "Receive the car" in html


def test_list_filters(client, login, advisor, store, claim):
    login(advisor)
    html = page(client, "/claims/list?state=reported")
    assert claim.number in html
    assert claim.number not in page(client, "/claims/list?state=payout")
    assert claim.number in page(client, f"/claims/list?q={claim.vehicle.plate}")


def test_report_a_claim_through_the_form(client, login, advisor, store, insurer):
    customer = CustomerFactory(store=store)
    vehicle = VehicleFactory(customer=customer)
    login(advisor)
    html = page(client, f"/claims/new?customer_id={customer.id}")
    assert vehicle.plate in html and insurer.name in html
    bad = client.post(f"/claims/new?customer_id={customer.id}", data={"customer_id": customer.id})
    assert bad.status_code == 422 and db.session.query(Claim).count() == 0
    resp = client.post(f"/claims/new?customer_id={customer.id}", data={
        "customer_id": customer.id, "vehicle_id": vehicle.id, "insurer_id": insurer.id,
        "policy_number": "PDAA2026", "report_number": "RDAA2026", "accident_at": "2026-01-05T08:30",
        "description": "Side swipe in a car park", "liability": "equal", "payer_route": "own_damage"})
    assert resp.status_code == 302
    claim = db.session.query(Claim).one()
    assert claim.liability == "equal" and claim.accident_at.isoformat() == "2026-01-05T00:30:00+00:00"
    assert resp.headers["Location"].endswith(f"/claims/{claim.id}")


def test_claim_page_walks_the_flow(client, login, advisor, claim):
    login(advisor)
    html = page(client, f"/claims/{claim.id}")
    assert "Next step" in html and "Car arrived: open the work order" in html
    assert post(client, claim, "vehicle_arrived").status_code == 302
    assert claim.state == "assessment" and claim.work_order_id
    resp = post(client, claim, "assess", assessor_name="Zhang", approved_amount="5,000.00")
    assert claim.state == "assessment"  # bad amount: refused, flashed
    html = page(client, f"/claims/{claim.id}")
    assert "approved_amount" in html
    resp = post(client, claim, "assess", assessor_name="Zhang", approved_amount="5000.00",
                damage_items_text="rear bumper ; 3000\nboot lid ; 2000.00\npaint", present=["owner", "assessor"])
    assert resp.status_code == 302 and claim.state == "repair"
    assert [i["description"] for i in claim.damage_items] == ["rear bumper", "boot lid", "paint"]
    assert claim.damage_items[0]["amount"] == "3000.00" and claim.present == ["assessor", "owner"]
    html = page(client, f"/claims/{claim.id}")
    assert "is reception, not ready" in html  # the gate named on the next step


def test_refused_action_is_flashed_and_changes_nothing(client, login, advisor, store, insurer):
    claim = new_claim(advisor, store, insurer, report_number=None)
    login(advisor)
    resp = post(client, claim, "vehicle_arrived")
    assert resp.status_code == 302 and claim.state == "reported"
    html = page(client, resp.headers["Location"])
    assert "report number is missing" in html


def test_supplement_forms(client, login, advisor, claim):
    advance(claim, advisor, "repair")
    login(advisor)
    post(client, claim, "supplement", description="Cracked headlamp bracket", amount="480",
         lines_text="headlamp bracket ; 480", approved="false")
    sup = claim.supplements[0]
    html = page(client, f"/claims/{claim.id}")
    assert "Cracked headlamp bracket" in html and "Record decision" in html
    post(client, claim, "decide_supplement", supplement_id=sup.id, approved="false", note="old damage")
    assert sup.status == "rejected"
    html = page(client, f"/claims/{claim.id}")
    assert "customer_supplement_decision" in html and "Record customer" in html
    post(client, claim, "customer_supplement_decision", supplement_id=sup.id, customer_pays="false")
    assert sup.customer_decision == "skip"


def test_documents_on_the_page(client, login, advisor, claim):
    login(advisor)
    resp = client.post(f"/claims/{claim.id}/documents", data={"kind": "policy", "file": (io.BytesIO(PDF), "保单.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    item = claim.checklist_item("policy")
    assert item.status == "received" and item.document_id
    html = page(client, f"/claims/{claim.id}")
    assert "保单.pdf" in html
    link = re.search(r'href="(/documents/\d+/content)"', html).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    bad = client.post(f"/claims/{claim.id}/documents", data={"kind": "policy", "file": (io.BytesIO(b"MZ" + b"\0" * 99),
                                                                                         "x.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 302 and "PDF, JPEG" in page(client, bad.headers["Location"])
    post(client, claim, "collect_document", kind="policy", status="verified")
    assert item.status == "verified" and item.status_by_id


@pytest.mark.parametrize("data", [{"kind": "policy"},  # no file
                                  {"kind": "spaceship", "file": (io.BytesIO(PDF), "a.pdf")}],  # no such kind
                         ids=["no-file", "bad-kind"])
def test_a_refused_upload_says_why_and_changes_nothing(client, login, advisor, claim, data):
    from claimdesk.core import events
    from claimdesk.documents.models import Document

    login(advisor)
    version, seen = claim.version, len(events.timeline("claim", claim.id))
    resp = client.post(f"/claims/{claim.id}/documents", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/claims/{claim.id}#documents")
    assert "Choose the document kind and a file." in page(client, resp.headers["Location"])
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert claim.version == version and len(events.timeline("claim", claim.id)) == seen
    assert claim.checklist_item("policy").status == "missing" and claim.checklist_item("policy").document_id is None
    assert db.session.query(Document).filter_by(case_type="claim", case_id=claim.id).count() == 0


def test_print_list_for_the_owner(client, login, advisor, claim):
    WF.perform(claim, "collect_document", {"kind": "policy", "status": "verified"}, advisor)
    uow.commit()
    login(advisor)
    html = page(client, f"/claims/{claim.id}/documents/print")
    assert claim.customer.name in html and "still needed" in html and "data-print" in html
    assert html.count("☐") == 8 and html.count("✓</td>") == 1


def test_waiting_on_documents_and_receivables(client, login, advisor, store, insurer):
    waiting = advance(new_claim(advisor, store, insurer), advisor, "documents")
    submitted = advance(new_claim(advisor, store, insurer), advisor, "payout", approved="1234.50")
    login(advisor)
    html = page(client, "/claims/waiting-documents")
    assert waiting.number in html and submitted.number not in html and "Bank account details" in html
    html = page(client, "/claims/receivables")
    assert submitted.number in html and "¥1,234.50" in html and waiting.number not in html


def test_close_and_reconcile_on_the_page(client, login, advisor, claim):
    advance(claim, advisor, "payout", approved="1000.00")
    login(advisor)
    post(client, claim, "record_payout", amount="800", paid_at=now().strftime("%Y-%m-%dT%H:%M"))
    assert claim.paid_total == 800
    html = page(client, f"/claims/{claim.id}")
    assert "Close with a partial payout" in html
    post(client, claim, "close", shortfall_action="customer_owes")
    assert claim.state == "closed" and str(claim.customer_owes_amount) == "200.00"
    assert "Customer owes" in page(client, f"/claims/{claim.id}")


def test_manager_override_form(client, login, advisor, manager, claim):
    advance(claim, advisor, "documents")
    login(advisor)
    assert "Record manager override" not in page(client, f"/claims/{claim.id}")
    switch(client, login, manager)
    assert "Record manager override" in page(client, f"/claims/{claim.id}")
    post(client, claim, "authorise_release", reason="Owner abroad, documents by courier")
    assert claim.release_override_by_id == manager.id


def test_roles_on_pages(client, login, clerk, workshop, claim, other_store):
    login(clerk)
    html = page(client, f"/claims/{claim.id}")
    assert "Car arrived: open the work order" not in html and "Add note" in html
    assert post(client, claim, "vehicle_arrived").status_code == 302 and claim.state == "reported"
    page(client, "/claims/insurers")
    page(client, "/claims/insurers/new", 403)
    switch(client, login, workshop)
    page(client, "/claims/", 403)
    page(client, f"/claims/{claim.id}", 403)
    outsider = UserFactory(role="advisor", store=other_store, username="outsider")
    switch(client, login, outsider)
    page(client, f"/claims/{claim.id}", 404)
    page(client, f"/claims/{claim.id}/documents/print", 404)


def test_insurer_pages(client, login, advisor, make_user):
    login(advisor)
    resp = client.post("/claims/insurers/new", data={
        "name": "CPIC 太平洋", "short_name": "CPIC", "hotline": "95500", "active": "1",
        "required_documents": ["policy", "bank_details"], "contact_name_0": "Zhao", "contact_phone_0": "021-1"})
    assert resp.status_code == 302
    insurer = db.session.query(Insurer).filter_by(name="CPIC 太平洋").one()
    assert insurer.required_documents == ["policy", "bank_details"] and insurer.contacts[0]["name"] == "Zhao"
    assert "CPIC 太平洋" in page(client, "/claims/insurers")
    # an advisor adds insurers; changing one (shared by every store) is for group-wide managers and admins
    assert client.post(f"/claims/insurers/{insurer.id}/edit", data={"name": "=X"}).status_code == 403
    switch(client, login, make_user("manager", username="groupmgr", is_group=True))
    resp = client.post(f"/claims/insurers/{insurer.id}/edit", data={"name": "CPIC 太平洋", "required_documents": []})
    assert resp.status_code == 302 and insurer.required_documents == [] and insurer.active is False
    assert client.post("/claims/insurers/new", data={"name": ""}).status_code == 422


def test_search_history_and_home(client, login, advisor, claim):
    login(advisor)
    resp = client.get(f"/search?q={claim.number}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/claims/{claim.id}")
    assert claim.number in page(client, f"/customers/{claim.customer_id}")
    html = page(client, "/")
    assert "Insurance claims: next steps" in html and claim.number in html


def test_full_flow_through_pages(client, login, advisor, claim):
    login(advisor)
    post(client, claim, "vehicle_arrived")
    post(client, claim, "schedule_assessment", appointment_at="2030-01-02T10:00", assessor_name="Zhang")
    post(client, claim, "assess", assessor_name="Zhang", approved_amount="3000")
    claim.work_order.state = "ready"
    uow.commit()
    post(client, claim, "complete_repair", invoiced_amount="3000")
    assert claim.state == "documents"
    for item in claim.checklist:
        post(client, claim, "collect_document", kind=item.kind, status="verified")
    post(client, claim, "submit", authorised_by="Owner")
    assert claim.state == "payout"
    post(client, claim, "record_payout", amount="3000", paid_at="2026-01-01T09:00")
    post(client, claim, "close")
    assert claim.state == "closed"
    html = page(client, f"/claims/{claim.id}")
    assert "Nothing to do" in html


def test_clerk_cannot_upload_on_the_page(client, login, clerk, claim):
    login(clerk)
    resp = client.post(f"/claims/{claim.id}/documents", data={"kind": "policy", "file": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 403 and claim.checklist_item("policy").status == "missing"


def test_forms_carry_their_anchor_and_still_succeed(client, login, advisor, claim):
    """Every claim form posts a hidden `anchor` (where to come back to); it is not an action field."""
    advance(claim, advisor, "assessment")
    login(advisor)
    resp = post(client, claim, "schedule_assessment", anchor="#assessment", appointment_at="2026-03-02T10:00",
                assessor_name="Wang")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/claims/{claim.id}#assessment")
    assert claim.assessment_appointment_at is not None and claim.assessor_name == "Wang"
    resp = post(client, claim, "note", anchor="#timeline", text="Assessor confirmed by phone", visibility="internal")
    html = page(client, resp.headers["Location"])
    assert "alert-danger" not in html and "Assessor confirmed by phone" in html
