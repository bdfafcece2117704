"""A warranty claim driven end to end: pre-authorisation, evidence, submission, a partial rejection,
resubmission, old-part return, reimbursement and closing with the money balancing to the fen; and the
refusals, which change nothing."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.core.errors import Conflict, Forbidden, GateBlocked, ValidationFailed
from claimdesk.extensions import db
from claimdesk.warranty.models import WarrantyClaim
from claimdesk.warranty.workflow import WF
from claimdesk.workorders import settlement
from tests.warranty.factories import CLAIMED, brand_rule, open_claim, warranty_work_order

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "cfc0f01f0005000201a5f3a1b10000000049454e44ae426082")


def today():
    return now().date().isoformat()


def lines_of(claim):
    return {ln.description: ln for ln in claim.lines}


def reload(claim) -> WarrantyClaim:
    db.session.expire_all()
    return db.session.get(WarrantyClaim, claim.id)


def give_evidence(claim, advisor):
    WF.perform(claim, "attach_evidence", {"kind": "photos", "value": "IMG_2041-2044 on the DMS"}, advisor)
    WF.perform(claim, "attach_evidence", {"kind": "fault_code", "value": "P0217"}, advisor)
    part = lines_of(claim)["Water pump"]
    WF.perform(claim, "tag_part", {"line_id": part.id, "tag": "OT-0001"}, advisor)
    uow.commit()


@pytest.fixture
def claim(advisor, store):
    brand_rule()
    return open_claim(advisor, warranty_work_order(advisor, store))


def test_opening_takes_the_work_orders_manufacturer_share_and_the_brands_deadline(claim):
    wo = claim.work_order
    assert claim.claimed_amount == CLAIMED == settlement.of(wo).manufacturer
    assert sum(ln.amount for ln in claim.lines) == CLAIMED
    assert [ln.kind for ln in claim.lines] == ["labour", "part", "labour"]  # the customer's wash is not claimed
    assert claim.submission_due_at == wo.repair_completed_at + timedelta(days=15)
    assert claim.preauth_required and claim.state == "draft"


def test_full_flow_balances_to_the_fen(claim, advisor, manager):
    # pre-authorisation: the claim of 2380.01 is above the brand's 2000.00
    with pytest.raises(GateBlocked) as err:
        WF.perform(claim, "submit", {"manufacturer_claim_number": "VW-1"}, advisor)
    assert err.value.gate == "preauth_approved"
    uow.rollback()
    claim = reload(claim)
    WF.perform(claim, "request_preauth", {"reference": "PA-778"}, advisor)
    WF.perform(claim, "record_preauth_decision", {"approved": True, "reference": "AUTH-55"}, advisor)
    uow.commit()
    assert claim.state == "preauth_decided" and claim.preauth_status == "approved"
    # evidence, then submission with the manufacturer's claim number
    give_evidence(claim, advisor)
    WF.perform(claim, "submit", {"manufacturer_claim_number": "VW-2026-0042"}, advisor)
    uow.commit()
    assert claim.state == "submitted" and claim.submissions == 1
    assert claim.return_due_at == claim.submitted_at + timedelta(days=20)
    # the manufacturer decides per line: approved, partly (1800.00 of 2000.00), rejected
    ln = lines_of(claim)
    WF.perform(claim, "record_decision", {"lines": [
        {"line_id": ln["Replace water pump"].id, "decision": "approved"},
        {"line_id": ln["Water pump"].id, "decision": "partly", "approved_amount": "1800.00",
         "reason_code": "wrong_labour_code", "reason_text": "Price above the parts list"},
        {"line_id": ln["Coolant bleed"].id, "decision": "rejected", "reason_code": "missing_evidence",
         "reason_text": "No photo of the coolant level"},
    ]}, advisor)
    uow.commit()
    assert claim.state == "decided"
    assert claim.approved_total == Decimal("2120.00") and claim.rejected_total == Decimal("260.01")
    assert claim.approved_amount == Decimal("2120.00")  # stored for the dashboard
    # a first credit note for what is approved so far
    WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN-1", "amount": "2120.00",
                                               "received_on": today()}, advisor)
    uow.commit()
    assert claim.state == "reimbursed" and claim.outstanding == Decimal("0.00")
    # the rejected line goes again with a new photo; the part line's cut is accepted
    WF.perform(claim, "resubmit", {"line_ids": [ln["Coolant bleed"].id],
                                   "evidence": [{"kind": "photos", "value": "IMG_2101 coolant level"}]}, advisor)
    uow.commit()
    assert claim.state == "resubmitted" and ln["Coolant bleed"].status == "pending"
    assert ln["Coolant bleed"].resubmissions == 1 and claim.submissions == 2
    # the old parts go back
    WF.perform(claim, "ship_parts", {"waybill": "SF1234567890", "shipped_on": today()}, advisor)
    WF.perform(claim, "record_decision", {"lines": [
        {"line_id": ln["Coolant bleed"].id, "decision": "approved"}]}, advisor)
    uow.commit()
    assert claim.approved_total == Decimal("2180.01")
    WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN-2", "amount": "60.01",
                                               "received_on": today()}, advisor)
    uow.commit()
    assert claim.state == "reimbursed" and claim.reimbursed_amount == Decimal("2180.01")
    # 200.00 of the pump will never be paid: closing is refused until a manager writes it off
    with pytest.raises(GateBlocked) as err:
        WF.perform(claim, "close", {}, advisor)
    assert err.value.gate == "claim_balanced" and "200.00" in err.value.message
    uow.rollback()
    claim = reload(claim)
    WF.perform(claim, "write_off", {"amount": "200.00", "reason": "Parts price cut accepted"}, manager)
    WF.perform(claim, "close", {}, advisor)
    uow.commit()
    claim = reload(claim)
    assert claim.state == "closed" and claim.unsettled == Decimal("0.00")
    assert claim.reimbursed_total + claim.written_off_amount == claim.claimed_amount == \
        settlement.of(claim.work_order).manufacturer


def test_submission_refused_with_the_list_of_missing_evidence(advisor, store):
    brand_rule(preauth_threshold=None)
    claim = open_claim(advisor, warranty_work_order(advisor, store))
    version = claim.version
    with pytest.raises(GateBlocked) as err:
        WF.perform(claim, "submit", {"manufacturer_claim_number": "VW-9"}, advisor)
    assert err.value.gate == "evidence_complete"
    assert err.value.extra["missing"] == ["photos", "fault_code", "old_part_tag"]
    assert "Fault code" in err.value.message
    uow.rollback()
    claim = reload(claim)
    assert claim.state == "draft" and claim.version == version and claim.manufacturer_claim_number is None


def test_preauth_only_when_the_brand_requires_it(advisor, store):
    brand_rule(preauth_threshold=Decimal("5000.00"))
    claim = open_claim(advisor, warranty_work_order(advisor, store))
    assert not claim.preauth_required
    with pytest.raises(GateBlocked) as err:
        WF.perform(claim, "request_preauth", {}, advisor)
    assert err.value.gate == "preauth_not_required"


def _decided(claim, advisor, decision="approved"):
    WF.perform(claim, "request_preauth", {}, advisor)
    WF.perform(claim, "record_preauth_decision", {"approved": True}, advisor)
    give_evidence(claim, advisor)
    WF.perform(claim, "submit", {"manufacturer_claim_number": "VW-7"}, advisor)
    WF.perform(claim, "record_decision", {"lines": [
        {"line_id": ln.id, "decision": decision, **({"reason_code": "not_covered"} if decision == "rejected" else {})}
        for ln in claim.lines]}, advisor)
    uow.commit()
    return claim


def test_over_reimbursement_is_refused_and_changes_nothing(claim, advisor):
    _decided(claim, advisor)
    WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN-1", "amount": "2000.00",
                                               "received_on": today()}, advisor)
    uow.commit()
    version = claim.version
    with pytest.raises(ValidationFailed) as err:
        WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN-2", "amount": "380.02",
                                                   "received_on": today()}, advisor)
    assert "380.01" in err.value.message
    uow.rollback()
    claim = reload(claim)
    assert claim.version == version and claim.reimbursed_total == Decimal("2000.00")
    assert len(claim.reimbursements) == 1


def test_close_unbalanced_is_refused_and_changes_nothing(claim, advisor):
    _decided(claim, advisor)
    WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN-1", "amount": "2380.00",
                                               "received_on": today()}, advisor)
    uow.commit()
    assert claim.state == "decided"  # 0.01 still expected
    version = claim.version
    with pytest.raises(GateBlocked) as err:
        WF.perform(claim, "close", {}, advisor)
    assert "0.01" in err.value.message
    uow.rollback()
    claim = reload(claim)
    assert claim.state == "decided" and claim.version == version and claim.closed_at is None


def test_write_off_is_for_managers_only(claim, advisor, manager):
    _decided(claim, advisor, "rejected")
    version = claim.version
    with pytest.raises(Forbidden):
        WF.perform(claim, "write_off", {"amount": "10.00", "reason": "x"}, advisor)
    uow.rollback()
    claim = reload(claim)
    assert claim.written_off_amount == Decimal("0.00") and claim.version == version
    with pytest.raises(ValidationFailed):  # never more than the manufacturer refused
        WF.perform(claim, "write_off", {"amount": "2380.02", "reason": "too much"}, manager)
    uow.rollback()
    claim = reload(claim)
    WF.perform(claim, "write_off", {"amount": str(CLAIMED), "reason": "Not covered: customer misuse"}, manager)
    WF.perform(claim, "close", {}, advisor)
    uow.commit()
    assert claim.state == "closed"


def test_refused_preauthorisation_rejects_every_line(claim, advisor, manager):
    WF.perform(claim, "request_preauth", {}, advisor)
    WF.perform(claim, "record_preauth_decision", {"approved": False, "note": "Outside the warranty period"}, advisor)
    uow.commit()
    assert {ln.status for ln in claim.lines} == {"rejected"}
    with pytest.raises(GateBlocked):
        WF.perform(claim, "submit", {"manufacturer_claim_number": "X"}, advisor)
    uow.rollback()
    claim = reload(claim)
    WF.perform(claim, "write_off", {"amount": str(CLAIMED), "reason": "Refused"}, manager)
    WF.perform(claim, "close", {}, advisor)
    uow.commit()
    assert claim.state == "closed" and claim.unsettled == Decimal("0.00")


def test_decision_needs_every_line_and_reasons(claim, advisor):
    WF.perform(claim, "request_preauth", {}, advisor)
    WF.perform(claim, "record_preauth_decision", {"approved": True}, advisor)
    give_evidence(claim, advisor)
    WF.perform(claim, "submit", {"manufacturer_claim_number": "VW-7"}, advisor)
    uow.commit()
    first = claim.lines[0]
    with pytest.raises(ValidationFailed):
        WF.perform(claim, "record_decision", {"lines": [{"line_id": first.id, "decision": "approved"}]}, advisor)
    uow.rollback()
    claim = reload(claim)
    with pytest.raises(ValidationFailed):
        WF.perform(claim, "record_decision", {"lines": [
            {"line_id": ln.id, "decision": "rejected"} for ln in claim.lines]}, advisor)
    uow.rollback()
    claim = reload(claim)
    with pytest.raises(ValidationFailed):  # partly must be strictly between 0 and the amount
        WF.perform(claim, "record_decision", {"lines": [
            {"line_id": ln.id, "decision": "partly", "approved_amount": str(ln.amount), "reason_code": "other"}
            for ln in claim.lines]}, advisor)
    uow.rollback()
    claim = reload(claim)
    assert claim.state == "submitted" and {ln.status for ln in claim.lines} == {"pending"}


def test_one_open_claim_per_work_order(claim, advisor):
    with pytest.raises(Conflict):
        open_claim(advisor, claim.work_order)


def test_a_submitted_claim_freezes_the_work_orders_manufacturer_share(claim, advisor):
    from claimdesk.warranty.services import money_guard

    wo = claim.work_order
    fewer = settlement.compute(wo.lines[:1], wo.adjustments, wo.payments)
    money_guard(wo, fewer)  # a draft still follows its work order
    _decided(claim, advisor)
    money_guard(wo, settlement.of(wo))  # the same share is fine
    with pytest.raises(Conflict):
        money_guard(wo, fewer)


def test_a_short_credit_note_is_written_off_as_short_paid_then_the_claim_closes(claim, advisor, manager):
    """The manufacturer approved everything but credited 30.00 less: without `short_paid` the write-off may only
    take refused money (nothing here) and changes nothing; with it the shortfall goes and the claim closes."""
    _decided(claim, advisor)
    paid = CLAIMED - Decimal("30.00")
    WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN-9", "amount": str(paid),
                                               "received_on": today()}, advisor)
    uow.commit()
    version = claim.version
    with pytest.raises(ValidationFailed) as err:
        WF.perform(claim, "write_off", {"amount": "30.00", "reason": "Credit note short"}, manager)
    assert "short-paid" in str(err.value.fields)
    uow.rollback()
    claim = reload(claim)
    assert claim.written_off_amount == Decimal("0.00") and claim.version == version
    with pytest.raises(ValidationFailed):  # never more than is still open
        WF.perform(claim, "write_off", {"amount": "30.01", "reason": "x", "short_paid": True}, manager)
    uow.rollback()
    claim = reload(claim)
    WF.perform(claim, "write_off", {"amount": "30.00", "reason": "Credit note short", "short_paid": True}, manager)
    uow.commit()
    assert claim.unsettled == Decimal("0.00") and claim.outstanding == Decimal("0.00")
    from claimdesk.warranty import queries
    [brand] = queries.receivables()["brands"]
    assert brand["outstanding"] == Decimal("0.00") and brand["written_off"] == Decimal("30.00")
    with pytest.raises(ValidationFailed):  # nothing left to reimburse either
        WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN-10", "amount": "0.01",
                                                   "received_on": today()}, advisor)
    uow.rollback()
    claim = reload(claim)
    WF.perform(claim, "close", {}, advisor)
    uow.commit()
    assert claim.state == "closed" and claim.reimbursed_total + claim.written_off_amount == CLAIMED
