"""The claim's state table: report → assessment → repair → documents → payout → closed.

Branches: reject (the insurer refuses), withdraw (the customer pays the repair themselves) and total
loss (no repair: assessment goes straight to documents with the agreed value). SLA clocks are only
declared here; the SLA engine listens to action_performed.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..cases.actions import common_actions
from ..core.workflow import MANAGERS, Action, Workflow, register
from . import schemas as s
from .models import Claim

STATES = ["reported", "assessment", "repair", "documents", "payout", "closed", "rejected", "withdrawn"]
FINAL = {"closed", "rejected", "withdrawn"}
OPEN_STATES = [st for st in STATES if st not in FINAL]
STATE_LABELS = {
    "reported": _l("Reported"), "assessment": _l("Assessment"), "repair": _l("Repair"),
    "documents": _l("Documents"), "payout": _l("Payout"), "closed": _l("Closed"),
    "rejected": _l("Rejected"), "withdrawn": _l("Withdrawn"),
}
ADVISORS = frozenset({"advisor", "front_desk_supervisor"})  # and the front-desk supervisor (前台主管)
CLOCKS = ("claim.assessment", "claim.documents", "claim.payout")

WF = register(Workflow("claim", Claim, STATES, FINAL, [
    Action("update_report", ("reported", "assessment", "repair", "documents"), roles=ADVISORS,
           schema=s.UpdateReportIn, label=_l("Update report"),
           description="Correct or complete the report: policy numbers, report number, accident, liability."),
    Action("schedule_assessment", ("reported", "assessment"), roles=ADVISORS, schema=s.ScheduleAssessmentIn,
           label=_l("Book assessment"),
           description="Book the joint assessment: the insurer's assessor and the appointment time."),
    Action("vehicle_arrived", ("reported",), "assessment", roles=ADVISORS, schema=s.VehicleArrivedIn,
           starts=("claim.assessment",),
           label=_l("Car arrived"),
           description="The car is at the store: link work_order_id or open a work order with pay type "
                       "insurance. Needs the insurer's report number."),
    Action("assess", ("assessment",), "repair", roles=ADVISORS, schema=s.AssessIn,
           stops=("claim.assessment",), label=_l("Record assessment"),
           description="The joint loss assessment (定损): assessor, damage items, approved amount, who was there."),
    Action("supplement", ("repair",), roles=ADVISORS, schema=s.ClaimSupplementIn,
           label=_l("Request supplement"),
           description="Hidden damage found in repair: ask the insurer for a supplementary assessment (追加定损)."),
    Action("decide_supplement", ("repair",), roles=ADVISORS, schema=s.DecideSupplementIn,
           label=_l("Insurer's supplement decision"),
           description="Record the insurer's approval (possibly of a lower amount) or rejection of a supplement."),
    Action("customer_supplement_decision", ("repair",), roles=ADVISORS, schema=s.CustomerSupplementDecisionIn,
           label=_l("Customer's decision on rejected supplement"),
           description="A rejected supplement goes to the customer: pay for the work or skip it."),
    Action("complete_repair", ("repair",), "documents", roles=ADVISORS, schema=s.ClaimCompleteRepairIn,
           label=_l("Repair complete"),
           description="The linked work order is ready; document collection starts (the documents clock "
                       "starts unless everything is verified already)."),
    Action("collect_document", None, roles=ADVISORS, schema=s.CollectDocumentIn,
           label=_l("Record document"),
           description="Mark a checklist document received, verified or rejected (with a reason)."),
    Action("authorise_release", ("repair", "documents"), roles=MANAGERS, schema=s.ReleaseOverrideIn,
           label=_l("Authorise release without documents"),
           description="Manager's recorded override: the car may leave before the documents are complete."),
    Action("submit", ("documents",), "payout", roles=ADVISORS, schema=s.ClaimSubmitIn,
           starts=("claim.payout",),
           label=_l("Submit to insurer"),
           description="Submit with the owner's authorisation; every required document must be verified."),
    Action("record_payout", ("payout",), roles=ADVISORS, schema=s.ClaimPayoutIn,
           label=_l("Record payout"),
           description="Money received from the insurer; partial payouts add up."),
    Action("write_off", ("repair", "documents", "payout"), roles=MANAGERS, schema=s.ClaimWriteOffIn,
           label=_l("Write off part of the invoice"),
           description="The dealer absorbs part of the invoice the insurer will not pay (manager, with a reason)."),
    Action("charge_customer", ("repair", "documents", "payout"), roles=ADVISORS, schema=s.ClaimChargeCustomerIn,
           label=_l("Charge the customer"),
           description="The customer pays part of the invoice the insurer will not (consent_by recorded)."),
    Action("close", ("payout",), "closed", roles=ADVISORS, schema=s.ClaimCloseIn,
           label=_l("Reconcile and close"),
           description="Closes only when invoiced = paid + written off + charged to the customer, to the fen; "
                       "what is left is owed by the customer or written off (manager, with a reason)."),
    Action("declare_total_loss", ("assessment", "repair"), "documents", roles=ADVISORS, schema=s.TotalLossIn,
           label=_l("Total loss"),
           description="The insurer declares the car a total loss (推定全损): no repair; collect documents "
                       "and claim the agreed value."),
    Action("reject", None, "rejected", roles=ADVISORS, schema=s.ClaimOutcomeIn,
           cancels=CLOCKS, label=_l("Insurer rejected"),
           description="The insurer refuses the claim; work already done becomes the customer's to pay."),
    Action("withdraw", ("reported", "assessment", "repair", "documents"), "withdrawn", roles=ADVISORS,
           schema=s.ClaimOutcomeIn, cancels=CLOCKS, label=_l("Withdraw"),
           description="The customer withdraws the claim and pays the repair themselves."),
    *common_actions(ADVISORS),
], initial="reported", state_labels=STATE_LABELS))

ACTION_LABELS = {name: a.label for name, a in WF.actions.items()}
ACTION_LABELS["create"] = _l("Claim reported")
