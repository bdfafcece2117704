"""Verbs of the claims domain and the handlers of its workflow actions.

Handlers get (claim, validated data, ctx), change objects and flush; the boundary commits. Money is
Decimal from the schema to the column; nothing here converts through float.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.permissions import store_for_new
from ..core.clock import now
from ..core.errors import Conflict, Forbidden, GateBlocked, ValidationFailed
from ..customers.models import Customer, Vehicle
from ..extensions import db
from . import repair
from .repair import sync_invoice
from .models import (
    DOCUMENT_KINDS,
    DOCUMENT_LABELS,
    ZERO,
    Claim,
    ClaimDocument,
    ClaimPayout,
    ClaimSupplement,
    Insurer,
    InsurerChange,
)
from .workflow import WF


def _unknown(field: str, message) -> ValidationFailed:
    return ValidationFailed(str(message), fields={field: [str(message)]})


# --- insurers -------------------------------------------------------------------------------------
def _check_insurer_name(name: str, exclude_id: int | None = None) -> None:
    stmt = sa.select(Insurer.id).where(sa.func.lower(Insurer.name) == name.strip().lower())
    if exclude_id:
        stmt = stmt.where(Insurer.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationFailed(str(_l("An insurer with this name exists already.")),
                               fields={"name": [str(_l("Already in the list."))]})


def _ordered_kinds(kinds) -> list[str]:
    wanted = set(kinds)
    return [k for k in DOCUMENT_KINDS if k in wanted]


#: insurer fields whose changes go on its history
_INSURER_FIELDS = ("name", "short_name", "hotline", "contacts", "required_documents", "active", "notes")


def create_insurer(data: dict, actor) -> Insurer:
    """Any store may add an insurer (it is shared by the group from then on); the creation is on its history."""
    data = dict(data)
    _check_insurer_name(data["name"])
    data["name"] = data["name"].strip()
    data["required_documents"] = _ordered_kinds(data.get("required_documents") or [])
    insurer = Insurer(**data)
    db.session.add(insurer)
    db.session.flush()
    _record_insurer_change(insurer, actor, "created",
                           {k: [None, getattr(insurer, k)] for k in _INSURER_FIELDS if getattr(insurer, k) not in
                            (None, "", [])})
    return insurer


def update_insurer(insurer: Insurer, data: dict, actor) -> Insurer:
    """Changes apply to claims reported from now on; existing checklists keep what was agreed. Insurers are
    shared by every store, so only group-wide managers and admins change them (the caller checks with
    `auth.permissions.require_group_wide`); each change, field by field, goes on the insurer's history."""
    data = dict(data)
    if "name" in data:
        _check_insurer_name(data["name"], insurer.id)
        data["name"] = data["name"].strip()
    if "required_documents" in data:
        data["required_documents"] = _ordered_kinds(data["required_documents"])
    changes = {}
    for key, value in data.items():
        old = getattr(insurer, key)
        if old != value:
            changes[key] = [old, value]
        setattr(insurer, key, value)
    db.session.flush()
    if changes:
        _record_insurer_change(insurer, actor, "updated", changes)
    return insurer


def _record_insurer_change(insurer: Insurer, actor, action: str, changes: dict) -> None:
    db.session.add(InsurerChange(insurer_id=insurer.id, actor_id=actor.id if actor else None, at=now(),
                                 action=action, changes=changes))
    db.session.flush()


def insurer_history(insurer: Insurer) -> list[InsurerChange]:
    return list(db.session.scalars(sa.select(InsurerChange).where(InsurerChange.insurer_id == insurer.id)
                                   .order_by(InsurerChange.at.desc(), InsurerChange.id.desc())))


def active_insurer(insurer_id: int, field: str = "insurer_id") -> Insurer:
    insurer = db.session.get(Insurer, insurer_id)
    if insurer is None or not insurer.active:
        raise _unknown(field, _l("Unknown or inactive insurer."))
    return insurer


# --- opening a claim (报案) --------------------------------------------------------------------------
def open_claim(actor, data: dict) -> Claim:
    data = dict(data)
    store_id = store_for_new(actor, data.pop("store_id", None))
    customer = db.session.get(Customer, data.pop("customer_id"))
    if customer is None or customer.store_id != store_id:
        raise _unknown("customer_id", _l("Unknown customer in this store."))
    vehicle = db.session.get(Vehicle, data.pop("vehicle_id"))
    if vehicle is None or vehicle.store_id != store_id:
        raise _unknown("vehicle_id", _l("Unknown vehicle in this store."))
    if vehicle.customer_id != customer.id:
        raise _unknown("vehicle_id", _l("This vehicle belongs to another customer."))
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
    for position, kind in enumerate(_ordered_kinds(insurer.required_documents)):
        claim.checklist.append(ClaimDocument(kind=kind, position=position, required=True, status="missing"))
    WF.start(claim, actor, {**summary, "insurer": insurer.name, "plate": vehicle.plate})
    return claim


