"""Helpers of the warranty tests: brand rules, a work order with warranty lines, a claim opened from it."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.extensions import db
from claimdesk.warranty import services
from claimdesk.warranty.models import WarrantyBrandRule
from claimdesk.workorders.services import open_work_order
from claimdesk.workorders.workflow import WF as WO_WF
from tests.factories import VehicleFactory

#: 1.5 h × 213.33 = 319.995 → 320.00 (half-up at the line); 1 × 1999.995 → 2000.00 (the unit price is born
#: rounded); 0.5 h × 120.01 = 60.005 → 60.01: the claim's money is whole fen throughout
WARRANTY_LINES = [
    {"kind": "labour", "description": "Replace water pump", "quantity": "1.5", "unit_price": "213.33",
     "pay_type": "warranty", "operation_code": "19-101"},
    {"kind": "part", "description": "Water pump", "quantity": "1", "unit_price": "1999.995",
     "pay_type": "warranty"},
    {"kind": "labour", "description": "Coolant bleed", "quantity": "0.5", "unit_price": "120.01",
     "pay_type": "warranty", "operation_code": "19-300"},
]
CUSTOMER_LINE = {"kind": "labour", "description": "Wash", "quantity": "1", "unit_price": "30.00",
                 "pay_type": "customer"}
CLAIMED = Decimal("2380.01")


def brand_rule(make="Volkswagen", **kw) -> WarrantyBrandRule:
    values = {"submission_days": 15, "return_days": 20, "preauth_threshold": Decimal("2000.00"),
              "required_evidence": ["photos", "fault_code", "vin", "mileage", "labour_codes", "old_part_tag"]}
    values.update(kw)
    row = WarrantyBrandRule(make=make, **values)
    db.session.add(row)
    db.session.flush()
    return row


def warranty_work_order(advisor, store, *, make="Volkswagen", lines=None, completed_days_ago=1):
    """An authorised work order with warranty lines whose repair finished `completed_days_ago` days ago."""
    vehicle = VehicleFactory(customer__store=store, make=make, mileage_km=30000)
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 31000, "customer_description": "Coolant loss, warning light"})
    WO_WF.perform(wo, "estimate", {"lines": lines or [*WARRANTY_LINES, CUSTOMER_LINE]}, advisor)
    WO_WF.perform(wo, "authorise", {"signed_by": "Mr Wang", "promised_at": (now() + timedelta(hours=6)).isoformat(),
                                    "payment_method": "wechat_pay"}, advisor)
    wo.repair_completed_at = now() - timedelta(days=completed_days_ago)
    uow.commit()
    return wo


def open_claim(advisor, wo):
    claim = services.open_claim(advisor, {"work_order_id": wo.id})
    uow.commit()
    return claim
