"""Factories and helpers for claim tests: insurers, claims, and driving a claim to a given stage."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory

from claimdesk.claims import services
from claimdesk.claims.models import DOCUMENT_KINDS, Insurer
from claimdesk.claims.workflow import WF
from claimdesk.core import uow
from claimdesk.core.clock import now
from tests.factories import Base, CustomerFactory, VehicleFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "cfc0f01f0005000201a5f3a1b10000000049454e44ae426082")
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + b"\x00" * 64 + bytes.fromhex("ffd9")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


class InsurerFactory(Base):
    class Meta:
        model = Insurer

    name = factory.Sequence(lambda n: f"Insurer {n}")
    short_name = factory.Sequence(lambda n: f"INS{n}")
    hotline = "95518"
    contacts = factory.LazyFunction(lambda: [{"name": "Claims desk", "role": "claims", "phone": "020-12345678"}])
    required_documents = factory.LazyFunction(lambda: list(DOCUMENT_KINDS))
    active = True


def claim_fields(customer, vehicle, insurer, **kw) -> dict:
    data = {"customer_id": customer.id, "vehicle_id": vehicle.id, "insurer_id": insurer.id,
            "policy_number": "PDAA202644010000001234", "report_number": "RDAA2026440100000567",
            "accident_at": (now() - timedelta(days=1)).isoformat(),
            "description": "Rear-ended at a red light; rear bumper and boot lid damaged."}
    data.update(kw)
    return data


def new_claim(actor, store, insurer=None, **kw):
    """A reported claim, opened through the service (as the API does) and committed."""
    from claimdesk.claims.schemas import ClaimIn

    insurer = insurer or InsurerFactory()
    customer = kw.pop("customer", None) or CustomerFactory(store=store)
    vehicle = kw.pop("vehicle", None) or VehicleFactory(customer=customer)
    claim = services.open_claim(actor, ClaimIn().load(claim_fields(customer, vehicle, insurer, **kw)))
    uow.commit()
    return claim


def ready_work_order(claim):
    """Bring the claim's work order to `ready` without the workshop flow (tests of the claim only)."""
    wo = claim.work_order
    wo.state = "ready"
    uow.commit()
    return wo


def advance(claim, actor, to: str, *, approved="8000.00"):
    """Drive a claim through the normal flow up to state `to` (as `actor`), committing each step."""
    steps = ["reported", "assessment", "repair", "documents", "payout", "closed"]
    for target in steps[steps.index(claim.state) + 1: steps.index(to) + 1]:
        if target == "assessment":
            WF.perform(claim, "vehicle_arrived", {}, actor)
        elif target == "repair":
            WF.perform(claim, "assess", {"assessor_name": "Zhang Assessor", "approved_amount": approved}, actor)
        elif target == "documents":
            uow.commit()
            ready_work_order(claim)
            WF.perform(claim, "complete_repair", {}, actor)
        elif target == "payout":
            verify_all(claim, actor)
            WF.perform(claim, "submit", {}, actor)
        elif target == "closed":
            WF.perform(claim, "record_payout", {"amount": str(claim.outstanding),
                                                "paid_at": now().isoformat()}, actor)
            WF.perform(claim, "close", {}, actor)
        uow.commit()
    return claim


def verify_all(claim, actor):
    for item in list(claim.checklist):
        if item.required and item.status != "verified":
            WF.perform(claim, "collect_document", {"kind": item.kind, "status": "verified"}, actor)
    uow.commit()


def money(value) -> Decimal:
    return Decimal(value)
