"""What an SLA step tells people: inbox rows (one per recipient, clock, generation and level) and
how they read, in the reader's language."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.clock import utc
from ..notifications.services import register_renderer
from .policies import label

KINDS = {1: "sla.warning", 2: "sla.breach", 3: "sla.escalation"}


def notice_rows(clock, level: int, case, recipient_ids, at: datetime) -> list[dict]:
    data = {"number": case.number, "timer": clock.policy_key, "level": level,
            "due_at": clock.due_at.isoformat() if clock.due_at else None}
    return [{"user_id": uid, "kind": KINDS[level], "dedupe_key": f"sla:{clock.id}:{clock.generation}:{level}",
             "case_type": clock.case_type, "case_id": clock.case_id, "data": data, "created_at": at}
            for uid in recipient_ids]


def _due(n) -> str:
    from ..core.templating import fmt_dt

    raw = n.data.get("due_at")
    return fmt_dt(utc(datetime.fromisoformat(raw))) if raw else "—"


@register_renderer("sla.warning")
def _warning(n):
    return (_("%(number)s: %(timer)s is at risk", number=n.data.get("number"), timer=label(n.data.get("timer", ""))),
            _("Due %(due)s. Act now or pause the timer if you are waiting on someone.", due=_due(n)))


@register_renderer("sla.breach")
def _breach(n):
    return (_("%(number)s: %(timer)s is overdue", number=n.data.get("number"), timer=label(n.data.get("timer", ""))),
            _("It was due %(due)s. The case is escalated; acknowledge it to take it over.", due=_due(n)))


@register_renderer("sla.escalation")
def _escalation(n):
    return (_("%(number)s: %(timer)s is still overdue", number=n.data.get("number"),
              timer=label(n.data.get("timer", ""))),
            _("It was due %(due)s and nobody has acknowledged the escalation.", due=_due(n)))


#: the timeline's words for the fields of SLA events, on every case type
FIELD_LABELS = {"late_seconds": _l("Late by"), "from_due_at": _l("Was due"), "to_due_at": _l("Now due")}
