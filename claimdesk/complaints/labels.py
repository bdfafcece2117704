"""The words staff see for the complaint vocabulary (states, channels, categories …), translated."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.workflow import PAUSE_LABELS  # noqa: F401  (L.PAUSE_LABELS in the templates)

STATE_LABELS = {
    "listen": _l("Listen"),
    "apologise": _l("Apologise"),
    "resolve": _l("Resolve"),
    "follow_up": _l("Follow up"),
    "closed": _l("Closed"),
}
CHANNEL_LABELS = {
    "on_site": _l("On site"),
    "phone": _l("Inbound phone"),
    "callback": _l("Callback survey"),
    "letter": _l("Letter"),
    "manufacturer": _l("Manufacturer hotline"),
    "regulator": _l("Regulator"),
    "online": _l("Online"),
}
CATEGORY_LABELS = {
    "repair_quality": _l("Repair quality"),
    "service_attitude": _l("Service attitude"),
    "waiting_time": _l("Waiting time"),
    "price": _l("Price"),
    "parts": _l("Parts"),
    "sales": _l("Sales"),
    "other": _l("Other"),
}
SEVERITY_LABELS = {
    "low": _l("Low"),
    "medium": _l("Medium"),
    "high": _l("High"),
    "critical": _l("Critical"),
}
ATTRIBUTION_LABELS = {
    "our_fault": _l("Our fault"),
    "not_our_fault": _l("Not our fault"),
    "misunderstanding": _l("Misunderstanding"),
}
#: staff roles as they appear beside a name in "handled by" / "met by" choices
ROLE_LABELS = {
    "customer_relations": _l("customer relations"),
    "advisor": _l("service advisor"),
    "front_desk_supervisor": _l("front-desk supervisor"),
    "workshop": _l("workshop"),
    "qc_inspector": _l("QC inspector"),
    "info_clerk": _l("information clerk"),
    "manager": _l("manager"),
    "admin": _l("administrator"),
}
ACTION_LABELS = {
    "create": _l("Complaint logged"),
    "listen": _l("Listened to the customer"),
    "apologise": _l("Apologised"),
    "resolve": _l("Resolved"),
    "follow_up": _l("Followed up"),
    "escalate": _l("Escalated"),
    "close": _l("Closed by manager"),
    "assign": _l("Assigned"),
    "note": _l("Note"),
    "pause": _l("Paused"),
    "resume": _l("Resumed"),
    "acknowledge": _l("Escalation acknowledged"),
}
NEXT_STEPS = {
    "listen": _l("Meet the customer (read the repair history first) and record their own account."),
    "apologise": _l("Thank the customer for the feedback, apologise, and record it."),
    "resolve": _l("Establish attribution and resolve: actions, cost to the store, goodwill, customer's acceptance."),
    "follow_up": _l("Call the customer back: are they satisfied with the resolution?"),
    "closed": _l("Nothing to do: the complaint is closed."),
}
NEXT_STEP_SHORT = {
    "listen": _l("Listen"),
    "apologise": _l("Apologise"),
    "resolve": _l("Resolve"),
    "follow_up": _l("Call back"),
    "closed": _l("Closed"),
}


def label(mapping: dict, key) -> str:
    return str(mapping.get(key, key or "—"))
#: the timeline's words for this domain's own event fields (registered with core.timeline in init_app)
FIELD_LABELS = {
    "attribution": _l("Attribution"), "automatic": _l("Automatic"), "compensation": _l("Compensation"),
    "cost_to_store": _l("Cost to the store"), "customer_accepted": _l("Customer accepted"),
    "deadline_at": _l("Deadline"), "escalated_to_name": _l("Escalated to"),
    "external_reference": _l("External reference"), "goodwill_note": _l("Goodwill"),
    "goodwill_total": _l("Goodwill total"), "labour_waived": _l("Labour waived"), "met_at": _l("Met at"),
    "met_by_name": _l("Met by"), "met_where": _l("Where"), "root_cause": _l("Root cause"),
    "severity": _l("Severity"), "work_order_description": _l("Work order"),
    "work_order_kind": _l("Work order kind"),
}
