"""Jobs of customer messaging: the batch sender (kicked after a commit that left a message to send, and
run at the second held or retried messages fall due), and the minute sweep that starts it whenever
messages are due and no run came (a kick lost with Redis)."""
from __future__ import annotations

from flask import current_app

from .. import jobs
from . import sending, services


def send_due_messages() -> str:
    """One batch: take the kick (a commit from now on kicks again), send up to MESSAGING_SEND_BATCH due
    messages in this job's transaction, and if the batch was full kick the next run after the commit."""
    jobs.kick_taken(services.SENDER, queue="mail")
    batch = current_app.config["MESSAGING_SEND_BATCH"]
    claimed = sending.send_due(batch)
    if claimed >= batch:
        jobs.kick(services.SENDER, queue="mail")
    return f"{claimed} message(s)"


def send_message(message_id: int) -> str:
    """One message (jobs queued before the batch sender; nothing enqueues this any more)."""
    return sending.send(message_id)


def queue_for_case(case_type: str, case_id: int, kind: str, params: dict, dedupe: str) -> str:
    """Jobs queued before a new case's message became a draft row; nothing enqueues this any more."""
    from .triggers import queue_for_case as queue

    return queue(case_type, case_id, kind, params, dedupe)


@jobs.periodic(60, queue="mail")
def dispatch_due_messages() -> int:
    return sending.dispatch_due()


def queue_service_reminders() -> int:
    """By date only; not periodic any more: `reminders.jobs.create_reminders` makes the reminder rows
    (message or call list) and sends the message through `services.service_reminder_for`."""
    return services.service_reminders()
