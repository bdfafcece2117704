"""The complaint's state table: listen → apologise → resolve → follow_up → closed.

A follow-up with an unhappy customer goes back to resolve and counts as a reopen; from the second
reopen on, the complaint escalates by itself (see `_after_action`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..cases.actions import common_actions
from ..core.workflow import Action, Workflow, register
from .labels import STATE_LABELS
from .models import STATES, Complaint
from .schemas import (
    ComplaintApologiseIn,
    ComplaintCloseIn,
    ComplaintEscalateIn,
    ComplaintFollowUpIn,
    ComplaintListenIn,
    ComplaintResolveIn,
)

#: customer relations log and follow up; advisors meet the customer; managers may do everything
HANDLERS = frozenset({"customer_relations", "advisor", "front_desk_supervisor"})
FOLLOW_UP = frozenset({"customer_relations"})
CLOCKS = ("complaint.first_response", "complaint.resolution", "complaint.follow_up")

WF = register(Workflow("complaint", Complaint, list(STATES), {"closed"}, [
    Action("listen", ("listen",), "apologise", roles=HANDLERS, schema=ComplaintListenIn,
           stops=("complaint.first_response",), label=_l("Record the customer's account"),
           description="Record the customer's own account: who met them, where, when."),
    Action("apologise", ("apologise",), "resolve", roles=HANDLERS, schema=ComplaintApologiseIn,
           label=_l("Record the apology"),
           description="Thank the customer and apologise; recorded."),
    Action("resolve", ("resolve",), "follow_up", roles=HANDLERS, schema=ComplaintResolveIn,
           stops=("complaint.resolution",), starts=("complaint.follow_up",), label=_l("Record the resolution"),
           description="Attribution (our_fault, not_our_fault, misunderstanding), root cause, actions taken, "
                       "cost to the store, goodwill and the customer's acceptance."),
    Action("follow_up", ("follow_up",), None, roles=FOLLOW_UP, schema=ComplaintFollowUpIn,
           stops=("complaint.follow_up",), label=_l("Record the follow-up call"),
           description="Callback outcome: satisfied closes the complaint; not satisfied sends it back to "
                       "resolve, counts a reopen and, from the second reopen, escalates automatically."),
    Action("escalate", None, None, roles=HANDLERS, schema=ComplaintEscalateIn,
           label=_l("Escalate"), kind="escalation",
           description="Up one level: the after-sales manager, then the store manager."),
    Action("close", ("listen", "apologise", "resolve", "follow_up"), "closed", roles=frozenset(),
           schema=ComplaintCloseIn, cancels=CLOCKS, label=_l("Close by manager's decision"),
           description="A manager's documented decision closes the complaint without a satisfied follow-up "
                       "(attribution and resolution must be recorded, or given here)."),
    *common_actions(HANDLERS),
], initial="listen", state_labels=STATE_LABELS))

