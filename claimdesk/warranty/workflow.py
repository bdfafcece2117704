"""The warranty claim's state table: draft → (pre-authorisation) → submitted → decided per line →
(resubmitted → decided …) → reimbursed → closed; cancelled before submission.

SLA clocks are only declared here (the SLA engine listens to action_performed): the submission
deadline runs from the repair's completion, the old-part return deadline from the submission, the
manufacturer's decision from each (re)submission, the reimbursement from an approving decision.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..cases.actions import common_actions
from ..core.workflow import MANAGERS, Action, Workflow, register
from . import schemas as s
from .models import WarrantyClaim

STATES = ["draft", "preauth_requested", "preauth_decided", "submitted", "decided", "resubmitted", "reimbursed",
          "closed", "cancelled"]
FINAL = {"closed", "cancelled"}
OPEN_STATES = [st for st in STATES if st not in FINAL]
STATE_LABELS = {
    "draft": _l("Draft"), "preauth_requested": _l("Pre-authorisation requested"),
    "preauth_decided": _l("Pre-authorisation decided"), "submitted": _l("Submitted"),
    "decided": _l("Decided by the manufacturer"), "resubmitted": _l("Resubmitted"),
    "reimbursed": _l("Reimbursed"), "closed": _l("Closed"), "cancelled": _l("Cancelled"),
}
ADVISORS = frozenset({"advisor", "front_desk_supervisor"})  # and the front-desk supervisor (前台主管)
SUBMISSION, PART_RETURN, DECISION, REIMBURSEMENT = ("warranty.submission", "warranty.part_return",
                                                    "warranty.decision", "warranty.reimbursement")
CLOCKS = (SUBMISSION, PART_RETURN, DECISION, REIMBURSEMENT)
SHIPPING_STATES = ("submitted", "decided", "resubmitted", "reimbursed")

WF = register(Workflow("warranty", WarrantyClaim, STATES, FINAL, [
    Action("request_preauth", ("draft",), "preauth_requested", roles=ADVISORS, schema=s.WarrantyRequestPreauthIn,
           label=_l("Request pre-authorisation"),
           description="Ask the manufacturer to pre-authorise the repair (only when the claim is above the "
                       "brand's threshold)."),
    Action("record_preauth_decision", ("preauth_requested",), "preauth_decided", roles=ADVISORS,
           schema=s.WarrantyPreauthDecisionIn, label=_l("Record pre-authorisation decision"),
           description="The manufacturer's answer to the pre-authorisation request, with its authorisation number."),
    Action("attach_evidence", None, roles=ADVISORS, schema=s.WarrantyEvidenceIn, label=_l("Attach evidence"),
           description="Record a piece of evidence: a value (fault code …) and/or an uploaded document (photos …)."),
    Action("tag_part", None, roles=ADVISORS, schema=s.WarrantyTagPartIn, label=_l("Tag old part"),
           description="The old-part tag number (旧件标签) of a part line; the part is kept for the manufacturer."),
    Action("submit", ("draft", "preauth_decided"), "submitted", roles=ADVISORS, schema=s.WarrantySubmitIn,
           stops=(SUBMISSION,), starts=(DECISION,), label=_l("Submit to the manufacturer"),
           description="Submit with the manufacturer's claim number; refused with the list of missing evidence, "
                       "or without an approved pre-authorisation where the brand requires one."),
    Action("record_decision", ("submitted", "resubmitted"), "decided", roles=ADVISORS, schema=s.WarrantyClaimDecisionIn,
           stops=(DECISION,), label=_l("Record manufacturer's decision"),
           description="Per line: approved, partly (with the amount) or rejected (reason code and text). "
                       "Every line under review needs a decision."),
    Action("resubmit", ("decided", "reimbursed"), "resubmitted", roles=ADVISORS, schema=s.WarrantyResubmitIn,
           starts=(DECISION,), label=_l("Resubmit rejected lines"),
           description="Send rejected or partly approved lines again, with new evidence."),
    Action("ship_parts", SHIPPING_STATES, roles=ADVISORS, schema=s.WarrantyShipPartsIn,
           stops=(PART_RETURN,), label=_l("Ship old parts back"),
           description="The old parts' return shipment (旧件回运): waybill and date shipped."),
    Action("record_reimbursement", ("decided", "resubmitted"), roles=ADVISORS, schema=s.WarrantyReimbursementIn,
           label=_l("Record reimbursement"),
           description="The manufacturer's credit note: number, amount, date. Never more than approved and not "
                       "yet reimbursed."),
    Action("write_off", ("preauth_decided", "decided", "reimbursed"), roles=MANAGERS, schema=s.WarrantyWriteOffIn,
           label=_l("Write off"),
           description="The dealer absorbs what the manufacturer will not pay (manager, with a reason)."),
    Action("close", ("preauth_decided", "decided", "reimbursed"), "closed", roles=ADVISORS, schema=s.WarrantyCloseIn,
           cancels=CLOCKS, label=_l("Reconcile and close"),
           description="Closes only when reimbursed + written off = claimed (the work order's manufacturer "
                       "share), to the fen, and no line waits for a decision."),
    Action("cancel", ("draft", "preauth_requested", "preauth_decided"), "cancelled", roles=ADVISORS,
           schema=s.WarrantyCancelIn, cancels=CLOCKS, label=_l("Cancel"),
           description="Not claimed from the manufacturer after all (before submission), with a reason."),
    *common_actions(ADVISORS),
], initial="draft", state_labels=STATE_LABELS))

ACTION_LABELS = {name: a.label for name, a in WF.actions.items()}
ACTION_LABELS["create"] = _l("Warranty claim opened")
