"""The demo seeder: brand rules once, warranty claims in different states, money consistent with the
work orders' settlement, the clock restored."""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from claimdesk.core.clock import now
from claimdesk.extensions import db
from claimdesk.sla.models import SlaClock
from claimdesk.warranty import demo
from claimdesk.warranty.models import WarrantyBrandRule, WarrantyClaim
from claimdesk.workorders import settlement
from tests.factories import CustomerFactory, UserFactory


def test_seed_warranty_claims(store, advisor, manager, workshop):
    customers = [CustomerFactory(store=store) for _ in range(4)]
    qc = UserFactory(role="qc_inspector", username="qc", store=store)
    before = now()
    demo.seed(store=store, users={"advisor": advisor, "manager": manager, "workshop": workshop, "qc": qc},
              customers=customers, rng=random.Random(5), months=3, cases=10, echo=lambda *_: None)
    assert abs((now() - before).total_seconds()) < 60  # the clock runs again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WarrantyBrandRule)) == 3
    claims = db.session.scalars(sa.select(WarrantyClaim).order_by(WarrantyClaim.id)).all()
    assert [c.state for c in claims] == ["closed", "resubmitted", "submitted", "draft"]
    closed, resubmitted, submitted, draft = claims
    for c in claims:
        assert c.make == "Volkswagen" and c.work_order.state == "delivered"
        assert c.claimed_amount == settlement.of(c.work_order).manufacturer == sum(ln.amount for ln in c.lines)
        assert c.approved_amount == c.approved_total and c.reimbursed_amount == c.reimbursed_total
    assert closed.unsettled == 0 and closed.reimbursed_total == closed.claimed_amount
    assert closed.return_waybill and closed.preauth_required is False
    assert resubmitted.preauth_status == "approved"  # the gearbox claim is above the 3000.00 threshold
    assert {ln.status for ln in resubmitted.lines} == {"approved", "partly", "pending"}
    assert resubmitted.reimbursed_total == sum(ln.approved_amount for ln in resubmitted.lines
                                               if ln.status != "pending")
    assert submitted.manufacturer_claim_number and submitted.submitted_at < before - timedelta(days=5)
    # the draft is two days from its submission deadline, its clock running and warned
    assert timedelta(days=1) < draft.submission_due_at - before < timedelta(days=3)
    clock = db.session.scalar(sa.select(SlaClock).where(SlaClock.case_type == "warranty", SlaClock.case_id == draft.id,
                                                        SlaClock.policy_key == "warranty.submission"))
    assert clock.state in ("running", "warning") and clock.due_at == draft.submission_due_at
    assert "photos" in __import__("claimdesk.warranty.evidence", fromlist=["missing"]).missing(draft)
    demo.brand_rules()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WarrantyBrandRule)) == 3
