"""How a timeline event reads on a page: its title, and its data as labelled, formatted rows.

The API returns event data as stored; pages show it in the user's language, with ids hidden,
yes/no instead of booleans, times in the store's zone and nested values flattened.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from .templating import fmt_dt, fmt_duration
from .workflow import PAUSE_LABELS

ACTION_LABELS = {
    "create": _l("Opened"), "note": _l("Note"), "assign": _l("Assigned"), "pause": _l("Paused"),
    "resume": _l("Resumed"), "acknowledge": _l("Escalation acknowledged"), "sla_warning": _l("SLA warning"),
    "sla_breached": _l("SLA breached"), "escalated": _l("Escalated"), "escalate": _l("Escalated"),
}

#: the words for field names several domains share; a domain registers its own with `field_labels`
FIELD_LABELS = {
    "account": _l("Customer's account"), "amount": _l("Amount"), "appointment_at": _l("Appointment"),
    "approved": _l("Approved"), "approved_amount": _l("Approved amount"), "assessed_at": _l("Assessed at"),
    "assignee_name": _l("Assignee"), "category": _l("Category"), "channel": _l("Channel"),
    "claimed_amount": _l("Claimed amount"), "create_work_order": _l("Work order opened"),
    "customer_description": _l("Customer's description"), "damage": _l("Existing damage"),
    "decided_by": _l("Decided by"), "decision": _l("Decision"), "description": _l("Description"),
    "discount": _l("Discount"), "due_at": _l("Due"), "insurer": _l("Insurer"), "invoiced": _l("Invoiced"),
    "invoiced_amount": _l("Invoiced amount"), "kind": _l("Kind"), "label": _l("Label"),
    "level": _l("Level"), "lines": _l("Lines"), "mileage_km": _l("Mileage (km)"), "missing": _l("Missing"),
    "next_service_date": _l("Next service date"), "next_service_km": _l("Next service at (km)"),
    "note": _l("Note"), "notified": _l("Notified"), "outcome": _l("Outcome"),
    "outstanding": _l("Outstanding"), "paid_amount": _l("Paid"), "paid_at": _l("Paid at"),
    "paused_seconds": _l("Paused for"), "pay_type": _l("Pay type"), "plate": _l("Plate number"),
    "present": _l("Present"), "promised_at": _l("Promised completion"), "reason": _l("Reason"),
    "reference": _l("Reference"), "reopen_count": _l("Reopened (times)"), "reopened": _l("Reopened"),
    "resolution": _l("Resolution"), "satisfaction": _l("Satisfaction"), "satisfied": _l("Satisfied"),
    "signed_by": _l("Signed by"), "stage": _l("Stage"), "status": _l("Status"), "team": _l("Team"),
    "text": _l("Text"), "timer": _l("Timer"), "totals": _l("Totals"), "unhappy": _l("Unhappy"),
    "visibility": _l("Visible to"), "work_order_number": _l("Work order"),
    "replace": _l("Replaced the estimate"), "customer": _l("Customer"), "insurance": _l("Insurance"),
    "internal": _l("Internal"), "labour": _l("Labour"), "parts": _l("Parts"), "total": _l("Total"),
    "quantity": _l("Qty"), "unit_price": _l("Unit price"), "panel": _l("Panel"), "policy_key": _l("Timer"),
    "holder_name": _l("Held by"), "from_assignee_name": _l("Previous assignee"), "changed": _l("Changed"),
}
#: (case_type or "*", field) -> label: the fields of one domain, registered from its init_app
DOMAIN_FIELD_LABELS: dict[tuple[str, str], object] = {}
#: (case_type or "*", field) -> {code: label}: coded values shown in words; domains register theirs
VALUE_LABELS: dict[tuple[str, str], dict] = {}


def field_labels(mapping: dict, case_type: str = "*") -> None:
    for field, text in mapping.items():
        DOMAIN_FIELD_LABELS[(case_type, field)] = text


def value_labels(field: str, mapping: dict, case_type: str = "*") -> None:
    VALUE_LABELS[(case_type, field)] = mapping


value_labels("reason", PAUSE_LABELS)
value_labels("visibility", {"internal": _l("staff only"), "customer": _l("customer-visible")})


#: internal bookkeeping the page does not show (the API still returns it)
HIDDEN = {"version"}


def _hidden(key: str) -> bool:
    return key in HIDDEN or key.endswith("_id") or key.endswith("_ids")


def label(key: str, case_type: str | None = None) -> str:
    text = DOMAIN_FIELD_LABELS.get((case_type or "*", key)) or DOMAIN_FIELD_LABELS.get(("*", key)) \
        or FIELD_LABELS.get(key)
    return str(text or key.replace("_", " "))


def _scalar(value) -> str:
    from flask_babel import gettext

    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return fmt_dt(datetime.fromisoformat(value))
        except ValueError:
            return value
    return "" if value is None else str(value)


def fmt_value(value, case_type: str | None = None) -> str:
    """A value as text; nested records (an estimate's lines, totals) get their keys and coded values
    labelled like top-level fields."""
    if isinstance(value, dict):
        parts = [f"{label(k, case_type)} {_row_value(k, v, case_type)}" for k, v in value.items()
                 if not _hidden(k) and v not in (None, "", [], {})]
        return ", ".join(parts)
    if isinstance(value, (list, tuple)):
        return "; ".join(fmt_value(v, case_type) for v in value if v not in (None, "", [], {}))
    return _scalar(value)


def _row_value(key: str, value, case_type: str | None) -> str:
    if key.endswith("_seconds") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt_duration(value)
    mapping = VALUE_LABELS.get((case_type or "*", key)) or VALUE_LABELS.get(("*", key))
    if mapping:
        if isinstance(value, list):
            return ", ".join(str(mapping.get(v, v)) for v in value)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value in mapping:
            return str(mapping[value])
    return fmt_value(value, case_type)


def rows(data: dict, case_type: str | None = None) -> list[tuple[str, str]]:
    return [(label(k, case_type), _row_value(k, v, case_type)) for k, v in (data or {}).items()
            if not _hidden(k) and v not in (None, "", [], {})]


def title(event, labels: dict | None = None) -> str:
    if labels and event.action in labels:
        return str(labels[event.action])
    from .workflow import REGISTRY

    wf = REGISTRY.get(event.case_type)
    if wf is not None and event.action in wf.actions and wf.actions[event.action].label:
        return str(wf.actions[event.action].label)
    return str(ACTION_LABELS.get(event.action, event.action.replace("_", " ")))


def state_label(event, state: str | None) -> str:
    from .workflow import REGISTRY

    wf = REGISTRY.get(event.case_type)
    return wf.state_label(state) if (wf and state) else (state or "").replace("_", " ")


def init_app(app) -> None:
    app.jinja_env.globals.update(event_rows=rows, event_title=title, event_state=state_label)
