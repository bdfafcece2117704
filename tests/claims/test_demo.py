"""The demo seeder: insurers once, claims spread over the months and stages, the clock restored."""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from claimdesk.claims import demo
from claimdesk.claims.models import Claim, Insurer
from claimdesk.core.clock import now
from claimdesk.extensions import db
from tests.factories import CustomerFactory, UserFactory, VehicleFactory


def test_seed_claims(store, advisor, manager, workshop):
    customers = []
    for _ in range(8):
        c = CustomerFactory(store=store)
        VehicleFactory(customer=c)
        db.session.refresh(c)
        customers.append(c)
    before = now()
    # one person signs one check: the QC inspector signs the final one (claimdesk/demo.py has one)
    qc = UserFactory(role="qc_inspector", username="qc", store=store)
    demo.seed(store=store, users={"advisor": advisor, "manager": manager, "workshop": workshop, "qc": qc},
              customers=customers, rng=random.Random(3), months=4, cases=24, echo=lambda *_: None)
    assert abs((now() - before).total_seconds()) < 60  # the clock runs again
    claims = db.session.scalars(sa.select(Claim)).all()
    assert len(claims) == 12
    assert len({c.state for c in claims}) >= 3
    assert min(c.created_at for c in claims) < before - timedelta(days=20)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Insurer)) == 4
    billed = 0
    for c in claims:
        if c.billed_work_order is not None:
            billed += 1
            # the claim invoices what the work order bills the insurer, stored for the dashboard too
            assert c.invoiced == c.work_order.settlement.insurer
            if c.submitted_at:
                assert c.invoiced_amount == c.invoiced and c.claimed_amount <= c.invoiced
            s = c.work_order.settlement
            assert sum(s.shares.values()) == s.total
            if c.work_order.delivered_at:
                assert c.work_order.paid_amount == s.customer
        if c.state == "closed":
            assert c.paid_total > 0 and c.shortfall == c.customer_owes_amount + c.written_off_amount
            assert c.invoiced == c.paid_total + c.written_off_amount + c.customer_owes_amount
    assert billed >= 3
    demo.insurers()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Insurer)) == 4
