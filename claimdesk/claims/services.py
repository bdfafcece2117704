"""Verbs of the claims domain and the handlers of its workflow actions: opening a claim, the report,
the assessment, supplements and the repair here; the documents checklist in `checklist.py`, the money
(invoice, submission, payouts, write-offs, closing) in `payout.py`, the insurers in `insurers.py`. What
each action of the state table does is bound once, at the end of this file.

Handlers get (claim, validated data, ctx), change objects and flush; the boundary commits.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..auth.permissions import store_for_new
from ..core.clock import now
from ..core.errors import Conflict, GateBlocked, ValidationFailed
from ..customers.models import Customer, Vehicle
from ..extensions import db
from . import checklist, payout, repair
from .insurers import active_insurer, ordered_kinds
from .models import Claim, ClaimDocument, ClaimSupplement
from .workflow import WF


# --- opening a claim (报案) --------------------------------------------------------------------------
def open_claim(actor, data: dict) -> Claim:
    data = dict(data)
    store_id = store_for_new(actor, data.pop("store_id", None))
    customer = db.session.get(Customer, data.pop("customer_id"))
    if customer is None or customer.store_id != store_id:
        raise ValidationFailed.on("customer_id", _l("Unknown customer in this store."))
    vehicle = db.session.get(Vehicle, data.pop("vehicle_id"))
    if vehicle is None or vehicle.store_id != store_id:
        raise ValidationFailed.on("vehicle_id", _l("Unknown vehicle in this store."))
    if vehicle.customer_id != customer.id:
        raise ValidationFailed.on("vehicle_id", _l("This vehicle belongs to another customer."))
    insurer = active_insurer(data.pop("insurer_id"))
    if data.get("third_party_insurer_id"):
        active_insurer(data["third_party_insurer_id"], "third_party_insurer_id")
    assignee_id = data.pop("assignee_id", None)
    if assignee_id is None and getattr(actor, "role", None) == "advisor" and actor.store_id == store_id:
        assignee_id = actor.id
    _check_accident_time(data.get("accident_at"))
    summary = {k: v for k, v in data.items()}
    t = now()
    claim = Claim(store_id=store_id, customer_id=customer.id, vehicle_id=vehicle.id, insurer_id=insurer.id,
                  state=WF.initial, created_at=t,
                  updated_at=t, **data)
    if assignee_id is not None:
        _check_assignee(assignee_id, store_id)
        claim.assignee_id = assignee_id
    claim.insurer = insurer
    for position, kind in enumerate(ordered_kinds(insurer.required_documents)):
        claim.checklist.append(ClaimDocument(kind=kind, position=position, required=True, status="missing"))
    WF.start(claim, actor, {**summary, "insurer": insurer.name, "plate": vehicle.plate})
    return claim


def _check_assignee(user_id: int, store_id: int) -> None:
    from ..auth.services import active_colleague

    if active_colleague(user_id, store_id) is None:
        raise ValidationFailed.on("assignee_id", _l("Unknown user for this store."))


def _check_accident_time(value) -> None:
    if value is not None and value > now():
        raise ValidationFailed.on("accident_at", _l("The accident cannot be in the future."))


# --- action handlers --------------------------------------------------------------------------------
def h_update_report(claim: Claim, data, ctx):
    data = {k: v for k, v in data.items() if k != "note"}
    if "insurer_id" in data and data["insurer_id"] != claim.insurer_id:
        if claim.state != "reported":
            raise Conflict(str(_l("The insurer can only be changed before the car arrives.")),
                           code="invalid_state")
        claim.insurer = active_insurer(data["insurer_id"])
        checklist.rebuild_checklist(claim)
    data.pop("insurer_id", None)
    if data.get("third_party_insurer_id"):
        active_insurer(data["third_party_insurer_id"], "third_party_insurer_id")
    if "accident_at" in data:
        _check_accident_time(data["accident_at"])
    changed = {}
    for key, value in data.items():
        if getattr(claim, key) != value:
            changed[key] = value
            setattr(claim, key, value)
    if not changed:
        raise ValidationFailed(str(_l("Nothing to change.")))
    ctx.event_data["changed"] = sorted(changed)


def h_schedule_assessment(claim: Claim, data, ctx):
    claim.assessment_appointment_at = data["appointment_at"]
    for key in ("assessor_name", "assessor_phone", "assessor_company"):
        if data.get(key):
            setattr(claim, key, data[key])


def g_report_number(claim: Claim, data, ctx):
    if not (claim.report_number or "").strip():
        raise GateBlocked("report_number", str(_l(
            "Cannot request the assessment: the insurer's report number is missing; record it first.")))


def h_vehicle_arrived(claim: Claim, data, ctx):
    claim.vehicle_arrived_at = ctx.at
    work_order = repair.open_or_link(claim, data, ctx.actor)
    ctx.event_data["work_order_id"] = work_order.id
    ctx.event_data["work_order_number"] = work_order.number


def h_assess(claim: Claim, data, ctx):
    claim.assessor_name = data["assessor_name"]
    for key in ("assessor_phone", "assessor_company", "owner_representative"):
        if data.get(key) is not None:
            setattr(claim, key, data[key])
    claim.approved_amount = data["approved_amount"]
    claim.assessed_at = data.get("assessed_at") or ctx.at
    claim.damage_items = [_item_json(i) for i in data.get("damage_items") or []]
    claim.present = sorted(set(data.get("present") or []))
    if data.get("report_document_id"):
        doc = checklist.document_of_claim(claim, data["report_document_id"], "report_document_id", "assessment_report")
        item = checklist.item_for(claim, "assessment_report")
        if item.status in ("missing", "rejected"):
            checklist.set_item(item, "received", ctx, document_id=doc.id)
    ctx.event_data["approved_amount"] = claim.approved_amount


def _item_json(item: dict) -> dict:
    out = dict(item)
    if out.get("amount") is not None:
        out["amount"] = f"{out['amount']:.2f}"
    return out


def h_supplement(claim: Claim, data, ctx):
    seq = max((s.seq for s in claim.supplements), default=0) + 1
    supplement = ClaimSupplement(seq=seq, description=data["description"], amount=data["amount"],
                                 lines=[_item_json(i) for i in data.get("lines") or []],
                                 status="requested", requested_by_id=getattr(ctx.actor, "id", None),
                                 requested_at=ctx.at)
    if data.get("approved", True):
        # The usual case at the dealer: the assessor came back and agreed the extra damage on the spot.
        supplement.status = "approved"
        supplement.approved_amount = supplement.amount
        supplement.decided_at = ctx.at
        supplement.decided_by = data.get("decided_by") or claim.assessor_name
    claim.supplements.append(supplement)
    db.session.flush()
    ctx.event_data.update(supplement=supplement.number, supplement_id=supplement.id, status=supplement.status,
                          approved_total=claim.approved_total)


def _supplement(claim: Claim, supplement_id: int) -> ClaimSupplement:
    found = next((s for s in claim.supplements if s.id == supplement_id), None)
    if found is None:
        raise ValidationFailed.on("supplement_id", _l("No such supplement on this claim."))
    return found


def h_decide_supplement(claim: Claim, data, ctx):
    s = _supplement(claim, data["supplement_id"])
    if s.status != "requested":
        raise Conflict(str(_l("Supplement %(n)s was already decided (%(status)s).", n=s.number, status=s.status)),
                       code="invalid_state")
    s.decided_at = ctx.at
    s.decided_by = data.get("decided_by") or claim.assessor_name
    s.decision_note = data.get("note")
    if data["approved"]:
        amount = data.get("approved_amount") or s.amount
        if amount > s.amount:
            raise ValidationFailed.on("approved_amount", _l("More than the %(amount)s asked for.", amount=f"{s.amount:.2f}"))
        s.status = "approved"
        s.approved_amount = amount
    else:
        s.status = "rejected"
        s.approved_amount = None
    ctx.event_data.update(supplement=s.number, decision=s.status,
                          approved_amount=s.approved_amount, approved_total=claim.approved_total)


def h_customer_supplement_decision(claim: Claim, data, ctx):
    s = _supplement(claim, data["supplement_id"])
    if s.status != "rejected":
        raise Conflict(str(_l("Only a supplement the insurer rejected goes to the customer.")),
                       code="invalid_state")
    if s.customer_decision is not None:
        raise Conflict(str(_l("The customer already decided on %(n)s.", n=s.number)), code="invalid_state")
    s.customer_decision = "pay" if data["customer_pays"] else "skip"
    s.customer_decided_at = ctx.at
    s.customer_decided_by = data.get("decided_by") or claim.customer.name
    ctx.event_data.update(supplement=s.number, customer_decision=s.customer_decision, amount=s.amount)
    ctx.visibility = "customer"


def g_no_open_supplements(claim: Claim, data, ctx):
    if claim.pending_supplements:
        numbers = ", ".join(s.number for s in claim.pending_supplements)
        raise GateBlocked("supplement_pending", str(_l(
            "Cannot finish the repair: supplement %(numbers)s waits for the insurer's decision.", numbers=numbers)))
    if claim.supplements_awaiting_customer:
        numbers = ", ".join(s.number for s in claim.supplements_awaiting_customer)
        raise GateBlocked("supplement_customer_decision", str(_l(
            "Cannot finish the repair: the customer has not decided on rejected supplement %(numbers)s "
            "(pay or skip).", numbers=numbers)))


def g_work_order_ready(claim: Claim, data, ctx):
    blocker = repair.not_ready_reason(claim)
    if blocker:
        raise GateBlocked("work_order_ready", blocker)


def h_complete_repair(claim: Claim, data, ctx):
    claim.repair_completed_at = ctx.at
    payout.take_invoice(claim, data)
    checklist.start_documents_clock(claim, ctx)


def h_total_loss(claim: Claim, data, ctx):
    if claim.pending_supplements:
        raise GateBlocked("supplement_pending", str(_l(
            "Decide the pending supplements before declaring a total loss.")))
    claim.total_loss = True
    claim.approved_amount = data["agreed_value"]
    if data.get("assessor_name"):
        claim.assessor_name = data["assessor_name"]
    if claim.assessed_at is None:
        claim.assessed_at = ctx.at
    claim.outcome_reason = data["reason"]
    if ctx.from_state == "assessment":
        ctx.stops.append("claim.assessment")
    checklist.start_documents_clock(claim, ctx)


# --- what the actions of the state table (workflow.py) do: handler, then its gates ------------------
WF.implement(
    update_report=h_update_report,
    schedule_assessment=h_schedule_assessment,
    vehicle_arrived=(h_vehicle_arrived, g_report_number),
    assess=h_assess,
    supplement=h_supplement,
    decide_supplement=h_decide_supplement,
    customer_supplement_decision=h_customer_supplement_decision,
    complete_repair=(h_complete_repair, g_no_open_supplements, g_work_order_ready),
    collect_document=checklist.h_collect_document,
    authorise_release=checklist.h_authorise_release,
    submit=(payout.h_submit, checklist.g_documents_complete),
    record_payout=payout.h_record_payout,
    write_off=payout.h_write_off,
    charge_customer=payout.h_charge_customer,
    close=(payout.h_close, payout.g_has_payout),
    declare_total_loss=h_total_loss,
    reject=payout.h_reject,
    withdraw=payout.h_withdraw,
)
