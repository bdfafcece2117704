"""The 三包 sweeps. Running repairs gain a day with the clock, so their thresholds are checked hourly
(a work-order action that changes what the check reads checks them at once). Every vehicle with a
quality repair on record is reviewed daily and after a rule-set edit: a new threshold or a corrected
purchase date can move a car with no repair running across a level. Alerts fire once: running either
twice sends nothing new."""
from __future__ import annotations

import logging

from .. import jobs
from ..customers.models import Vehicle
from ..extensions import db
from . import services

log = logging.getLogger(__name__)


def _evaluate(vehicle_ids: list[int], what: str) -> int:
    fired = 0
    for vid in vehicle_ids:
        vehicle = db.session.get(Vehicle, vid)
        if vehicle is not None:
            fired += len(services.evaluate(vehicle))
    if fired:
        log.info("三包 %s: %d alert(s) fired", what, fired)
    return fired


@jobs.periodic(3600)
def sweep() -> int:
    return _evaluate(services.vehicles_to_sweep(), "sweep")


@jobs.periodic(86400)
def review() -> int:
    return _evaluate(services.vehicles_with_episodes(), "review")
