"""The claim's link to its work order: opening or linking it when the car arrives, following the
repair, and holding the car until the documents are complete (or a manager overrides).

The work order module knows nothing about claims; we listen to its actions (action_performed):
- the work order becomes `ready` → the claim moves on (complete_repair, as the system);
- the work order is delivered while the claim still misses documents and no manager override is
  recorded → the delivery is refused with a named gate (the exception rolls the delivery back).
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..core import events
from ..core.errors import Conflict, GateBlocked, ValidationFailed
from ..extensions import db
from ..workorders.models import WorkOrder
from ..workorders.services import open_work_order
from .models import Claim
from .workflow import WF

log = logging.getLogger(__name__)

READY_STATES = ("ready", "delivered", "closed")
DEAD_STATES = ("delivered", "closed", "cancelled")


def work_order_of(claim: Claim) -> WorkOrder | None:
    return db.session.get(WorkOrder, claim.work_order_id) if claim.work_order_id else None


def open_or_link(claim: Claim, data: dict, actor) -> WorkOrder:
    if data.get("work_order_id"):
        wo = db.session.get(WorkOrder, data["work_order_id"])
        if wo is None or wo.store_id != claim.store_id:
            raise ValidationFailed(str(_l("Unknown work order in this store.")),
                                   fields={"work_order_id": [str(_l("Unknown work order."))]})
        if wo.vehicle_id != claim.vehicle_id:
            raise ValidationFailed(str(_l("That work order is for another vehicle.")),
                                   fields={"work_order_id": [str(_l("Another vehicle's work order."))]})
        if wo.state in DEAD_STATES:
            raise Conflict(str(_l("Work order %(n)s is %(state)s and cannot take the repair.", n=wo.number,
                                  state=wo.state)), code="invalid_state")
        other = db.session.scalar(sa.select(Claim.number).where(
            Claim.work_order_id == wo.id, Claim.id != claim.id,
            Claim.state.not_in(("closed", "rejected", "withdrawn"))))
        if other:
            raise Conflict(str(_l("Work order %(wo)s already belongs to claim %(claim)s.", wo=wo.number,
                                  claim=other)), code="invalid_state")
        if wo.pay_type != "insurance":
            wo.pay_type = "insurance"
    else:
        vehicle = claim.vehicle
        description = data.get("customer_description") or str(_l(
            "Accident repair, insurance claim %(number)s (%(insurer)s): %(what)s", number=claim.number,
            insurer=claim.insurer.label, what=claim.description))
        wo = open_work_order(actor, {
            "customer_id": claim.customer_id, "vehicle_id": claim.vehicle_id,
            "mileage_km": data.get("mileage_km", vehicle.mileage_km),
            "customer_description": description[:8000], "pay_type": "insurance",
            **({"assignee_id": claim.assignee_id} if claim.assignee_id else {}),
        }, system=True)
    claim.work_order_id = wo.id
    return wo


def not_ready_reason(claim: Claim) -> str | None:
    """Why the repair cannot be called complete yet (the linked work order is not ready), or None."""
    wo = work_order_of(claim)
    if wo is None or wo.state in READY_STATES:
        return None
    return str(_l("Cannot finish the repair: work order %(n)s is %(state)s, not ready.", n=wo.number,
                  state=wo.state.replace("_", " ")))


def release_blocker(claim: Claim) -> str | None:
    """Why the car may not leave yet (documents incomplete and no manager override), or None."""
    if claim.state in ("closed", "rejected", "withdrawn") or claim.total_loss:
        return None
    if claim.documents_complete or claim.release_override_at is not None:
        return None
    missing = ", ".join(d.label for d in claim.missing_documents)
    return str(_l("Cannot release the car: claim %(number)s still misses %(missing)s; a manager must record "
                  "an override first.", number=claim.number, missing=missing))


def claims_of_work_order(work_order_id: int) -> list[Claim]:
    return list(db.session.scalars(sa.select(Claim).where(
        Claim.work_order_id == work_order_id, Claim.state.not_in(("closed", "rejected", "withdrawn")))))


def delivery_gates(wo: WorkOrder) -> list[tuple[str, str, dict]]:
    """The claim's hold on the car (documents incomplete, no manager override): a named delivery gate
    of the work order, shown on its page before Deliver is pressed and enforced by its deliver action."""
    out = []
    for claim in claims_of_work_order(wo.id):
        blocker = release_blocker(claim)
        if blocker:
            out.append(("claim_documents", blocker, {"claim_id": claim.id}))
    return out


def linked_claims(wo: WorkOrder, user) -> list[dict]:
    """"Insurance claim CL-…" on the work order page, for those who may read claims."""
    from ..auth.permissions import can

    if not can(user, "claims.read"):
        return []
    claims = db.session.scalars(sa.select(Claim).where(Claim.work_order_id == wo.id).order_by(Claim.id))
    return [{"case_type": Claim.CASE_TYPE, "case_id": c.id, "number": c.number,
             "label": str(_l("Insurance claim %(number)s", number=c.number))} for c in claims]


def money_guard(wo: WorkOrder, new) -> None:
    """A closed claim's invoice is final: the work order's insurance share may not change under it."""
    closed = db.session.scalars(sa.select(Claim).where(Claim.work_order_id == wo.id, Claim.state == "closed"))
    for claim in closed:
        if claim.billed_work_order is not None and new.insurer != claim.invoiced:
            raise Conflict(str(_l("Claim %(n)s is closed at an invoice of %(invoiced)s; the insurer's share of this "
                                  "work order cannot change.", n=claim.number, invoiced=f"{claim.invoiced:.2f}")),
                           code="invalid_state")


def sync_invoice(claim: Claim) -> None:
    """Store the invoice the settlement computes (the dashboard sums the stored column)."""
    if claim.billed_work_order is not None and claim.invoiced_amount != claim.invoiced:
        claim.invoiced_amount = claim.invoiced


def on_action_performed(sender, case=None, action=None, event=None, context=None, **kw):
    if getattr(sender, "case_type", None) != WorkOrder.CASE_TYPE:
        return
    for claim in claims_of_work_order(case.id):  # lines or adjustments changed: the invoice follows
        sync_invoice(claim)
    # A delivery the claim's documents hold is refused by the deliver action's own guard
    # (workorders.services.DELIVERY_GATES → delivery_gates), which every delivery runs.
    if case.state == "ready" and context.from_state != "ready":
        for claim in claims_of_work_order(case.id):
            if claim.state != "repair":
                continue
            try:  # guards refuse before anything changes, so there is nothing to undo on GateBlocked
                WF.perform(claim, "complete_repair", {}, None, system=True)
            except GateBlocked as err:
                # The repair is done but the claim cannot move yet (a supplement is undecided): say so on
                # the claim's timeline; the advisor completes it once the gate is cleared.
                events.record(claim, kind="system", action="work_order_ready", actor=None,
                              from_state=claim.state, to_state=claim.state,
                              data={"work_order": case.number, "gate": err.gate, "message": err.message})
                log.info("claim %s not moved on: %s", claim.number, err.gate)
