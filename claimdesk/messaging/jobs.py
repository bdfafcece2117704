"""Jobs of customer messaging: send one message (its own retries, kept in the database), and the
minute sweep that re-enqueues whatever is due (held until morning, retry time come, lost from Redis)."""
from __future__ import annotations

from .. import jobs
from . import services


def send_message(message_id: int) -> str:
    return services.send(message_id)


def queue_for_case(case_type: str, case_id: int, kind: str, params: dict, dedupe: str) -> str:
    from .triggers import queue_for_case as queue

    return queue(case_type, case_id, kind, params, dedupe)


@jobs.periodic(60, queue="mail")
def dispatch_due_messages() -> int:
    return services.dispatch_due()


def queue_service_reminders() -> int:
    """By date only; not periodic any more: `reminders.jobs.create_reminders` makes the reminder rows
    (message or call list) and sends the message through `services.service_reminder_for`."""
    return services.service_reminders()
