"""Jobs of the diary: the sweep that marks appointments nobody came to as no-shows."""
from __future__ import annotations

from .. import jobs
from . import services


@jobs.periodic(15 * 60)
def mark_no_shows() -> int:
    """Every quarter hour: appointments still booked the store's N hours after their slot."""
    return services.sweep_no_shows()
