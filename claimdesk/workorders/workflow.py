"""The work order's state table (api.md): reception → estimated → authorised → in_repair →
quality_check → ready → delivered → closed, plus cancelled. SLA clocks are only declared here;
what each action does (handler and gates) is bound by services.py with `WF.implement`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..cases.actions import common_actions
from ..core.workflow import Action, Workflow, register
from . import schemas as s
from .first_service import STATES as FIRST_SERVICE_STATES
from .first_service import ApplyFirstServiceIn
from .models import STATES, WorkOrder

#: the front-desk supervisor (前台主管) does what an advisor does, for every advisor of the store
ADVISOR = frozenset({"advisor", "front_desk_supervisor"})
WORKSHOP = frozenset({"workshop"})
FLOOR = ADVISOR | WORKSHOP
CALLBACK = ADVISOR | {"customer_relations", "info_clerk"}
#: technicians and team leaders sign the self and team-leader checks, the QC inspector the final one (checks.py)
CHECKERS = WORKSHOP | {"qc_inspector"}
PROMISED = "work_order.promised_completion"
EXTRA = "work_order.extra_work_approval"
FOLLOW_UP = "work_order.follow_up_call"
STATE_LABELS = {
    "reception": _l("Reception"), "estimated": _l("Estimated"), "authorised": _l("Authorised"),
    "in_repair": _l("In repair"), "quality_check": _l("Quality check"), "ready": _l("Ready for delivery"),
    "delivered": _l("Delivered"), "closed": _l("Closed"), "cancelled": _l("Cancelled"),
}

WF = register(Workflow("work_order", WorkOrder, STATES, {"closed", "cancelled"}, [
    Action("check_in", ("reception", "estimated"), None, roles=ADVISOR, schema=s.CheckInIn,
           label=_l("Update check-in sheet"),
           description="Record the check-in sheet: mileage, fuel, existing damage, valuables, documents, diagnosis."),
    Action("estimate", ("reception", "estimated"), "estimated", roles=ADVISOR, schema=s.EstimateIn,
           label=_l("Save estimate"),
           description="Labour and parts lines (proposed). replace=true (default) replaces the proposed lines."),
    Action("remove_line", ("estimated",), None, roles=ADVISOR, schema=s.LineRefIn,
           label=_l("Remove line"), description="Remove a proposed estimate line."),
    Action("decide_warranty", ("reception", "estimated"), None, roles=ADVISOR, schema=s.DecideWarrantyIn,
           label=_l("Record warranty decision"),
           description="Per line: covered, not_covered or pending (manufacturer approval)."),
    Action("apply_first_service", FIRST_SERVICE_STATES, None, roles=ADVISOR, schema=ApplyFirstServiceIn,
           label=_l("Apply first free service"),
           description="The vehicle's first free service (首保) by its brand rule (store settings): the covered "
                       "customer-paid lines are charged to the manufacturer (warranty) or the dealer (internal). "
                       "Refused (409 first_service_refused) outside the window, without a rule, or when another "
                       "work order used it."),
    Action("authorise", ("estimated",), "authorised", roles=ADVISOR, schema=s.AuthoriseIn,
           starts=(PROMISED,),
           label=_l("Customer authorises"),
           description="The customer signs the work order: per-line decisions (default: approve every proposed "
                       "line), promised completion time, payment method, old parts, free wash."),
    Action("revise_promise", ("authorised", "in_repair", "quality_check"), None, roles=ADVISOR,
           schema=s.RevisePromiseIn, cancels=(PROMISED,), starts=(PROMISED,),
           label=_l("Revise promised time"),
           description="A delay agreed with the customer: the new promised completion time, why, who agreed and "
                       "how. The promised-completion clock restarts towards the new time; a promise already "
                       "missed is recorded as breached, one revised in time as cancelled."),
    Action("dispatch", ("authorised",), "in_repair", roles=WORKSHOP, schema=s.DispatchIn,
           label=_l("Dispatch"), description="Send the job to a team (and technician) with a priority."),
    Action("request_extra_work", ("in_repair",), None, roles=FLOOR, schema=s.RequestExtraIn,
           starts=(EXTRA,), label=_l("Request additional work"),
           description="New lines found during repair; they wait for the customer's decision."),
    Action("decide_extra_work", ("in_repair",), None, roles=ADVISOR, schema=s.DecideExtraIn,
           label=_l("Record customer's decision"),
           description="Per line approved or declined, with who decided and how."),
    Action("complete_repair", ("in_repair",), "quality_check", roles=WORKSHOP, schema=s.CompleteRepairIn,
           label=_l("Repair complete"),
           description="Every approved line is done; the checks follow."),
    Action("pass_check", ("quality_check",), None, roles=CHECKERS, schema=s.CheckIn,
           label=_l("Sign check passed"),
           description="Self-check, then team-leader check (workshop), then final QC (QC inspector); the final "
                       "one makes the car ready. Unless the store turns it off (settings.separate_check_signers), "
                       "one person signs at most one of the three."),
    Action("fail_check", ("quality_check",), "in_repair", roles=CHECKERS, schema=s.FailCheckIn,
           label=_l("Check failed: back to repair"),
           description="A failed check sends the job back to repair and counts a rework."),
    Action("wash", ("quality_check", "ready"), None, roles=WORKSHOP, schema=s.WashIn,
           label=_l("Car washed")),
    Action("notify_customer", ("ready",), None, roles=ADVISOR, schema=s.NotifyIn,
           label=_l("Customer notified"), description="The customer is called and a pickup time agreed."),
    Action("deliver", ("ready",), "delivered", roles=ADVISOR, schema=s.DeliverIn,
           starts=(FOLLOW_UP,), label=_l("Deliver"),
           description="Internal delivery check, settlement, declined items signed, payment, next service."),
    Action("add_adjustment", None, None, roles=ADVISOR, schema=s.AdjustmentIn,
           label=_l("Add adjustment"),
           description="An adjustment line of the bill: goodwill discount or labour waiver (customer → dealer), "
                       "the insurer's deductible (insurer → customer), an approved-amount shortfall (insurer → "
                       "customer with consent, or dealer by a manager). No payer's share may go below zero."),
    Action("remove_adjustment", None, None, roles=ADVISOR, schema=s.RemoveAdjustmentIn,
           label=_l("Remove adjustment"),
           description="Remove an adjustment line (goodwill from a complaint is changed on the complaint)."),
    Action("record_payment", ("authorised", "in_repair", "quality_check", "ready", "delivered"), None,
           roles=ADVISOR, schema=s.RecordPaymentIn, label=_l("Record payment"),
           description="The customer pays part of their share (a deposit, or one method of a split payment); "
                       "never more than is still due."),
    Action("refund", None, None, roles=ADVISOR, schema=s.RefundIn, label=_l("Refund"),
           description="Money back to a customer who paid more than their share (default: all of it)."),
    Action("follow_up", ("delivered",), None, roles=CALLBACK, schema=s.FollowUpIn,
           label=_l("Record callback"),
           description="The callback within 3 days: outcome, satisfaction 1-5, note. Reached closes the case."),
    Action("cancel", ("reception", "estimated", "authorised", "in_repair"), "cancelled", roles=ADVISOR,
           schema=s.CancelIn, cancels=(PROMISED, EXTRA, FOLLOW_UP), label=_l("Cancel"),
           description="Cancel the work order (reason required); running clocks are cancelled."),
    *common_actions(FLOOR),
], initial="reception", state_labels=STATE_LABELS))
