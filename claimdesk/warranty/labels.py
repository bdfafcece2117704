"""The words staff see for warranty claim fields and codes (timeline, pages), translated."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import EVIDENCE_LABELS, REJECTION_LABELS

LINE_STATUS_LABELS = {"pending": _l("waiting for the decision"), "approved": _l("approved"),
                      "partly": _l("partly approved"), "rejected": _l("rejected")}
PREAUTH_LABELS = {"requested": _l("requested"), "approved": _l("approved"), "rejected": _l("refused")}

#: the timeline's words for this domain's own event fields (registered with core.timeline in init_app)
FIELD_LABELS = {
    "work_order": _l("Work order"), "make": _l("Brand"), "claimed_amount": _l("Claimed"),
    "submission_due_at": _l("Submission due"), "preauth_status": _l("Pre-authorisation"),
    "reference": _l("Reference"), "manufacturer_claim_number": _l("Manufacturer's claim no."),
    "late": _l("Late"), "decisions": _l("Decisions"), "approved_total": _l("Approved"),
    "rejected_total": _l("Rejected"), "line_ids": _l("Lines"), "evidence": _l("Evidence"),
    "evidence_id": _l("Evidence"), "missing_evidence": _l("Missing evidence"), "line_id": _l("Line"),
    "line": _l("Line"), "tag": _l("Old-part tag"), "waybill": _l("Waybill"), "shipped_on": _l("Shipped on"),
    "credit_note_number": _l("Credit note no."), "received_on": _l("Received on"),
    "reimbursed_total": _l("Reimbursed"), "outstanding": _l("Outstanding"),
    "written_off_amount": _l("Written off"), "unsettled": _l("Not accounted for"), "claimed": _l("Claimed"),
    "approved": _l("Approved"), "kind": _l("Kind"), "value": _l("Value"), "document_id": _l("Document"),
}
VALUE_LABELS = {"kind": EVIDENCE_LABELS, "reason_code": REJECTION_LABELS, "preauth_status": PREAUTH_LABELS}
