"""One transaction per request or job, owned by the boundary; side effects only after commit.

Services and models never commit. They call `after_commit(fn)` for anything that must not happen
unless the transaction lands (RQ enqueues, e-mail), and `on_rollback(fn)` to forget whatever
per-transaction state they keep in `db.session.info` when it does not land. The boundary calls
`finish(ok)` (or `commit()` / `rollback()`); a view that turns a request down calls `refuse()`, and
the boundary then rolls back whatever the response's status says.
"""
from __future__ import annotations

import functools
import logging
from typing import Callable, Hashable

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger(__name__)
_KEY = "claimdesk.after_commit"
_ROLLBACK_KEY = "claimdesk.on_rollback"
_REFUSED_KEY = "claimdesk.refused"


def after_commit(fn: Callable[[], None], *, key: Hashable | None = None) -> None:
    """Run `fn` after the unit of work commits; a rollback drops it. With a `key`, an effect already
    waiting under the same key in this unit of work is not added again (e.g. one queue kick per
    transaction however many rows asked for it)."""
    effects = db.session.info.setdefault(_KEY, [])
    if key is not None:
        if any(getattr(f, "uow_key", None) == key for f in effects):
            return
        fn = functools.partial(fn)
        fn.uow_key = key
    effects.append(fn)


def on_rollback(fn: Callable[[], None]) -> None:
    """Run `fn` if the unit of work rolls back (by any path: `rollback()`, `finish(False)`, a failed
    commit, an error handler, a failed job); a commit drops it. For modules that keep
    per-transaction state in `db.session.info` (e.g. the SLA engine's pending schedule): the next
    unit of work on the same session must not inherit it. Registering the same function twice in
    one unit of work runs it once."""
    hooks = db.session.info.setdefault(_ROLLBACK_KEY, [])
    if fn not in hooks:
        hooks.append(fn)


def pending_effects() -> int:
    return len(db.session.info.get(_KEY, []))


def refuse() -> None:
    """A view turned the request down (a domain error it shows as a form error or a flash message):
    roll back now — so nothing half-done is flushed while the page renders, and the page shows the
    stored values — and make the boundary roll back, not commit, at the end of the request, even
    when the answer is a redirect."""
    rollback()
    db.session.info[_REFUSED_KEY] = True


def refused() -> bool:
    return bool(db.session.info.get(_REFUSED_KEY))


def finish(ok: bool) -> None:
    """The boundary's last word: commit if the request or job succeeded and nothing refused it,
    else roll back."""
    if ok and not db.session.info.pop(_REFUSED_KEY, False):
        commit()
    else:
        rollback()


def commit() -> None:
    """Commit the unit of work, then run the side effects it collected (in order)."""
    session = db.session
    effects = session.info.pop(_KEY, [])
    try:
        session.commit()
    except Exception:
        rollback()  # the effects are dropped; the on_rollback hooks run
        raise
    session.info.pop(_ROLLBACK_KEY, None)
    session.info.pop(_REFUSED_KEY, None)
    for fn in effects:
        try:
            fn()
        except Exception:  # the data is safe; the SLA sweep re-enqueues anything missed
            log.exception("after-commit effect failed: %r", fn)


def rollback() -> None:
    """Roll the unit of work back: its side effects never run, its on_rollback hooks do."""
    session = db.session
    session.info.pop(_KEY, None)
    session.info.pop(_REFUSED_KEY, None)  # the unit of work ends here (refuse() marks the next)
    hooks = session.info.pop(_ROLLBACK_KEY, [])
    try:
        session.rollback()
    finally:
        for fn in hooks:
            try:
                fn()
            except Exception:  # a hook only forgets state; the rollback itself has happened
                log.exception("on-rollback hook failed: %r", fn)


@event.listens_for(Session, "after_soft_rollback")
def _session_rolled_back(session: Session, previous_transaction) -> None:
    """A rollback that did not go through `rollback()` (a plain `db.session.rollback()`) still ends
    the unit of work: drop its effects and run its hooks. Savepoints (`begin_nested`) and a failed
    flush's inner transaction are not the unit of work, and are left alone."""
    if previous_transaction.parent is not None or previous_transaction.nested:
        return
    session.info.pop(_KEY, None)
    for fn in session.info.pop(_ROLLBACK_KEY, []):
        try:
            fn()
        except Exception:
            log.exception("on-rollback hook failed: %r", fn)
