"""How a timeline event reads on a page: its title, and its data as labelled, formatted rows.

The API returns event data as stored; pages show it in the user's language, with ids hidden,
yes/no instead of booleans, times in the store's zone and nested values flattened.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from .templating import fmt_dt, fmt_duration

ACTION_LABELS = {
    "create": _l("Opened"), "note": _l("Note"), "assign": _l("Assigned"), "pause": _l("Paused"),
    "resume": _l("Resumed"), "acknowledge": _l("Escalation acknowledged"), "sla_warning": _l("SLA warning"),
    "sla_breached": _l("SLA breached"), "escalated": _l("Escalated"), "escalate": _l("Escalated"),
}

FIELD_LABELS = {
    "accident_at": _l("Accident time"), "accident_place": _l("Accident place"), "account": _l("Customer's account"),
    "agreed_value": _l("Agreed value"), "amount": _l("Amount"), "appointment_at": _l("Appointment"),
    "approved": _l("Approved"), "approved_amount": _l("Approved amount"), "approved_total": _l("Approved total"),
    "assessed_at": _l("Assessed at"), "assessor_company": _l("Assessor's company"),
    "assessor_name": _l("Assessor"), "assessor_phone": _l("Assessor's phone"), "assignee_name": _l("Assignee"),
    "attribution": _l("Attribution"), "authorised_by": _l("Authorised by"), "automatic": _l("Automatic"),
    "booklet_checked": _l("Maintenance booklet checked"), "car_clean": _l("Car clean"), "category": _l("Category"),
    "channel": _l("Channel"), "claimed_amount": _l("Claimed amount"), "compensation": _l("Compensation"),
    "compulsory_policy_number": _l("Compulsory policy no."), "cost_to_store": _l("Cost to the store"),
    "covers_fitted": _l("Protective covers fitted"), "create_work_order": _l("Work order opened"),
    "customer_accepted": _l("Customer accepted"), "customer_decision": _l("Customer's decision"),
    "customer_description": _l("Customer's description"), "customer_owes_amount": _l("Customer owes"),
    "customer_pays": _l("Customer pays"), "damage": _l("Existing damage"), "damage_items": _l("Damage items"),
    "deadline_at": _l("Deadline"), "decided_by": _l("Decided by"), "decision": _l("Decision"),
    "decisions": _l("Decisions"), "declined": _l("Declined"), "declined_signoff": _l("Declined items signed off"),
    "deferred": _l("Deferred"), "description": _l("Description"), "discount": _l("Discount"),
    "documents_complete": _l("Documents complete"), "due_at": _l("Due"), "escalated_to_name": _l("Escalated to"),
    "external_reference": _l("External reference"), "free_wash": _l("Free car wash"), "fuel_level": _l("Fuel level"),
    "fully_paid": _l("Fully paid"), "goodwill_note": _l("Goodwill"), "goodwill_total": _l("Goodwill total"),
    "insurer": _l("Insurer"), "invoiced": _l("Invoiced"), "invoiced_amount": _l("Invoiced amount"),
    "kind": _l("Kind"), "label": _l("Label"), "labour_waived": _l("Labour waived"), "late_seconds": _l("Late by"),
    "level": _l("Level"), "liability": _l("Liability"), "licence_checked": _l("Vehicle licence checked"),
    "lines": _l("Lines"), "met_at": _l("Met at"), "met_by_name": _l("Met by"), "met_where": _l("Where"),
    "mileage_km": _l("Mileage (km)"), "missing": _l("Missing"), "missing_documents": _l("Missing documents"),
    "next_service_date": _l("Next service date"), "next_service_km": _l("Next service at (km)"), "note": _l("Note"),
    "nothing_left_inside": _l("Nothing left inside"), "notified": _l("Notified"), "old_parts": _l("Old parts"),
    "old_parts_handled": _l("Old parts handled"), "outcome": _l("Outcome"), "outstanding": _l("Outstanding"),
    "owner_representative": _l("Owner's representative"), "paid_amount": _l("Paid"), "paid_at": _l("Paid at"),
    "paid_total": _l("Paid in total"), "paused_seconds": _l("Paused for"), "pay_type": _l("Pay type"),
    "payer_route": _l("Payer route"), "payment_method": _l("Payment method"), "pickup_at": _l("Pickup time"),
    "plate": _l("Plate number"), "policy_number": _l("Policy no."), "present": _l("Present"),
    "priority": _l("Priority"), "promised_at": _l("Promised completion"), "reason": _l("Reason"),
    "reference": _l("Reference"), "removed_lines": _l("Lines removed"), "reopen_count": _l("Reopened (times)"),
    "reopened": _l("Reopened"), "report_number": _l("Insurer's report no."), "reported_at": _l("Reported at"),
    "resolution": _l("Resolution"), "rework_count": _l("Reworks"), "root_cause": _l("Root cause"),
    "satisfaction": _l("Satisfaction"), "satisfied": _l("Satisfied"), "severity": _l("Severity"),
    "shortfall": _l("Shortfall"), "shortfall_action": _l("Shortfall handling"), "signature_channel": _l("Signed via"),
    "signed_by": _l("Signed by"), "stage": _l("Stage"), "status": _l("Status"), "supplement": _l("Supplement"),
    "team": _l("Team"), "technician_name": _l("Technician"), "text": _l("Text"), "timer": _l("Timer"),
    "totals": _l("Totals"), "unhappy": _l("Unhappy"), "visibility": _l("Visible to"),
    "work_order_description": _l("Work order"), "work_order_kind": _l("Work order kind"),
    "work_order_number": _l("Work order"), "write_off_reason": _l("Write-off reason"), "replace": _l("Replaced the estimate"),
    "customer": _l("Customer"), "warranty": _l("Warranty"), "insurance": _l("Insurance"),
    "internal": _l("Internal"), "labour": _l("Labour"), "parts": _l("Parts"), "total": _l("Total"),
    "quantity": _l("Qty"), "unit_price": _l("Unit price"), "part_number": _l("Part no."),
    "operation_code": _l("Operation"), "safety_related": _l("Safety-related"), "panel": _l("Panel"),
    "policy_key": _l("Timer"), "holder_name": _l("Held by"), "from_assignee_name": _l("Previous assignee"),
    "done_lines": _l("Lines done"), "changed": _l("Changed"), "signature_image": _l("Signature"),
    "from_due_at": _l("Was due"), "to_due_at": _l("Now due"),
}
#: (case_type or "*", field) -> {code: label}: coded values shown in words; domains register theirs
VALUE_LABELS: dict[tuple[str, str], dict] = {}


def value_labels(field: str, mapping: dict, case_type: str = "*") -> None:
    VALUE_LABELS[(case_type, field)] = mapping


PAUSE_REASON_LABELS = {
    "waiting_customer": _l("waiting on the customer"), "waiting_insurer": _l("waiting on the insurer"),
    "waiting_parts": _l("waiting on parts"), "waiting_documents": _l("waiting on documents"),
    "waiting_manufacturer": _l("waiting on the manufacturer"),
}
value_labels("reason", PAUSE_REASON_LABELS)
value_labels("visibility", {"internal": _l("staff only"), "customer": _l("customer-visible")})


#: internal bookkeeping the page does not show (the API still returns it)
HIDDEN = {"version"}


def _hidden(key: str) -> bool:
    return key in HIDDEN or key.endswith("_id") or key.endswith("_ids")


def label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key.replace("_", " ")))


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
        parts = [f"{label(k)} {_row_value(k, v, case_type)}" for k, v in value.items()
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
    return [(label(k), _row_value(k, v, case_type)) for k, v in (data or {}).items()
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
