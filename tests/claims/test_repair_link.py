"""The claim follows its work order: ready moves the claim on; delivery waits for documents or an override."""
from __future__ import annotations

from datetime import timedelta

import pytest

from claimdesk.claims import repair
from claimdesk.claims.workflow import WF
from claimdesk.core import events, uow
from claimdesk.core.clock import now
from claimdesk.core.errors import GateBlocked
from claimdesk.workorders.workflow import WF as WO_WF
from tests.claims.factories import InsurerFactory, advance, new_claim, verify_all


@pytest.fixture
def claim(advisor, store):
    return new_claim(advisor, store, InsurerFactory())


def workshop_to_ready(wo, advisor, workshop):
    """The real workshop flow of the linked work order, up to final QC."""
    WO_WF.perform(wo, "estimate", {"lines": [
        {"kind": "labour", "description": "Replace rear bumper", "quantity": "2", "unit_price": "300",
         "pay_type": "insurance"},
        {"kind": "part", "description": "Rear bumper", "quantity": "1", "unit_price": "2400",
         "pay_type": "insurance"}]}, advisor)
    WO_WF.perform(wo, "authorise", {"signed_by": "Owner", "promised_at": (now() + timedelta(days=2)).isoformat()},
                  advisor)
    WO_WF.perform(wo, "dispatch", {"team": "Body A"}, workshop)
    WO_WF.perform(wo, "complete_repair", {}, workshop)
    from tests.factories import check_signer

    for stage in ("self", "team_lead", "final"):  # one person signs one check
        WO_WF.perform(wo, "pass_check", {"stage": stage}, check_signer(wo.store, stage, workshop))
    uow.commit()


def test_work_order_ready_moves_the_claim_on(claim, advisor, workshop):
    advance(claim, advisor, "repair")
    wo = claim.work_order
    workshop_to_ready(wo, advisor, workshop)
    assert wo.state == "ready"
    assert claim.state == "documents" and claim.repair_completed_at is not None
    last = events.timeline("claim", claim.id)[-1]
    assert last.action == "complete_repair" and last.actor_id is None


def test_pending_supplement_keeps_claim_in_repair(claim, advisor, workshop):
    advance(claim, advisor, "repair")
    WF.perform(claim, "supplement", {"description": "hidden damage", "amount": "500", "approved": False},
               advisor)
    uow.commit()
    workshop_to_ready(claim.work_order, advisor, workshop)
    assert claim.work_order.state == "ready" and claim.state == "repair"
    note = events.timeline("claim", claim.id)[-1]
    assert note.kind == "system" and note.data["gate"] == "supplement_pending"
    WF.perform(claim, "decide_supplement", {"supplement_id": claim.supplements[0].id, "approved": True}, advisor)
    WF.perform(claim, "complete_repair", {}, advisor)
    assert claim.state == "documents"


def _deliver_hook(wo):
    """The claim's part of the deliver gate (workorders.services.DELIVERY_GATES), raised as the guard does."""
    for gate, message, extra in repair.delivery_gates(wo):
        err = GateBlocked(gate, message)
        err.extra.update(extra)
        raise err


def test_delivery_held_until_documents_complete(claim, advisor, manager):
    advance(claim, advisor, "documents")
    wo = claim.work_order
    with pytest.raises(GateBlocked) as err:
        _deliver_hook(wo)
    assert err.value.gate == "claim_documents" and claim.number in err.value.message
    verify_all(claim, advisor)
    _deliver_hook(wo)  # nothing raised


def test_delivery_allowed_with_manager_override(claim, advisor, manager):
    advance(claim, advisor, "documents")
    WF.perform(claim, "authorise_release", {"reason": "documents promised for Monday"}, manager)
    uow.commit()
    _deliver_hook(claim.work_order)
    assert claim.release_override_by_id == manager.id


def test_real_delivery_is_refused(claim, advisor, workshop):
    advance(claim, advisor, "repair")
    wo = claim.work_order
    workshop_to_ready(wo, advisor, workshop)
    with pytest.raises(GateBlocked) as err:
        WO_WF.perform(wo, "deliver", {"signed_by": "Owner"}, advisor)
    assert err.value.gate == "claim_documents"
    uow.rollback()
    assert wo.state == "ready"
    verify_all(claim, advisor)
    WO_WF.perform(wo, "deliver", {"signed_by": "Owner"}, advisor)
    assert wo.state == "delivered"


def test_other_work_order_actions_do_not_touch_claims(claim, advisor):
    advance(claim, advisor, "repair")
    wo = claim.work_order
    WO_WF.perform(wo, "note", {"text": "parts ordered"}, advisor)
    assert claim.state == "repair"


def test_delivery_refused_through_the_work_order_api(claim, advisor, workshop, api_as):
    advance(claim, advisor, "repair")
    workshop_to_ready(claim.work_order, advisor, workshop)
    resp = api_as(advisor).action("work-orders", claim.work_order.id, "deliver", signed_by="Owner")
    assert resp.status_code == 409 and resp.json["error"]["gate"] == "claim_documents"
    assert resp.json["error"]["claim_id"] == claim.id
    db_wo = claim.work_order
    from claimdesk.extensions import db

    db.session.refresh(db_wo)
    assert db_wo.state == "ready"


def test_work_order_page_links_the_claim_and_names_its_gate(claim, advisor, workshop, login, client):
    advance(claim, advisor, "repair")
    wo = claim.work_order
    workshop_to_ready(wo, advisor, workshop)
    from claimdesk.workorders.services import delivery_blockers

    assert [g for g, _m in delivery_blockers(wo)] == ["claim_documents"]
    login(advisor)
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert f'href="/claims/{claim.id}"' in html and f"Insurance claim {claim.number}" in html
    assert 'data-gate="claim_documents"' in html
    verify_all(claim, advisor)
    uow.commit()
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert 'data-gate="claim_documents"' not in html and f"Insurance claim {claim.number}" in html


def test_claim_link_hidden_from_roles_without_claims(claim, advisor, workshop, login, client):
    advance(claim, advisor, "repair")
    login(workshop)
    html = client.get(f"/work-orders/{claim.work_order.id}").get_data(as_text=True)
    assert f"/claims/{claim.id}" not in html


def test_work_order_api_shows_linked_claim_and_gate(claim, advisor, workshop, api_as):
    advance(claim, advisor, "repair")
    wo = claim.work_order
    workshop_to_ready(wo, advisor, workshop)
    body = api_as(advisor).get(f"work-orders/{wo.id}").json
    assert body["linked_cases"] == [{"case_type": "claim", "case_id": claim.id, "number": claim.number,
                                     "label": f"Insurance claim {claim.number}"}]
    assert [g["gate"] for g in body["delivery_gates"]] == ["claim_documents"]
    assert api_as(workshop).get(f"work-orders/{wo.id}").json["linked_cases"] == []
