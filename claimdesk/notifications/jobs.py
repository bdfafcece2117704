"""Jobs of the inbox: the e-mail copy of a notice (retried with backoff by RQ)."""
from __future__ import annotations

from . import services


def send_email(notification_id: int) -> str:
    return services.send_email(notification_id)
