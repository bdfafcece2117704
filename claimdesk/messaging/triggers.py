"""Which case events send the customer a message. Subscribed to `core.workflow.action_performed`, so
the message row is written in the action's own transaction: a rolled-back action sends nothing."""
from __future__ import annotations

from flask_babel import force_locale

from ..extensions import db
from . import services

#: how a list reads inside a message, per language
LIST_SEPARATORS = {"zh": "、", "en": ", "}


def _documents(case) -> str:
    """The missing documents' names in the customer's language (the message is written in it)."""
    locale = services.customer_locale(case.customer_id)
    with force_locale(locale):
        return LIST_SEPARATORS.get(locale, ", ").join(str(d.label) for d in getattr(case, "missing_documents", []))


def on_action(sender, case, action, event, context, **_kw):
    kind, params, dedupe = _decide(sender.case_type, case, action.name, event)
    if kind is None:
        return
    if action.name == "create":
        # A case's creation keeps its few statements (tests/core/test_carried_rows.py): its message is a
        # draft row (no text yet; the batch sender renders it) that rides in the creation's numbering
        # statement — no round trip, and a rollback leaves none.
        context.new_rows.append(services.draft_for_new_case(case, kind, params, dedupe=dedupe))
        return
    db.session.flush()  # the event's id makes the dedupe key
    services.queue_message(case, kind, params, dedupe=dedupe or str(event.id))


def queue_for_case(case_type: str, case_id: int, kind: str, params: dict, dedupe: str) -> str:
    """The job that wrote a new case's message before drafts (kept for such jobs still queued at an upgrade)."""
    from ..core.workflow import REGISTRY

    case = db.session.get(REGISTRY[case_type].model, case_id)
    if case is None:
        return "gone"
    msg = services.queue_message(case, kind, params, dedupe=dedupe)
    return "queued" if msg is not None else "already queued"


def _decide(case_type: str, case, name: str, event):
    if case_type == "work_order":
        if name == "request_extra_work":
            return "extra_work_approval", {}, None
        if name == "pass_check" and case.state == "ready":
            return "car_ready", {}, f"round{case.rework_count}"
        if name == "deliver":
            return "follow_up_coming", {}, "delivered"
        if name == "revise_promise":  # a delay agreed with the customer: the new time in writing
            return "promised_time_revised", {}, None
    elif case_type == "claim":
        if name == "complete_repair" and list(getattr(case, "missing_documents", [])):
            return "documents_missing", {"documents": _documents(case)}, None
        if name == "record_payout":
            return "payout_received", {"amount": (event.data or {}).get("amount", "")}, None
    elif case_type == "complaint":
        if name == "create":
            return "complaint_received", {}, "created"
    return None, None, None
