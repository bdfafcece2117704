"""Jobs of the reminders: the daily run that makes the due reminders (message or call list)."""
from __future__ import annotations

from .. import jobs
from . import services


@jobs.periodic(6 * 3600)
def create_reminders() -> int:
    """Several times a day (once per vehicle and due date, whatever the number of runs)."""
    return services.create_all_reminders()
