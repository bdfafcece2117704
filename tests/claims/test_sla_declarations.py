"""The clocks each claim action declares (the SLA engine only listens; here we listen too)."""
from __future__ import annotations

import pytest

from claimdesk.claims.workflow import WF
from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.core.workflow import action_performed
from tests.claims.factories import InsurerFactory, advance, new_claim


@pytest.fixture
def clocks():
    seen = []

    def listener(sender, case=None, action=None, context=None, **kw):
        if sender is WF:
            seen.append((action.name, set(action.starts) | set(context.starts), set(action.stops) | set(context.stops),
                         set(action.cancels)))

    action_performed.connect(listener)
    yield seen
    action_performed.disconnect(listener)


def of(seen, name):
    return [s for s in seen if s[0] == name]


def test_stage_clocks_start_and_stop(advisor, store, clocks):
    claim = new_claim(advisor, store, InsurerFactory(required_documents=["policy", "bank_details"]))
    advance(claim, advisor, "documents")
    assert of(clocks, "vehicle_arrived")[0][1] == {"claim.assessment"}
    assert of(clocks, "assess")[0][2] == {"claim.assessment"}
    assert of(clocks, "complete_repair")[0][1] == {"claim.documents"}
    WF.perform(claim, "collect_document", {"kind": "policy", "status": "verified"}, advisor)
    assert of(clocks, "collect_document")[-1][2] == set()
    WF.perform(claim, "collect_document", {"kind": "bank_details", "status": "verified"}, advisor)
    assert of(clocks, "collect_document")[-1][2] == {"claim.documents"}
    WF.perform(claim, "submit", {}, advisor)
    assert of(clocks, "submit")[0][1] == {"claim.payout"}
    WF.perform(claim, "record_payout", {"amount": "1000.00", "paid_at": now().isoformat()}, advisor)
    assert of(clocks, "record_payout")[-1][2] == set()  # partial: the clock keeps running
    WF.perform(claim, "record_payout", {"amount": str(claim.outstanding), "paid_at": now().isoformat()}, advisor)
    assert of(clocks, "record_payout")[-1][2] == {"claim.payout"}
    WF.perform(claim, "close", {}, advisor)
    assert of(clocks, "close")[0][2] == set()  # stopped already by the full payout
    uow.commit()


def test_documents_complete_before_repair_end_starts_no_clock(advisor, store, clocks):
    claim = new_claim(advisor, store, InsurerFactory(required_documents=["policy"]))
    advance(claim, advisor, "repair")
    WF.perform(claim, "collect_document", {"kind": "policy", "status": "verified"}, advisor)
    assert of(clocks, "collect_document")[-1][2] == set()  # not in documents yet: no clock to stop
    advance(claim, advisor, "documents")
    assert of(clocks, "complete_repair")[0][1] == set()


def test_partial_payout_closed_stops_payout_clock(advisor, store, clocks):
    claim = advance(new_claim(advisor, store, InsurerFactory()), advisor, "payout", approved="1000.00")
    WF.perform(claim, "record_payout", {"amount": "900.00", "paid_at": now().isoformat()}, advisor)
    WF.perform(claim, "close", {"shortfall_action": "customer_owes"}, advisor)
    assert of(clocks, "close")[0][2] == {"claim.payout"}


@pytest.mark.parametrize("action", ["reject", "withdraw"])
def test_reject_and_withdraw_cancel_clocks(action, advisor, store, clocks):
    claim = advance(new_claim(advisor, store, InsurerFactory()), advisor, "assessment")
    WF.perform(claim, action, {"reason": "x"}, advisor)
    assert of(clocks, action)[0][3] == {"claim.assessment", "claim.documents", "claim.payout"}


def test_total_loss_stops_assessment_and_starts_documents(advisor, store, clocks):
    claim = advance(new_claim(advisor, store, InsurerFactory()), advisor, "assessment")
    WF.perform(claim, "declare_total_loss", {"agreed_value": "50000", "reason": "frame"}, advisor)
    _name, starts, stops, _c = of(clocks, "declare_total_loss")[0]
    assert starts == {"claim.documents"} and stops == {"claim.assessment"}
