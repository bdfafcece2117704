"""The claim's documents checklist: collecting, verifying and rejecting documents, the manager's release
override, and the gate that holds the submission until every required document is verified."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, GateBlocked, ValidationFailed
from ..extensions import db
from .insurers import ordered_kinds
from .models import DOCUMENT_KINDS, Claim, ClaimDocument


def rebuild_checklist(claim: Claim) -> None:
    """A new insurer before anything was collected: its list replaces the old one."""
    if any(d.status != "missing" for d in claim.checklist):
        raise Conflict(str(_l("Documents were already collected; the insurer cannot change now.")),
                       code="invalid_state")
    claim.checklist.clear()
    db.session.flush()
    for position, kind in enumerate(ordered_kinds(claim.insurer.required_documents)):
        claim.checklist.append(ClaimDocument(kind=kind, position=position, required=True, status="missing"))


def document_of_claim(claim: Claim, document_id: int, field: str, kind: str | None = None):
    from ..documents.models import Document

    doc = db.session.get(Document, document_id)
    if doc is None or doc.case_type != Claim.CASE_TYPE or doc.case_id != claim.id:
        raise ValidationFailed.on(field, _l("No such document uploaded for this claim."))
    if kind and doc.kind != kind:
        raise ValidationFailed.on(field, _l("That document is not of kind %(kind)s.", kind=kind))
    return doc


def start_documents_clock(claim: Claim, ctx) -> None:
    # Documents collected early (during repair) need no clock: nothing is waited on.
    if claim.documents_complete:
        ctx.event_data["documents_complete"] = True
    else:
        ctx.starts.append("claim.documents")
        ctx.event_data["missing_documents"] = [d.kind for d in claim.missing_documents]


def item_for(claim: Claim, kind: str) -> ClaimDocument:
    item = claim.checklist_item(kind)
    if item is None:  # a document the insurer does not require, kept on the checklist as optional
        item = ClaimDocument(kind=kind, position=DOCUMENT_KINDS.index(kind), required=False, status="missing")
        claim.checklist.append(item)
        claim.checklist.sort(key=lambda d: d.position)
    return item


def set_item(item: ClaimDocument, status: str, ctx, *, note=None, document_id=None) -> None:
    item.status = status
    item.status_by_id = getattr(ctx.actor, "id", None)
    item.status_at = ctx.at
    item.note = note
    if document_id is not None:
        item.document_id = document_id


def h_collect_document(claim: Claim, data, ctx):
    was_complete = claim.documents_complete
    item = item_for(claim, data["kind"])
    status = data["status"]
    if item.status == status and not data.get("document_id"):
        raise Conflict(str(_l("%(doc)s is already %(status)s.", doc=item.label, status=status)),
                       code="invalid_state")
    if status == "rejected" and item.status == "missing":
        raise Conflict(str(_l("%(doc)s has not been received; there is nothing to reject.", doc=item.label)),
                       code="invalid_state")
    document_id = None
    if data.get("document_id"):
        document_id = document_of_claim(claim, data["document_id"], "document_id").id
    set_item(item, status, ctx, note=data.get("note"), document_id=document_id)
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
