"""The 三包 sweep: running repairs gain a day with the clock, so their thresholds are checked hourly
(the work-order actions check them at once). Alerts fire once: running it twice sends nothing new."""
from __future__ import annotations

import logging

from .. import jobs
from ..customers.models import Vehicle
from ..extensions import db
from . import services

log = logging.getLogger(__name__)


@jobs.periodic(3600)
def sweep() -> int:
    fired = 0
    for vid in services.vehicles_to_sweep():
        vehicle = db.session.get(Vehicle, vid)
        if vehicle is not None:
            fired += len(services.evaluate(vehicle))
    if fired:
        log.info("三包 sweep: %d alert(s) fired", fired)
    return fired
