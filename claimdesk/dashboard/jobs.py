"""Dashboard jobs: fold the new SLA facts and escalations into the dashboard's read copies every minute
(cron and the embedded runner pick it up). Re-running it is harmless: it folds only rows after the
watermark, which moves in the same transaction."""
from __future__ import annotations

import logging

from .. import jobs
from . import rollups

log = logging.getLogger(__name__)


@jobs.periodic(60)
def fold_rollups() -> dict[str, int]:
    folded = rollups.fold()
    if any(folded.values()):
        log.info("dashboard fold: %(facts)d facts, %(escalations)d escalations", folded)
    return folded
