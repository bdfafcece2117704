"""The warranty pages: the button on the work order, opening a claim, the claim page and its forms, the
evidence upload, the printable sheet, the list and search box, receivables, brand rules; in English and
Chinese; who may see what."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.warranty.models import WarrantyBrandRule, WarrantyClaim
from tests.warranty.factories import brand_rule, open_claim, warranty_work_order

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "cfc0f01f0005000201a5f3a1b10000000049454e44ae426082")


def page(client, url, status=200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:3000]
    return resp.get_data(as_text=True)


def post(client, claim, action, **data):
    data.setdefault("version", claim.version)
    return client.post(f"/warranty/{claim.id}/actions/{action}", data=data)


def fresh(claim) -> WarrantyClaim:
    db.session.expire_all()
    return db.session.get(WarrantyClaim, claim.id)


@pytest.fixture
def wo(advisor, store):
    brand_rule(preauth_threshold=None)
    return warranty_work_order(advisor, store)


def test_work_order_page_opens_a_claim_once(client, login, advisor, wo):
    login(advisor)
    html = page(client, f"/work-orders/{wo.id}")
    assert f"/warranty/work-orders/{wo.id}/new" in html
    html = page(client, f"/warranty/work-orders/{wo.id}/new")
    assert "2,380.01" in html or "2380.01" in html
    resp = client.post(f"/warranty/work-orders/{wo.id}/new")
    assert resp.status_code == 302
    claim = db.session.query(WarrantyClaim).filter_by(work_order_id=wo.id).one()
    assert resp.headers["Location"].endswith(f"/warranty/{claim.id}")
    html = page(client, f"/work-orders/{wo.id}")
    assert f"/warranty/work-orders/{wo.id}/new" not in html and claim.number in html
    resp = client.post(f"/warranty/work-orders/{wo.id}/new")  # a second open claim is refused
    assert resp.status_code == 302
    assert db.session.query(WarrantyClaim).filter_by(work_order_id=wo.id).count() == 1


@pytest.mark.parametrize("data", [{"kind": "photos"},  # no file
                                  {"kind": "spaceship", "file": (io.BytesIO(PNG), "pump.png")}],  # no such kind
                         ids=["no-file", "bad-kind"])
def test_a_refused_evidence_upload_says_why_and_changes_nothing(client, login, advisor, wo, data):
    from claimdesk.core import events
    from claimdesk.documents.models import Document

    claim = open_claim(advisor, wo)
    login(advisor)
    version, seen = claim.version, len(events.timeline("warranty", claim.id))
    resp = client.post(f"/warranty/{claim.id}/evidence", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/warranty/{claim.id}#evidence")
    assert "Choose the evidence kind and a file." in page(client, resp.headers["Location"])
    claim = fresh(claim)
    assert claim.version == version and len(events.timeline("warranty", claim.id)) == seen
    assert db.session.query(Document).filter_by(case_type="warranty", case_id=claim.id).count() == 0


def test_claim_page_drives_the_claim(client, login, advisor, manager, wo):
    claim = open_claim(advisor, wo)
    login(advisor)
    html = page(client, f"/warranty/{claim.id}")
    assert claim.number in html and "Collect the evidence" in html and 'data-evidence="fault_code"' in html
    # submission is refused with the list of what is missing, and nothing changes
    resp = post(client, claim, "submit", manufacturer_claim_number="VW-1")
    assert resp.status_code == 302
    assert "Fault code" in page(client, f"/warranty/{claim.id}")
    assert fresh(claim).state == "draft"
    assert post(client, claim, "attach_evidence", kind="fault_code", value="P0217").status_code == 302
    claim = fresh(claim)
    resp = client.post(f"/warranty/{claim.id}/evidence", data={"kind": "photos", "file": (io.BytesIO(PNG), "pump.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    claim = fresh(claim)
    part = next(ln for ln in claim.lines if ln.kind == "part")
    assert post(client, claim, "tag_part", line_id=part.id, tag="OT-7").status_code == 302
    claim = fresh(claim)
    assert post(client, claim, "submit", manufacturer_claim_number="VW-2026-1").status_code == 302
    claim = fresh(claim)
    assert claim.state == "submitted" and claim.manufacturer_claim_number == "VW-2026-1"
    form = {f"decision-{ln.id}": "approved" for ln in claim.lines}
    bleed = next(ln for ln in claim.lines if ln.description == "Coolant bleed")
    form.update({f"decision-{bleed.id}": "rejected", f"reason_code-{bleed.id}": "missing_evidence",
                 f"reason_text-{bleed.id}": "No photo"})
    assert post(client, claim, "record_decision", **form).status_code == 302
    claim = fresh(claim)
    assert claim.state == "decided" and claim.rejected_total == Decimal("60.01")
    html = page(client, f"/warranty/{claim.id}")
    assert "Evidence missing or unclear" in html and "No photo" in html
    sheet = page(client, f"/warranty/{claim.id}/print")
    assert "VW-2026-1" in sheet and "OT-7" in sheet and claim.vehicle.vin in sheet
    # the advisor may not write off; the page refuses and nothing changes
    post(client, claim, "write_off", amount="60.01", reason="x")
    assert fresh(claim).written_off_amount == Decimal("0.00")


def test_list_filters_and_search_box(client, login, advisor, wo):
    claim = open_claim(advisor, wo)
    login(advisor)
    assert claim.number in page(client, "/warranty/?state=draft")
    assert claim.number not in page(client, "/warranty/?state=submitted")
    assert claim.number in page(client, f"/warranty/?q={claim.vehicle.plate}")
    assert claim.number in page(client, "/warranty/?make=Volkswagen&open=1")
    resp = client.get(f"/search?q={claim.number}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/warranty/{claim.id}")


def test_pages_in_chinese(client, login, advisor, wo, manager):
    claim = open_claim(advisor, wo)
    advisor.locale = "zh"
    uow.commit()
    login(advisor)
    html = page(client, f"/warranty/{claim.id}")
    assert "厂家索赔" in html or "索赔" in html
    assert "Next step" not in html and "下一步" in html
    assert "索赔" in page(client, "/warranty/")
    assert "品牌" in page(client, "/warranty/rules")


def test_brand_rules_are_for_managers(client, login, advisor, manager):
    login(advisor)
    assert client.get("/warranty/rules/new").status_code == 403
    client.post("/logout")
    login(manager)
    resp = client.post("/warranty/rules/new", data={
        "make": "BYD", "submission_days": "10", "return_days": "14", "preauth_threshold": "3000",
        "required_evidence": ["photos", "vin"], "active": "1"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    rule = db.session.query(WarrantyBrandRule).filter_by(make="BYD").one()
    assert rule.submission_days == 10 and rule.preauth_threshold == Decimal("3000.00")
    assert rule.required_evidence == ["photos", "vin"]
    assert "BYD" in page(client, "/warranty/rules")
    resp = client.post(f"/warranty/rules/{rule.id}/edit", data={
        "make": "BYD", "submission_days": "0", "return_days": "14", "active": "1"})
    assert resp.status_code == 422
    db.session.expire_all()
    assert db.session.get(WarrantyBrandRule, rule.id).submission_days == 10


def test_workshop_may_not_see_warranty_claims(client, login, advisor, workshop, wo):
    claim = open_claim(advisor, wo)
    login(workshop)
    assert client.get(f"/warranty/{claim.id}").status_code == 403
    assert client.get("/warranty/").status_code == 403


def test_receivables_page(client, login, manager, advisor, wo):
    open_claim(advisor, wo)
    login(manager)
    html = page(client, "/warranty/receivables")
    assert 'data-brand="Volkswagen"' in html and "2,380.01" in html


def test_customer_history_and_home_panel(client, login, advisor, wo):
    claim = open_claim(advisor, wo)
    login(advisor)
    html = page(client, f"/customers/{wo.customer_id}")
    assert claim.number in html and f"/warranty/{claim.id}" in html
    html = page(client, "/")
    assert "Warranty claims: next steps" in html and claim.number in html
