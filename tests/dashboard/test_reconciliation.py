"""The reconciliation page and its exports: per work order (every payer's share and what was received),
per insurer (receivables), goodwill per store and month by complaint attribution."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from claimdesk.dashboard import reconciliation
from tests.claims.factories import InsurerFactory, advance, new_claim
from tests.dashboard.conftest import user_filters
from tests.factories import VehicleFactory
from tests.workorders.conftest import Mover

TODAY = {"from": "2026-03-16", "to": "2026-03-16"}


def _work_order(advisor, store):
    from claimdesk.core import uow
    from claimdesk.workorders.services import open_work_order

    vehicle = VehicleFactory(customer__store=store, mileage_km=20000)
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 21000, "customer_description": "Squeak when braking"})
    uow.commit()
    return wo


def test_reconciliation_tables_page_and_exports(advisor, workshop, manager, store, api_as, login, client):
    api = api_as(advisor)
    wo = Mover(advisor, workshop).to(_work_order(advisor, store), "ready")
    cid = api.post("complaints", {"customer_id": wo.customer_id, "work_order_id": wo.id, "channel": "on_site",
                                  "category": "waiting_time", "severity": "medium", "description": "Late"}).json["id"]
    for action, fields in (("listen", {"account": "x"}), ("apologise", {"note": "y"}),
                           ("resolve", {"attribution": "our_fault", "resolution": "waived", "labour_waived": "100",
                                        "compensation": "50"})):
        assert api.action("complaints", cid, action, **fields).status_code == 200
    assert api.action("work-orders", wo.id, "deliver", signed_by="Mr Wang", payment_method="cash",
                      paid_amount="680.00").status_code == 200
    claim = advance(new_claim(advisor, store, InsurerFactory(short_name="PICC")), advisor, "payout",
                    approved="5000.00")
    api.action("claims", claim.id, "record_payout", amount="1000.00", paid_at="2026-03-16T01:00:00+00:00")

    f = user_filters(manager, **TODAY)
    rows = {s.key: s for s in reconciliation.sections(f)}
    [row] = rows["reconciliation_work_orders"].rows
    assert row[0] == wo.number and row[1:4] == [Decimal("780.00"), Decimal("680.00"), Decimal("680.00")]
    assert row[7] == Decimal("100.00") and row[8] == Decimal("100.00")  # the dealer's share is the goodwill
    [ins] = rows["reconciliation_insurers"].rows
    assert ins[0] == "PICC" and ins[2:6] == [Decimal("5000.00"), Decimal("5000.00"), Decimal("1000.00"),
                                             Decimal("4000.00")]
    [gw] = rows["reconciliation_goodwill"].rows
    assert gw[1] == "2026-03" and gw[3:] == [Decimal("100.00"), Decimal("50.00"), Decimal("150.00")]

    login(manager)
    html = client.get("/dashboard/reconciliation?from=2026-03-16&to=2026-03-16").get_data(as_text=True)
    assert "Money reconciliation" in html and wo.number in html and "PICC" in html
    resp = client.get("/dashboard/reconciliation/export/reconciliation_goodwill.csv?from=2026-03-16&to=2026-03-16")
    table = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[1][-3:] == ["100.00", "50.00", "150.00"]
    resp = client.get("/dashboard/reconciliation/export/all.xlsx?from=2026-03-16&to=2026-03-16")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    assert client.get("/dashboard/reconciliation/export/nope.csv").status_code == 404