def _check_assignee(user_id: int, store_id: int) -> None:
    from ..auth.services import active_colleague

    if active_colleague(user_id, store_id) is None:
        raise _unknown("assignee_id", _l("Unknown user for this store."))


def _check_accident_time(value) -> None:
    if value is not None and value > now():
        raise _unknown("accident_at", _l("The accident cannot be in the future."))


# --- action handlers --------------------------------------------------------------------------------
def h_update_report(claim: Claim, data, ctx):
    data = {k: v for k, v in data.items() if k != "note"}
    if "insurer_id" in data and data["insurer_id"] != claim.insurer_id:
        if claim.state != "reported":
            raise Conflict(str(_l("The insurer can only be changed before the car arrives.")),
                           code="invalid_state")
        claim.insurer = active_insurer(data["insurer_id"])
        _rebuild_checklist(claim)
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


def _rebuild_checklist(claim: Claim) -> None:
    """A new insurer before anything was collected: its list replaces the old one."""
    if any(d.status != "missing" for d in claim.checklist):
        raise Conflict(str(_l("Documents were already collected; the insurer cannot change now.")),
                       code="invalid_state")
    claim.checklist.clear()
    db.session.flush()
    for position, kind in enumerate(_ordered_kinds(claim.insurer.required_documents)):
        claim.checklist.append(ClaimDocument(kind=kind, position=position, required=True, status="missing"))


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


def _document_of_claim(claim: Claim, document_id: int, field: str, kind: str | None = None):
    from ..documents.models import Document

    doc = db.session.get(Document, document_id)
    if doc is None or doc.case_type != Claim.CASE_TYPE or doc.case_id != claim.id:
        raise _unknown(field, _l("No such document uploaded for this claim."))
    if kind and doc.kind != kind:
        raise _unknown(field, _l("That document is not of kind %(kind)s.", kind=kind))
    return doc


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
        doc = _document_of_claim(claim, data["report_document_id"], "report_document_id", "assessment_report")
        item = _item_for(claim, "assessment_report")
        if item.status in ("missing", "rejected"):
            _set_item(item, "received", ctx, document_id=doc.id)
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
        raise _unknown("supplement_id", _l("No such supplement on this claim."))
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
            raise _unknown("approved_amount", _l("More than the %(amount)s asked for.", amount=f"{s.amount:.2f}"))
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
    _take_invoice(claim, data)
    _start_documents_clock(claim, ctx)


# --- money: the invoice is the work order's insurance share ------------------------------------------
def _take_invoice(claim: Claim, data) -> None:
    """An `invoiced_amount` sent with an action: recorded as is while the work order bills nothing; once
    it does, the invoice is its insurance share and a different figure is refused (422)."""
    value = data.get("invoiced_amount")
    if value is not None:
        if claim.billed_work_order is not None and value != claim.invoiced:
            raise _unknown("invoiced_amount", _l(
                "The invoice is the work order's insurance share, %(share)s; change the work order's lines or "
                "adjustments instead.", share=f"{claim.invoiced:.2f}"))
        claim.invoiced_amount = value
    sync_invoice(claim)


def _settle_amount(claim: Claim, amount: Decimal) -> None:
    if amount > claim.unsettled:
        raise _unknown("amount", _l("More than the %(left)s of the invoice not yet paid, written off or charged.",
                                    left=f"{max(claim.unsettled, ZERO):.2f}"))


def _maybe_fully_paid(claim: Claim, ctx) -> None:
    if claim.state == "payout" and claim.payouts and claim.fully_paid_at is None and claim.outstanding == ZERO:
        claim.fully_paid_at = max(p.paid_at for p in claim.payouts)
        ctx.event_data["fully_paid"] = True
        ctx.stops.append("claim.payout")


def h_write_off(claim: Claim, data, ctx):
    """The dealer absorbs part of the invoice (a manager's decision, with a reason)."""
    sync_invoice(claim)
    amount = data["amount"]
    _settle_amount(claim, amount)
    claim.written_off_amount = (claim.written_off_amount or ZERO) + amount
    reason = data["reason"].strip()
    claim.write_off_reason = f"{claim.write_off_reason}; {reason}" if claim.write_off_reason else reason
    ctx.event_data.update(amount=amount, written_off_amount=claim.written_off_amount, unsettled=claim.unsettled)
    _maybe_fully_paid(claim, ctx)


