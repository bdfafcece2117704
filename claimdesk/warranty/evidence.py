"""The claim's evidence: what the brand requires, what the claim's own data already provides (VIN,
mileage, labour operation codes, old-part tags), what was attached, and what is still missing."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, GateBlocked, ValidationFailed
from ..extensions import db
from .models import EVIDENCE_LABELS, WarrantyClaim, WarrantyEvidence
from .rules import ordered_evidence, rule_for


def required_kinds(claim: WarrantyClaim) -> list[str]:
    return ordered_evidence(rule_for(claim.make).required_evidence)


def provided(claim: WarrantyClaim, kind: str) -> bool:
    """Whether the claim has this piece of evidence (attached, or in its own data)."""
    if kind == "vin":
        return bool(claim.vehicle and (claim.vehicle.vin or "").strip())
    if kind == "mileage":
        return bool(claim.work_order and claim.work_order.mileage_km)
    if kind == "labour_codes":
        labour = [ln for ln in claim.lines if ln.kind == "labour"]
        return all((ln.operation_code or "").strip() for ln in labour)
    if kind == "old_part_tag":
        return all((ln.part_tag or "").strip() for ln in claim.part_lines)
    return any((e.value or "").strip() or e.document_id for e in claim.evidence_of(kind))


def missing(claim: WarrantyClaim) -> list[str]:
    return [k for k in required_kinds(claim) if not provided(claim, k)]


def missing_labels(claim: WarrantyClaim) -> list[str]:
    return [str(EVIDENCE_LABELS[k]) for k in missing(claim)]


def g_evidence_complete(claim: WarrantyClaim, data, ctx):
    kinds = missing(claim)
    if kinds:
        err = GateBlocked("evidence_complete", str(_l(
            "Cannot submit: evidence missing: %(missing)s.",
            missing=", ".join(str(EVIDENCE_LABELS[k]) for k in kinds))))
        err.extra["missing"] = kinds
        raise err


def add(claim: WarrantyClaim, data: dict, ctx) -> WarrantyEvidence:
    value = (data.get("value") or "").strip() or None
    document_id = data.get("document_id")
    if value is None and document_id is None:
        raise ValidationFailed.on("value", _l("Give a value or a document."))
    if document_id is not None:
        from ..documents.models import Document

        doc = db.session.get(Document, document_id)
        if doc is None or doc.case_type != claim.CASE_TYPE or doc.case_id != claim.id:
            raise ValidationFailed.on("document_id", _l("No such document uploaded for this claim."))
    row = WarrantyEvidence(kind=data["kind"], value=value, document_id=document_id,
                           recorded_by_id=getattr(ctx.actor, "id", None), recorded_at=ctx.at)
    claim.evidence.append(row)
    return row


def h_attach_evidence(claim: WarrantyClaim, data, ctx):
    row = add(claim, data, ctx)
    db.session.flush()
    ctx.event_data.update(evidence_id=row.id, missing_evidence=missing(claim))


def h_tag_part(claim: WarrantyClaim, data, ctx):
    line = next((ln for ln in claim.lines if ln.id == data["line_id"]), None)
    if line is None or line.kind != "part":
        raise ValidationFailed.on("line_id", _l("No such part line on this claim."))
    if claim.return_shipped_on is not None:
        raise Conflict(str(_l("The old parts were shipped already; the tags cannot change.")), code="invalid_state")
    line.part_tag = data["tag"].strip()
    ctx.event_data.update(line=line.description, tag=line.part_tag)
