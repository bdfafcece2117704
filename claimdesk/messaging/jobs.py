"""Jobs of customer messaging: send one message (its own retries, kept in the database), and the
minute sweep that re-enqueues whatever is due (held until morning, retry time come, lost from Redis)."""
from __future__ import annotations

from .. import jobs
from . import services


def send_message(message_id: int) -> str:
    return services.send(message_id)


@jobs.periodic(60, queue="mail")
def dispatch_due_messages() -> int:
    return services.dispatch_due()
