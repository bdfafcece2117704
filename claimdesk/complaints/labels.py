"""The words staff see for the complaint vocabulary (states, channels, categories …), translated."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
PAUSE_LABELS = {
    "waiting_customer": _l("Waiting on the customer"),
    "waiting_manufacturer": _l("Waiting on the manufacturer"),
    "waiting_insurer": _l("Waiting on the insurer"),
    "waiting_parts": _l("Waiting on parts"),
    "waiting_documents": _l("Waiting on documents"),
}
#: staff roles as they appear beside a name in "handled by" / "met by" choices
ROLE_LABELS = {
    "customer_relations": _l("customer relations"),
    "advisor": _l("service advisor"),
    "workshop": _l("workshop"),
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


def next_step(c) -> str:
    """The one next step on a complaint, in words (pages, home panel and API)."""
    from flask_babel import gettext as _

    if c.state != "closed" and c.is_paused:
        return _("Paused (%(reason)s): resume when the wait is over.", reason=label(PAUSE_LABELS, c.pause_reason))
    if c.state == "resolve" and c.reopen_count:
        return _("Resolve again: the customer was not satisfied at the follow-up call (reopened %(n)s×).",
                 n=c.reopen_count)
    return label(NEXT_STEPS, c.state)