def h_charge_customer(claim: Claim, data, ctx):
    """The customer pays part of the invoice the insurer will not (their consent recorded)."""
    sync_invoice(claim)
    amount = data["amount"]
    _settle_amount(claim, amount)
    claim.customer_owes_amount = (claim.customer_owes_amount or ZERO) + amount
    claim.customer_consent_by = data["consent_by"].strip()
    ctx.event_data.update(amount=amount, customer_owes_amount=claim.customer_owes_amount,
                          consent_by=claim.customer_consent_by, unsettled=claim.unsettled)
    ctx.visibility = "customer"
    _maybe_fully_paid(claim, ctx)


def _start_documents_clock(claim: Claim, ctx) -> None:
    # Documents collected early (during repair) need no clock: nothing is waited on.
    if claim.documents_complete:
        ctx.event_data["documents_complete"] = True
    else:
        ctx.starts.append("claim.documents")
        ctx.event_data["missing_documents"] = [d.kind for d in claim.missing_documents]


def _item_for(claim: Claim, kind: str) -> ClaimDocument:
    item = claim.checklist_item(kind)
    if item is None:  # a document the insurer does not require, kept on the checklist as optional
        item = ClaimDocument(kind=kind, position=DOCUMENT_KINDS.index(kind), required=False, status="missing")
        claim.checklist.append(item)
        claim.checklist.sort(key=lambda d: d.position)
    return item


def _set_item(item: ClaimDocument, status: str, ctx, *, note=None, document_id=None) -> None:
    item.status = status
    item.status_by_id = getattr(ctx.actor, "id", None)
    item.status_at = ctx.at
    item.note = note
    if document_id is not None:
        item.document_id = document_id


def h_collect_document(claim: Claim, data, ctx):
    was_complete = claim.documents_complete
    item = _item_for(claim, data["kind"])
    status = data["status"]
    if item.status == status and not data.get("document_id"):
        raise Conflict(str(_l("%(doc)s is already %(status)s.", doc=item.label, status=status)),
                       code="invalid_state")
    if status == "rejected" and item.status == "missing":
        raise Conflict(str(_l("%(doc)s has not been received; there is nothing to reject.", doc=item.label)),
                       code="invalid_state")
    document_id = None
    if data.get("document_id"):
        document_id = _document_of_claim(claim, data["document_id"], "document_id").id
    _set_item(item, status, ctx, note=data.get("note"), document_id=document_id)
    db.session.flush()
    ctx.event_data.update(label=item.label, missing=[d.kind for d in claim.missing_documents])
    if not was_complete and claim.documents_complete:
        ctx.event_data["documents_complete"] = True
        if claim.state == "documents":
            ctx.stops.append("claim.documents")


def h_authorise_release(claim: Claim, data, ctx):
    if claim.documents_complete:
        raise Conflict(str(_l("The documents are complete; the car may be released without an override.")),
                       code="invalid_state")
    if claim.release_override_at is not None:
        raise Conflict(str(_l("The release was already authorised.")), code="invalid_state")
    claim.release_override_by_id = ctx.actor.id if ctx.actor else None
    claim.release_override_at = ctx.at
    claim.release_override_reason = data["reason"]
    ctx.event_data["missing"] = [d.kind for d in claim.missing_documents]


def g_documents_complete(claim: Claim, data, ctx):
    if not claim.documents_complete:
        missing = ", ".join(d.label for d in claim.missing_documents)
        raise GateBlocked("documents_complete", str(_l(
            "Cannot submit to the insurer: documents not yet verified: %(missing)s.", missing=missing)))


def h_submit(claim: Claim, data, ctx):
    _take_invoice(claim, data)
    claimed = data.get("claimed_amount")
    if claimed is None:
        claimed = min(claim.approved_total, claim.invoiced)
    if claimed > claim.invoiced:
        raise _unknown("claimed_amount", _l("More than the invoice, %(invoiced)s.", invoiced=f"{claim.invoiced:.2f}"))
    if claimed <= ZERO:
        raise _unknown("claimed_amount", _l("Nothing to claim: the approved amount is zero."))
    claim.claimed_amount = claimed
    claim.authorised_by = data.get("authorised_by") or claim.customer.name
    claim.submitted_at = ctx.at
    ctx.event_data.update(claimed_amount=claimed, invoiced=claim.invoiced, authorised_by=claim.authorised_by)


