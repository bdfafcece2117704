"""Warranty receivables by brand and the rejections on the reconciliation page, its CSV export and the
dashboard's case-type filter."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.dashboard import reconciliation, services
from claimdesk.warranty.workflow import WF
from tests.warranty.factories import brand_rule, open_claim, warranty_work_order
from tests.warranty.test_flow import give_evidence


def _decided_claim(advisor, store, make="Volkswagen"):
    claim = open_claim(advisor, warranty_work_order(advisor, store, make=make))
    give_evidence(claim, advisor)
    WF.perform(claim, "submit", {"manufacturer_claim_number": f"{make}-1"}, advisor)
    ln = {x.description: x for x in claim.lines}
    WF.perform(claim, "record_decision", {"lines": [
        {"line_id": ln["Replace water pump"].id, "decision": "approved"},
        {"line_id": ln["Water pump"].id, "decision": "approved"},
        {"line_id": ln["Coolant bleed"].id, "decision": "rejected", "reason_code": "late_submission"}]}, advisor)
    WF.perform(claim, "record_reimbursement", {"credit_note_number": "CN", "amount": "1000.00",
                                               "received_on": now().date().isoformat()}, advisor)
    uow.commit()
    return claim


def test_reconciliation_sections_and_csv(advisor, manager, store, login, client):
    brand_rule(preauth_threshold=None)
    brand_rule("Toyota", preauth_threshold=None)
    _decided_claim(advisor, store)
    open_claim(advisor, warranty_work_order(advisor, store, make="Toyota"))
    f = services.filters_for(manager, {})
    rows = {s.key: s for s in reconciliation.sections(f)}
    by_make = {r[0]: r for r in rows["reconciliation_warranty"].rows}
    assert by_make["Volkswagen"][1:7] == [1, Decimal("2380.01"), Decimal("2320.00"), Decimal("1000.00"),
                                          Decimal("0.00"), Decimal("1320.00")]
    assert by_make["Volkswagen"][7] == Decimal("1320.00")  # 0–30 days since submission
    assert by_make["Toyota"][2] == Decimal("2380.01") and by_make["Toyota"][6] == Decimal("0.00")
    [reason] = rows["reconciliation_warranty_rejections"].rows
    assert reason[1:] == [1, Decimal("60.01")] and "late" in reason[0].lower()
    assert "33.3%" in str(rows["reconciliation_warranty_rejections"].note)
    login(manager)
    html = client.get("/dashboard/reconciliation").get_data(as_text=True)
    assert "Warranty receivables by brand" in html and "Toyota" in html
    resp = client.get("/dashboard/reconciliation/export/reconciliation_warranty.csv")
    table = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["Volkswagen", "1", "2380.01", "2320.00", "1000.00", "0.00", "1320.00"] == table[2][:7] or \
        ["Volkswagen", "1", "2380.01", "2320.00", "1000.00", "0.00", "1320.00"] == table[1][:7]


def test_dashboard_counts_warranty_claims_as_a_case_type(advisor, manager, store, login, client):
    brand_rule(preauth_threshold=None)
    open_claim(advisor, warranty_work_order(advisor, store))
    login(manager)
    resp = client.get("/dashboard/?case_type=warranty")
    assert resp.status_code == 200
    assert "Warranty claims" in resp.get_data(as_text=True)
