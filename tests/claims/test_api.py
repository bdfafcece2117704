"""The claims API: insurers, reporting, every action with its roles, gates and money (Decimal)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from claimdesk.claims.models import DOCUMENT_KINDS, Claim
from claimdesk.core import uow
from claimdesk.core.clock import now, set_now
from claimdesk.extensions import db
from claimdesk.workorders.models import WorkOrder
from tests.claims.factories import (
    InsurerFactory,
    advance,
    claim_fields,
    new_claim,
    ready_work_order,
    verify_all,
)
from tests.factories import CustomerFactory, UserFactory, VehicleFactory


@pytest.fixture
def insurer():
    return InsurerFactory(name="PICC 人保", short_name="PICC")


@pytest.fixture
def claim(advisor, store, insurer):
    return new_claim(advisor, store, insurer)


def act(api, claim, action, **fields):
    return api.action("claims", claim.id, action, **fields)


# --- insurers ---------------------------------------------------------------------------------------
def test_create_insurer_defaults_to_all_documents(advisor, api_as):
    api = api_as(advisor)
    resp = api.post("insurers", {"name": "Ping An 平安"})
    assert resp.status_code == 201, resp.json
    assert resp.json["required_documents"] == list(DOCUMENT_KINDS)
    resp = api.post("insurers", {"name": "CPIC 太平洋", "required_documents": ["policy", "vehicle_licence"],
                                 "contacts": [{"name": "Li Claims", "phone": "021-55556666"}]})
    assert resp.json["required_documents"] == ["vehicle_licence", "policy"]  # kept in the usual order
    listing = api.get("insurers").json
    assert listing["total"] == 2 and {i["name"] for i in listing["items"]} == {"Ping An 平安", "CPIC 太平洋"}


def test_insurer_validation_and_roles(advisor, clerk, workshop, api_as):
    api = api_as(advisor)
    assert api.post("insurers", {"name": "X", "required_documents": ["passport"]}).status_code == 422
    assert api.post("insurers", {"name": "Dup"}).status_code == 201
    dup = api.post("insurers", {"name": "dup"})
    assert dup.status_code == 422 and "name" in dup.json["error"]["fields"]
    assert api_as(clerk).post("insurers", {"name": "Y"}).status_code == 403
    assert api_as(workshop).post("insurers", {"name": "Z"}).status_code == 403
    assert api_as(workshop).get("insurers").status_code == 200


def test_patch_insurer_list(advisor, make_user, api_as, insurer):
    # insurers are shared by every store: changing one is for group-wide managers and admins
    assert api_as(advisor).patch(f"insurers/{insurer.id}", {"hotline": "1"}).status_code == 403
    api = api_as(make_user("manager", username="groupmgr", is_group=True))
    resp = api.patch(f"insurers/{insurer.id}", {"required_documents": ["policy"], "hotline": "95518"})
    assert resp.status_code == 200 and resp.json["required_documents"] == ["policy"]
    assert api.patch("insurers/99999", {"hotline": "1"}).status_code == 404


# --- reporting --------------------------------------------------------------------------------------
def test_create_claim_with_minimum_fields(advisor, api_as, store, insurer):
    customer = CustomerFactory(store=store)
    vehicle = VehicleFactory(customer=customer)
    resp = api_as(advisor).post("claims", claim_fields(customer, vehicle, insurer))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["state"] == "reported" and body["number"].startswith("CL-") and body["version"] >= 1
    assert body["store_id"] == store.id and body["assignee_id"] == advisor.id
    assert [i["kind"] for i in body["checklist"]] == list(DOCUMENT_KINDS)
    assert all(i["status"] == "missing" for i in body["checklist"])
    assert body["documents_complete"] is False and body["payer_route"] == "own_damage"
    assert body["next_step"]["action"] == "vehicle_arrived"
    assert body["money"]["approved_total"] == "0.00"


def test_create_claim_with_report_details(advisor, api_as, store, insurer):
    customer = CustomerFactory(store=store)
    vehicle = VehicleFactory(customer=customer)
    other = InsurerFactory(name="Ping An")
    resp = api_as(advisor).post("claims", claim_fields(
        customer, vehicle, insurer, compulsory_policy_number="PDZA2026", accident_place="Tianhe Rd / Huacheng Ave",
        liability="minor", payer_route="third_party", third_party_insurer_id=other.id, third_party_plate="粤A12345"))
    assert resp.status_code == 201, resp.json
    assert resp.json["liability"] == "minor" and resp.json["third_party_insurer_id"] == other.id


def test_create_claim_bad_input_changes_nothing(advisor, api_as, store, insurer, other_store):
    api = api_as(advisor)
    customer = CustomerFactory(store=store)
    vehicle = VehicleFactory(customer=customer)
    resp = api.post("claims", {"customer_id": customer.id})
    assert resp.status_code == 422
    assert {"vehicle_id", "insurer_id", "policy_number", "accident_at", "description"} <= \
        set(resp.json["error"]["fields"])
    stranger = VehicleFactory(customer=CustomerFactory(store=store))
    assert api.post("claims", claim_fields(customer, stranger, insurer)).status_code == 422
    foreign = CustomerFactory(store=other_store)
    assert api.post("claims", claim_fields(foreign, VehicleFactory(customer=foreign), insurer)).status_code == 422
    future = (now() + timedelta(days=2)).isoformat()
    assert api.post("claims", claim_fields(customer, vehicle, insurer, accident_at=future)).status_code == 422
    assert api.post("claims", claim_fields(customer, vehicle, insurer, liability="half")).status_code == 422
    assert db.session.query(Claim).count() == 0


def test_create_and_read_roles(clerk, workshop, manager, api_as, store, insurer, advisor):
    customer = CustomerFactory(store=store)
    vehicle = VehicleFactory(customer=customer)
    assert api_as(clerk).post("claims", claim_fields(customer, vehicle, insurer)).status_code == 403
    assert api_as(workshop).post("claims", claim_fields(customer, vehicle, insurer)).status_code == 403
    created = api_as(manager).post("claims", claim_fields(customer, vehicle, insurer))
    assert created.status_code == 201 and created.json["assignee_id"] is None
    assert api_as(clerk).get(f"claims/{created.json['id']}").status_code == 200
    assert api_as(workshop).get(f"claims/{created.json['id']}").status_code == 403
    assert api_as(workshop).get("claims").status_code == 403


def test_other_store_sees_404(claim, api_as, other_store):
    outsider = UserFactory(role="advisor", store=other_store, username="outsider")
    api = api_as(outsider)
    assert api.get(f"claims/{claim.id}").status_code == 404
    assert act(api, claim, "note", text="hello").status_code == 404
    assert api.get(f"claims/{claim.id}/documents").status_code == 404
    assert api.get("claims").json["total"] == 0


def test_list_filters(advisor, api_as, store, insurer):
    c1 = new_claim(advisor, store, insurer)
    other = InsurerFactory(name="Ping An")
    c2 = new_claim(advisor, store, other, report_number="R-2")
    api = api_as(advisor)
    assert [c["id"] for c in api.get(f"claims?insurer_id={other.id}").json["items"]] == [c2.id]
    assert [c["id"] for c in api.get("claims?q=R-2").json["items"]] == [c2.id]
    assert [c["id"] for c in api.get(f"claims?q={c1.number}").json["items"]] == [c1.id]
    assert api.get("claims?missing_documents=true").json["total"] == 2
    assert api.get("claims?state=payout").json["total"] == 0


# --- report number gate and the car's arrival --------------------------------------------------------
def test_vehicle_arrived_needs_report_number(advisor, api_as, store, insurer):
    claim = new_claim(advisor, store, insurer, report_number=None)
    api = api_as(advisor)
    resp = act(api, claim, "vehicle_arrived")
    assert resp.status_code == 409 and resp.json["error"]["gate"] == "report_number"
    assert api.get(f"claims/{claim.id}").json["next_step"]["action"] == "update_report"
    assert act(api, claim, "update_report", report_number="RDAA-1").status_code == 200
    assert act(api, claim, "update_report", report_number="RDAA-1").status_code == 422  # nothing changed
    resp = act(api, claim, "vehicle_arrived")
    assert resp.status_code == 200 and resp.json["state"] == "assessment"


def test_vehicle_arrived_opens_insurance_work_order(claim, advisor, api_as):
    resp = act(api_as(advisor), claim, "vehicle_arrived", mileage_km=claim.vehicle.mileage_km + 10)
    assert resp.status_code == 200, resp.json
    wo = db.session.get(WorkOrder, resp.json["work_order_id"])
    assert wo.pay_type == "insurance" and wo.vehicle_id == claim.vehicle_id and wo.state == "reception"
    assert claim.number in wo.customer_description
    assert resp.json["work_order_number"] == wo.number and resp.json["vehicle_arrived_at"]


def test_vehicle_arrived_links_existing_work_order(claim, advisor, api_as, store):
    from claimdesk.workorders.services import open_work_order

    wo = open_work_order(advisor, {"customer_id": claim.customer_id, "vehicle_id": claim.vehicle_id,
                                   "mileage_km": claim.vehicle.mileage_km, "customer_description": "bumper"})
    uow.commit()
    other_vehicle_wo = open_work_order(advisor, {
        "customer_id": claim.customer_id, "vehicle_id": VehicleFactory(customer=claim.customer).id,
        "mileage_km": 30000, "customer_description": "x"})
    uow.commit()
    api = api_as(advisor)
    assert act(api, claim, "vehicle_arrived", work_order_id=other_vehicle_wo.id).status_code == 422
    assert act(api, claim, "vehicle_arrived", work_order_id=999999).status_code == 422
    resp = act(api, claim, "vehicle_arrived", work_order_id=wo.id)
    assert resp.status_code == 200 and resp.json["work_order_id"] == wo.id
    db.session.refresh(wo)
    assert wo.pay_type == "insurance"
    assert db.session.query(WorkOrder).count() == 2


# --- assessment ---------------------------------------------------------------------------------------
def test_schedule_and_assess(claim, advisor, api_as):
    api = api_as(advisor)
    act(api, claim, "vehicle_arrived")
    appointment = (now() + timedelta(hours=3)).isoformat()
    resp = act(api, claim, "schedule_assessment", appointment_at=appointment, assessor_name="Zhang",
               assessor_phone="13800001111", assessor_company="PICC Guangzhou")
    assert resp.status_code == 200 and resp.json["assessment_appointment_at"]
    assert resp.json["next_step"]["action"] == "assess"
    bad = act(api, claim, "assess", assessor_name="Zhang", approved_amount="-5")
    assert bad.status_code == 422
    resp = act(api, claim, "assess", assessor_name="Zhang", approved_amount="8000.5",
               damage_items=[{"description": "rear bumper", "kind": "part", "amount": "3200.25"},
                             {"description": "boot lid paint", "kind": "paint", "amount": 4800.25}],
               present=["owner", "advisor", "assessor"], owner_representative="Wang (son)")
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["state"] == "repair" and body["approved_amount"] == "8000.50"
    assert body["damage_items"][1]["amount"] == "4800.25"
    assert body["present"] == ["advisor", "assessor", "owner"]
    assert body["money"]["approved_total"] == "8000.50"


def test_assess_only_in_assessment(claim, advisor, api_as):
    resp = act(api_as(advisor), claim, "assess", assessor_name="Zhang", approved_amount="100")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "invalid_state"
    assert db.session.get(Claim, claim.id).approved_amount is None


# --- the supplement loop --------------------------------------------------------------------------------
def test_supplement_with_minimum_fields_is_an_agreed_additional_amount(claim, advisor, api_as):
    """api.md: `supplement` (description, amount) records an additional approved amount."""
    api = api_as(advisor)
    advance(claim, advisor, "repair", approved="8000.00")
    resp = act(api, claim, "supplement", description="Hidden damage to the crash bar", amount="650.00")
    assert resp.status_code == 200
    sup = resp.json["supplements"][0]
    assert sup["status"] == "approved" and sup["approved_amount"] == "650.00"
    assert resp.json["money"]["approved_total"] == "8650.00"
    ready_work_order(claim)
    assert act(api, claim, "complete_repair").status_code == 200  # nothing waits on the insurer


def test_supplement_loop(claim, advisor, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "repair", approved="8000.00")
    s1 = act(api, claim, "supplement", description="Cracked radiator support found", amount="1500.00",
             lines=[{"description": "radiator support", "amount": "1500.00"}], approved=False)
    assert s1.status_code == 200
    sup1 = s1.json["supplements"][0]
    assert sup1["number"] == "S1" and sup1["status"] == "requested"
    assert s1.json["next_step"]["action"] == "decide_supplement"
    ready_work_order(claim)
    blocked = act(api, claim, "complete_repair")
    assert blocked.status_code == 409 and blocked.json["error"]["gate"] == "supplement_pending"
    # the insurer approves less than asked
    assert act(api, claim, "decide_supplement", supplement_id=sup1["id"], approved=True,
               approved_amount="1600.00").status_code == 422
    resp = act(api, claim, "decide_supplement", supplement_id=sup1["id"], approved=True,
               approved_amount="1234.56", decided_by="Zhang")
    assert resp.status_code == 200 and resp.json["money"]["approved_total"] == "9234.56"
    assert act(api, claim, "decide_supplement", supplement_id=sup1["id"], approved=False).status_code == 409
    # a second supplement is rejected: the customer decides
    s2 = act(api, claim, "supplement", description="Scratched mirror (old damage)", amount="300", approved=False)
    sup2 = s2.json["supplements"][1]
    act(api, claim, "decide_supplement", supplement_id=sup2["id"], approved=False, note="pre-existing damage")
    blocked = act(api, claim, "complete_repair")
    assert blocked.json["error"]["gate"] == "supplement_customer_decision"
    assert act(api, claim, "customer_supplement_decision", supplement_id=sup1["id"],
               customer_pays=True).status_code == 409
    resp = act(api, claim, "customer_supplement_decision", supplement_id=sup2["id"], customer_pays=True,
               decided_by="Owner Wang")
    assert resp.status_code == 200 and resp.json["money"]["customer_pays_supplements"] == "300.00"
    assert resp.json["money"]["approved_total"] == "9234.56"
    done = act(api, claim, "complete_repair", invoiced_amount="9534.56")
    assert done.status_code == 200 and done.json["state"] == "documents"


def test_unknown_supplement_is_422(claim, advisor, api_as):
    advance(claim, advisor, "repair")
    resp = act(api_as(advisor), claim, "decide_supplement", supplement_id=12345, approved=True)
    assert resp.status_code == 422 and "supplement_id" in resp.json["error"]["fields"]


# --- repair follows the work order -----------------------------------------------------------------------
def test_complete_repair_waits_for_work_order(claim, advisor, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "repair")
    resp = act(api, claim, "complete_repair")
    assert resp.status_code == 409 and resp.json["error"]["gate"] == "work_order_ready"
    assert api.get(f"claims/{claim.id}").json["next_step"]["blocked_by"]
    ready_work_order(claim)
    assert act(api, claim, "complete_repair").json["state"] == "documents"


# --- documents and submission -----------------------------------------------------------------------------
def test_collect_document_statuses(claim, advisor, api_as):
    api = api_as(advisor)
    resp = act(api, claim, "collect_document", kind="policy", status="received")
    item = next(i for i in resp.json["checklist"] if i["kind"] == "policy")
    assert item["status"] == "received" and item["status_by_id"] == advisor.id and item["status_at"]
    assert act(api, claim, "collect_document", kind="policy", status="received").status_code == 409
    assert act(api, claim, "collect_document", kind="policy", status="rejected").status_code == 422  # no reason
    resp = act(api, claim, "collect_document", kind="policy", status="rejected", note="copy unreadable")
    item = next(i for i in resp.json["checklist"] if i["kind"] == "policy")
    assert item["status"] == "rejected" and item["note"] == "copy unreadable"
    assert act(api, claim, "collect_document", kind="owner_id", status="rejected",
               note="x").status_code == 409  # nothing received yet
    assert act(api, claim, "collect_document", kind="passport", status="received").status_code == 422


def test_document_not_required_by_insurer_is_optional(advisor, api_as, store):
    insurer = InsurerFactory(required_documents=["policy"])
    claim = new_claim(advisor, store, insurer)
    resp = act(api_as(advisor), claim, "collect_document", kind="bank_details", status="received")
    items = {i["kind"]: i for i in resp.json["checklist"]}
    assert items["bank_details"]["required"] is False and items["policy"]["required"] is True
    assert resp.json["missing_documents"] == ["policy"]


def test_checklist_gates_submission(claim, advisor, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "documents")
    resp = act(api, claim, "submit")
    assert resp.status_code == 409 and resp.json["error"]["gate"] == "documents_complete"
    for kind in DOCUMENT_KINDS[:-1]:
        act(api, claim, "collect_document", kind=kind, status="verified")
    resp = act(api, claim, "submit")
    assert resp.status_code == 409 and "authorisation" in resp.json["error"]["message"].lower()
    act(api, claim, "collect_document", kind="authorisation", status="received")
    assert act(api, claim, "submit").status_code == 409  # received is not verified
    act(api, claim, "collect_document", kind="authorisation", status="verified")
    resp = act(api, claim, "submit", authorised_by="Wang Wei")
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "payout" and resp.json["authorised_by"] == "Wang Wei"
    assert resp.json["claimed_amount"] == "8000.00" and resp.json["submitted_at"]


def test_documents_checklist_endpoint(claim, advisor, api_as):
    api = api_as(advisor)
    act(api, claim, "collect_document", kind="policy", status="verified")
    body = api.get(f"claims/{claim.id}/documents").json
    assert body["complete"] is False and "policy" not in body["missing"] and len(body["missing"]) == 8
    assert body["items"][2]["kind"] == "policy" and body["items"][2]["status_by_name"]


# --- release of the car ------------------------------------------------------------------------------------
def test_release_override_is_manager_only(claim, advisor, manager, api_as):
    advance(claim, advisor, "repair")
    assert act(api_as(advisor), claim, "authorise_release", reason="customer needs the car").status_code == 403
    resp = act(api_as(manager), claim, "authorise_release", reason="regular customer; documents on Monday")
    assert resp.status_code == 200 and resp.json["release_override_by_id"] == manager.id
    assert act(api_as(manager), claim, "authorise_release", reason="again").status_code == 409


def test_work_order_delivery_held_until_documents_or_override(claim, advisor, manager):
    from claimdesk.claims.repair import release_blocker

    advance(claim, advisor, "documents")
    assert "override" in release_blocker(claim)
    verify_all(claim, advisor)
    assert release_blocker(claim) is None


# --- payout and reconciliation ------------------------------------------------------------------------------
def test_partial_payouts_and_reconciliation(claim, advisor, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "repair", approved="8000.00")
    s = act(api, claim, "supplement", description="hidden damage", amount="1234.56",
            approved=False).json["supplements"][0]
    act(api, claim, "decide_supplement", supplement_id=s["id"], approved=True)
    ready_work_order(claim)
    act(api, claim, "complete_repair", invoiced_amount="9500.10")
    verify_all(claim, advisor)
    assert act(api, claim, "submit").json["claimed_amount"] == "9234.56"
    paid_at = now().isoformat()
    assert act(api, claim, "record_payout", amount="0", paid_at=paid_at).status_code == 422
    future = (now() + timedelta(days=3)).isoformat()
    assert act(api, claim, "record_payout", amount="10", paid_at=future).status_code == 422
    assert act(api, claim, "record_payout", amount="9234.57", paid_at=paid_at).status_code == 422
    first = act(api, claim, "record_payout", amount="3000.33", paid_at=paid_at, reference="PICC-1")
    assert first.status_code == 200
    assert first.json["money"]["paid_total"] == "3000.33" and first.json["money"]["outstanding"] == "6234.23"
    assert first.json["fully_paid_at"] is None
    second = act(api, claim, "record_payout", amount="6000.00", paid_at=paid_at)
    assert second.json["money"]["paid_total"] == "9000.33" and second.json["money"]["outstanding"] == "234.23"
    # the insurer says that was all: the rest of the invoice is the customer's
    resp = act(api, claim, "close", shortfall_action="customer_owes")
    assert resp.status_code == 200 and resp.json["state"] == "closed"
    assert resp.json["money"]["shortfall"] == "499.77" and resp.json["money"]["customer_owes_amount"] == "499.77"
    assert Decimal("9500.10") - Decimal("3000.33") - Decimal("6000.00") == Decimal("499.77")
    assert resp.json["fully_paid_at"] is not None


def test_close_reconciles_shortfall(claim, advisor, manager, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "repair", approved="8000.00")
    ready_work_order(claim)
    act(api, claim, "complete_repair", invoiced_amount="8265.54")
    verify_all(claim, advisor)
    act(api, claim, "submit")
    paid_at = now().isoformat()
    act(api, claim, "record_payout", amount="3000.33", paid_at=paid_at)
    second = act(api, claim, "record_payout", amount="4999.67", paid_at=paid_at)
    assert second.json["money"]["paid_total"] == "8000.00" and second.json["money"]["outstanding"] == "0.00"
    assert second.json["fully_paid_at"] is not None
    assert act(api, claim, "record_payout", amount="1", paid_at=paid_at).status_code == 409
    resp = act(api, claim, "close")
    assert resp.status_code == 422 and "shortfall_action" in resp.json["error"]["fields"]
    assert act(api, claim, "close", shortfall_action="write_off", write_off_reason="goodwill").status_code == 403
    assert act(api_as(manager), claim, "close", shortfall_action="write_off").status_code == 422
    resp = act(api, claim, "close", shortfall_action="customer_owes")
    assert resp.status_code == 200 and resp.json["state"] == "closed"
    money = resp.json["money"]
    assert money["shortfall"] == "265.54" and money["customer_owes_amount"] == "265.54"
    assert money["written_off_amount"] == "0.00"
    assert Decimal(money["invoiced"]) - Decimal(money["paid_total"]) == Decimal("265.54")


def test_manager_writes_off_partial_payout(claim, advisor, manager, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "payout", approved="5000.00")
    act(api, claim, "record_payout", amount="4800.00", paid_at=now().isoformat())
    assert act(api, claim, "close", shortfall_action="write_off", write_off_reason="x").status_code == 403
    resp = act(api_as(manager), claim, "close", shortfall_action="write_off",
               write_off_reason="Insurer deducted 200 for the deductible; store absorbs it")
    assert resp.status_code == 200
    assert resp.json["money"]["written_off_amount"] == "200.00" and resp.json["fully_paid_at"]
    assert resp.json["money"]["write_off_reason"].startswith("Insurer deducted")


def test_close_needs_a_payout(claim, advisor, api_as):
    advance(claim, advisor, "payout")
    resp = act(api_as(advisor), claim, "close")
    assert resp.status_code == 409 and resp.json["error"]["gate"] == "payout_recorded"


# --- branches -----------------------------------------------------------------------------------------------
def test_reject_after_repair_customer_owes(claim, advisor, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "documents", approved="6000.00")
    assert act(api, claim, "reject").status_code == 422
    resp = act(api, claim, "reject", reason="Driver was unlicensed at the time of the accident")
    assert resp.status_code == 200 and resp.json["state"] == "rejected" and resp.json["closed_at"]
    assert resp.json["money"]["customer_owes_amount"] == "6000.00"
    assert act(api, claim, "note", text="customer informed").status_code == 409  # final state


def test_withdraw_before_repair_and_not_after_submit(advisor, api_as, store, insurer):
    api = api_as(advisor)
    early = new_claim(advisor, store, insurer)
    advance(early, advisor, "assessment")
    resp = act(api, early, "withdraw", reason="Customer pays himself to keep the no-claims discount")
    assert resp.status_code == 200 and resp.json["state"] == "withdrawn"
    assert resp.json["money"]["customer_owes_amount"] == "0.00"
    late = advance(new_claim(advisor, store, insurer), advisor, "payout")
    assert act(api, late, "withdraw", reason="too late").status_code == 409


def test_total_loss_skips_repair(claim, advisor, api_as):
    api = api_as(advisor)
    advance(claim, advisor, "assessment")
    resp = act(api, claim, "declare_total_loss", agreed_value="65000.00", reason="Frame bent; repair > value",
               assessor_name="Zhang")
    assert resp.status_code == 200 and resp.json["state"] == "documents" and resp.json["total_loss"] is True
    assert resp.json["money"]["approved_total"] == "65000.00"
    verify_all(claim, advisor)
    resp = act(api, claim, "submit")
    assert resp.status_code == 200 and resp.json["claimed_amount"] == "65000.00"


# --- roles: every action ---------------------------------------------------------------------------------------
ACTION_BODIES = {
    "vehicle_arrived": {},
    "update_report": {"accident_place": "Huangpu Ave"},
    "schedule_assessment": {"appointment_at": "2030-01-01T10:00:00+08:00"},
    "assess": {"assessor_name": "Z", "approved_amount": "100"},
    "supplement": {"description": "x", "amount": "1"},
    "decide_supplement": {"supplement_id": 1, "approved": True},
    "customer_supplement_decision": {"supplement_id": 1, "customer_pays": True},
    "complete_repair": {},
    "collect_document": {"kind": "policy", "status": "received"},
    "authorise_release": {"reason": "because"},
    "submit": {},
    "record_payout": {"amount": "1", "paid_at": "2026-01-01T00:00:00+00:00"},
    "close": {},
    "declare_total_loss": {"agreed_value": "1", "reason": "x"},
    "reject": {"reason": "x"},
    "withdraw": {"reason": "x"},
    "assign": {"assignee_id": 1},
    "pause": {"reason": "waiting_insurer"},
    "resume": {},
    "acknowledge": {},
}


@pytest.mark.parametrize("action", sorted(ACTION_BODIES))
def test_clerk_and_workshop_may_not_act(action, claim, clerk, workshop, api_as):
    v = claim.version
    assert act(api_as(clerk), claim, action, **ACTION_BODIES[action]).status_code == 403
    assert act(api_as(workshop), claim, action, **ACTION_BODIES[action]).status_code == 403
    db.session.refresh(claim)
    assert claim.version == v and claim.state == "reported"


def test_clerk_may_add_a_note(claim, clerk, api_as):
    resp = act(api_as(clerk), claim, "note", text="Customer called asking about progress", visibility="customer")
    assert resp.status_code == 200
    events = api_as(clerk).get(f"claims/{claim.id}/events").json["items"]
    assert events[-1]["kind"] == "note" and events[-1]["visibility"] == "customer"


@pytest.mark.parametrize("action", ["assess", "supplement", "complete_repair", "submit", "record_payout", "close",
                                    "declare_total_loss", "decide_supplement", "customer_supplement_decision"])
def test_actions_refused_in_reported_state(action, claim, advisor, api_as):
    resp = act(api_as(advisor), claim, action, **ACTION_BODIES[action])
    assert resp.status_code == 409
    db.session.refresh(claim)
    assert claim.state == "reported"


def test_manager_may_run_advisor_actions(claim, manager, api_as):
    api = api_as(manager)
    assert act(api, claim, "vehicle_arrived").json["state"] == "assessment"
    assert act(api, claim, "assess", assessor_name="Z", approved_amount="10").json["state"] == "repair"


def test_pause_and_resume_for_insurer(claim, advisor, api_as):
    api = api_as(advisor)
    resp = act(api, claim, "pause", reason="waiting_insurer")
    assert resp.status_code == 200 and resp.json["pause_reason"] == "waiting_insurer"
    assert act(api, claim, "resume").json["pause_reason"] is None


def test_version_conflict(claim, advisor, api_as):
    api = api_as(advisor)
    resp = act(api, claim, "note", text="a", version=claim.version + 5)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "version_conflict"


def test_events_timeline(claim, advisor, api_as):
    api = api_as(advisor)
    act(api, claim, "vehicle_arrived")
    items = api.get(f"claims/{claim.id}/events").json["items"]
    assert [e["action"] for e in items] == ["create", "vehicle_arrived"]
    assert items[1]["from_state"] == "reported" and items[1]["to_state"] == "assessment"
    assert items[1]["data"]["work_order_number"].startswith("WO-")


# --- receivables ----------------------------------------------------------------------------------------------
def test_receivables_age_by_insurer(advisor, api_as, store):
    picc = InsurerFactory(name="PICC")
    pingan = InsurerFactory(name="Ping An")
    set_now(now() - timedelta(days=45))
    old = advance(new_claim(advisor, store, picc), advisor, "payout", approved="1000.00")
    set_now(None)
    recent = advance(new_claim(advisor, store, pingan), advisor, "payout", approved="2000.00")
    from claimdesk.claims.workflow import WF

    WF.perform(recent, "record_payout", {"amount": "500.00", "paid_at": now().isoformat()}, advisor)
    paid = advance(new_claim(advisor, store, picc), advisor, "closed", approved="300.00")
    uow.commit()
    body = api_as(advisor).get("claims/receivables").json
    assert body["outstanding"] == "2500.00"
    rows = {r["insurer"]: r for r in body["by_insurer"]}
    assert rows["PICC"]["claims"] == 1 and rows["PICC"]["buckets"]["31-60"] == "1000.00"
    assert rows["PICC"]["oldest_days"] == 45
    assert rows["Ping An"]["paid"] == "500.00" and rows["Ping An"]["buckets"]["0-30"] == "1500.00"
    assert {c["claim_id"] for c in body["claims"]} == {old.id, recent.id} and paid.state == "closed"


def test_openapi_documents_the_claim_contract(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path in ("/api/v1/claims", "/api/v1/claims/{claim_id}", "/api/v1/insurers",
                 "/api/v1/claims/{claim_id}/documents", "/api/v1/documents/{document_id}/content",
                 "/api/v1/claims/receivables"):
        assert path in paths
    for action in ("vehicle_arrived", "assess", "supplement", "complete_repair", "collect_document", "submit",
                   "record_payout", "close", "reject", "withdraw", "note"):
        assert f"/api/v1/claims/{{case_id}}/actions/{action}" in paths
    upload = paths["/api/v1/claims/{claim_id}/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