def h_record_payout(claim: Claim, data, ctx):
    amount: Decimal = data["amount"]
    if data["paid_at"] > ctx.at:
        raise _unknown("paid_at", _l("The payment date cannot be in the future."))
    if claim.fully_paid_at is not None:
        raise Conflict(str(_l("The claim is fully paid already.")), code="invalid_state")
    if amount > claim.outstanding:
        raise _unknown("amount", _l("More than the %(outstanding)s still expected from the insurer.",
                                    outstanding=f"{claim.outstanding:.2f}"))
    payout = ClaimPayout(amount=amount, paid_at=data["paid_at"], reference=data.get("reference"),
                         recorded_by_id=getattr(ctx.actor, "id", None), recorded_at=ctx.at)
    claim.payouts.append(payout)
    db.session.flush()
    ctx.event_data.update(paid_total=claim.paid_total, outstanding=claim.outstanding)
    if claim.outstanding == ZERO:
        claim.fully_paid_at = data["paid_at"]
        ctx.event_data["fully_paid"] = True
        ctx.stops.append("claim.payout")


def g_has_payout(claim: Claim, data, ctx):
    if not claim.payouts:
        raise GateBlocked("payout_recorded", str(_l(
            "Cannot close: no payout from the insurer is recorded yet (or reject the claim).")))


def h_close(claim: Claim, data, ctx):
    """Close only when invoiced = paid + written off + charged to the customer, to the fen; what is still
    unsettled at the final payout goes to the customer (customer_owes) or is written off (manager)."""
    sync_invoice(claim)
    remaining = claim.unsettled
    ctx.event_data.update(approved_total=claim.approved_total, invoiced=claim.invoiced,
                          paid_total=claim.paid_total, shortfall=claim.shortfall, unsettled=remaining)
    if remaining < ZERO:
        raise GateBlocked("claim_balanced", str(_l(
            "Cannot close: paid, written off and charged add up to %(over)s more than the invoice %(invoiced)s.",
            over=f"{-remaining:.2f}", invoiced=f"{claim.invoiced:.2f}")))
    if remaining > ZERO:
        action = data.get("shortfall_action")
        if action is None:
            raise ValidationFailed(
                str(_l("The insurer paid %(short)s less than invoiced: the customer owes it, or it is written off.",
                       short=f"{remaining:.2f}")),
                fields={"shortfall_action": [str(_l("Choose customer_owes or write_off."))]})
        if action == "write_off":
            if ctx.actor is not None and ctx.actor.role != "manager":
                raise Forbidden(str(_l("Only a manager may write off a shortfall.")))
            if not (data.get("write_off_reason") or "").strip():
                raise ValidationFailed(str(_l("A write-off needs a reason.")),
                                       fields={"write_off_reason": [str(_l("Required for a write-off."))]})
            claim.written_off_amount = (claim.written_off_amount or ZERO) + remaining
            reason = data["write_off_reason"].strip()
            claim.write_off_reason = f"{claim.write_off_reason}; {reason}" if claim.write_off_reason else reason
        else:
            claim.customer_owes_amount = (claim.customer_owes_amount or ZERO) + remaining
        ctx.event_data["shortfall_action"] = action
    if claim.fully_paid_at is None:
        # The last payment was final although short of the claim: the payout wait ends here.
        claim.fully_paid_at = max(p.paid_at for p in claim.payouts)
        ctx.stops.append("claim.payout")


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
    _start_documents_clock(claim, ctx)


def _outcome(claim: Claim, data, ctx):
    claim.outcome_reason = data["reason"]
    owes = data.get("customer_owes_amount")
    if owes is None:
        # Work already done is now the customer's to pay.
        owes = claim.invoiced - claim.paid_total if claim.repair_completed_at else ZERO
    claim.customer_owes_amount = max(owes, ZERO)
    ctx.event_data["customer_owes_amount"] = claim.customer_owes_amount
    ctx.visibility = "customer"


h_reject = _outcome
h_withdraw = _outcome


# --- the one next step ------------------------------------------------------------------------------
def document_labels() -> list[tuple[str, str]]:
    return [(k, str(DOCUMENT_LABELS[k])) for k in DOCUMENT_KINDS]


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
    collect_document=h_collect_document,
    authorise_release=h_authorise_release,
    submit=(h_submit, g_documents_complete),
    record_payout=h_record_payout,
    write_off=h_write_off,
    charge_customer=h_charge_customer,
    close=(h_close, g_has_payout),
    declare_total_loss=h_total_loss,
    reject=h_reject,
    withdraw=h_withdraw,
)
