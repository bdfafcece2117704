"""The warranty JSON API: brand rules, opening a claim from a work order, the actions through the case
engine (in the OpenAPI spec), evidence upload, receivables by brand; permissions and store scoping."""
from __future__ import annotations

from datetime import date

import pytest

from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.warranty.models import WarrantyClaim
from tests.warranty.factories import brand_rule, warranty_work_order
from tests.warranty.test_pages import PNG

WC = "warranty-claims"


@pytest.fixture
def wo(advisor, store):
    brand_rule()
    return warranty_work_order(advisor, store)


def test_openapi_lists_the_case_type_and_its_actions(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for action in ("request_preauth", "record_preauth_decision", "attach_evidence", "tag_part", "submit",
                   "record_decision", "resubmit", "ship_parts", "record_reimbursement", "write_off", "close",
                   "cancel", "assign", "note"):
        assert f"/api/v1/{WC}/{{case_id}}/actions/{action}" in paths, action
    for path in (f"/api/v1/{WC}", f"/api/v1/{WC}/{{claim_id}}", f"/api/v1/{WC}/receivables",
                 f"/api/v1/{WC}/{{claim_id}}/evidence", "/api/v1/warranty-brand-rules"):
        assert path in paths, path
    assert "WarrantyClaimDecisionIn" in spec["components"]["schemas"]


def test_api_drives_a_claim_and_refuses_cleanly(api_as, advisor, manager, wo):
    api = api_as(advisor)
    r = api.post(WC, {"work_order_id": wo.id})
    assert r.status_code == 201, r.json
    claim = r.json
    assert claim["number"].startswith("WC-") and claim["claimed_amount"] == "2380.01"
    assert claim["preauth_required"] is True and claim["next_step"]["action"] == "request_preauth"
    assert claim["missing_evidence"] == ["photos", "fault_code", "old_part_tag"]
    cid = claim["id"]
    assert api.post(WC, {"work_order_id": wo.id}).json["error"]["code"] == "invalid_state"
    r = api.action(WC, cid, "submit", manufacturer_claim_number="X")
    assert r.status_code == 409 and r.json["error"]["gate"] == "preauth_approved"
    assert api.action(WC, cid, "request_preauth", reference="PA-1").status_code == 200
    r = api.action(WC, cid, "record_preauth_decision", approved=True, reference="AUTH-1")
    assert r.json["state"] == "preauth_decided"
    r = api.action(WC, cid, "submit", manufacturer_claim_number="X")
    assert r.status_code == 409 and r.json["error"]["gate"] == "evidence_complete"
    assert r.json["error"]["missing"] == ["photos", "fault_code", "old_part_tag"]
    resp = api.client.post(f"/api/v1/{WC}/{cid}/evidence", headers=api.headers,
                           data={"kind": "photos", "file": (__import__("io").BytesIO(PNG), "p.png")},
                           content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    assert resp.json["missing_evidence"] == ["fault_code", "old_part_tag"]
    api.action(WC, cid, "attach_evidence", kind="fault_code", value="P0217")
    part = next(ln for ln in api.get(f"{WC}/{cid}").json["lines"] if ln["kind"] == "part")
    api.action(WC, cid, "tag_part", line_id=part["id"], tag="OT-1")
    r = api.action(WC, cid, "submit", manufacturer_claim_number="VW-1")
    assert r.status_code == 200 and r.json["state"] == "submitted"
    lines = r.json["lines"]
    r = api.action(WC, cid, "record_decision", lines=[
        {"line_id": lines[0]["id"], "decision": "approved"},
        {"line_id": lines[1]["id"], "decision": "partly", "approved_amount": "1500.00", "reason_code": "other"},
        {"line_id": lines[2]["id"], "decision": "rejected", "reason_code": "not_covered", "reason_text": "no"}])
    assert r.status_code == 200, r.json
    assert r.json["money"] == {"claimed": "2380.01", "approved": "1820.00", "rejected": "560.01",
                               "reimbursed": "0.00", "written_off": "0.00", "outstanding": "1820.00",
                               "unsettled": "2380.01"}
    r = api.action(WC, cid, "record_reimbursement", credit_note_number="CN-1", amount="1820.01",
                   received_on=date.today().isoformat())
    assert r.status_code == 422
    assert api.action(WC, cid, "write_off", amount="1.00", reason="x").status_code == 403
    r = api_as(manager).get(f"{WC}/receivables")
    assert r.status_code == 200
    [vw] = r.json["brands"]
    assert vw["make"] == "Volkswagen" and vw["approved"] == "1820.00" and vw["outstanding"] == "1820.00"
    assert r.json["rejected_lines"] == 2 and r.json["decided_lines"] == 3
    assert {x["reason"] for x in r.json["top_rejection_reasons"]} == {"other", "not_covered"}
    events = api.get(f"{WC}/{cid}/events").json["items"]
    assert [e["action"] for e in events][:3] == ["create", "request_preauth", "record_preauth_decision"]


def test_brand_rules_api(api_as, advisor, manager):
    assert api_as(advisor).post("warranty-brand-rules", {"make": "BYD"}).status_code == 403
    r = api_as(manager).post("warranty-brand-rules", {"make": "BYD", "submission_days": 7,
                                                      "preauth_threshold": "5000",
                                                      "required_evidence": ["vin", "photos"]})
    assert r.status_code == 201 and r.json["required_evidence"] == ["photos", "vin"]
    rid = r.json["id"]
    r = api_as(manager).patch(f"warranty-brand-rules/{rid}", {"active": False})
    assert r.status_code == 200 and r.json["submission_days"] == 7 and r.json["active"] is False
    assert api_as(manager).post("warranty-brand-rules", {"make": "byd"}).status_code == 409
    assert [x["make"] for x in api_as(advisor).get("warranty-brand-rules").json["items"]] == ["BYD"]


def test_other_store_and_roles(api_as, advisor, workshop, other_store, make_user, wo):
    cid = api_as(advisor).post(WC, {"work_order_id": wo.id}).json["id"]
    other = make_user("advisor", username="otheradv", store=other_store)
    assert api_as(other).get(f"{WC}/{cid}").status_code == 404
    assert api_as(other).post(WC, {"work_order_id": wo.id}).status_code == 404
    assert api_as(workshop).get(f"{WC}/{cid}").status_code == 403
    assert api_as(other).get(WC).json["items"] == []
    assert db.session.query(WarrantyClaim).count() == 1


def test_a_work_order_without_warranty_lines_is_refused(api_as, advisor, store):
    from tests.warranty.factories import CUSTOMER_LINE

    wo = warranty_work_order(advisor, store, lines=[CUSTOMER_LINE])
    r = api_as(advisor).post(WC, {"work_order_id": wo.id})
    assert r.status_code == 422 and "work_order_id" in r.json["error"]["fields"]
    uow.rollback()
