"""One transaction per request or job, owned by the boundary; side effects only after commit.

Services and models never commit. They call `after_commit(fn)` for anything that must not happen
unless the transaction lands (RQ enqueues, e-mail); the boundary calls `commit()` or `rollback()`.
"""
from __future__ import annotations

import logging
from typing import Callable

from ..extensions import db

log = logging.getLogger(__name__)
_KEY = "claimdesk.after_commit"


def after_commit(fn: Callable[[], None]) -> None:
    db.session.info.setdefault(_KEY, []).append(fn)


def pending_effects() -> int:
    return len(db.session.info.get(_KEY, []))


def commit() -> None:
    """Commit the unit of work, then run the side effects it collected (in order)."""
    session = db.session
    effects = session.info.pop(_KEY, [])
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    for fn in effects:
        try:
            fn()
        except Exception:  # the data is safe; the SLA sweep re-enqueues anything missed
            log.exception("after-commit effect failed: %r", fn)


def rollback() -> None:
    db.session.info.pop(_KEY, None)
    db.session.rollback()
