"""Periodic housekeeping of what the request boundary keeps per user (core/idempotency.py): a job of
the platform layer, since core imports nothing above it."""
from __future__ import annotations

import logging

from .. import jobs
from ..core import idempotency

log = logging.getLogger(__name__)


@jobs.periodic(3600)
def purge_idempotency_keys() -> int:
    """Idempotency keys and form tokens older than IDEMPOTENCY_TTL_SECONDS (24 h) go."""
    n = idempotency.purge_expired()
    if n:
        log.info("purged %s expired idempotency keys", n)
    return n
