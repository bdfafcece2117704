"""What every clock start reads, kept per process: the stores' business calendars and the policies'
current versions.

Starting a clock needs the store's calendar (three queries: calendars, their days, the stores' time
zones) and the current version of each policy (one query). They change a few times a year, but were
read on every creation and every action that starts a clock.

Validity. `sla_config_state` holds one number, the epoch. Every ORM flush that writes a calendar,
a calendar day, a policy, a policy version or a store sets a new *random* epoch in the same
transaction (`before_flush`). A process keeps what it read under the epoch it read it under, and reads
the epoch once per transaction (one primary-key read, far cheaper than the four it saves; in a
request it rides on the query that identifies the caller, `core.riders`, so it costs no round trip):

- an edit is seen by every transaction that starts after the edit commits (it reads the new epoch and
  finds nothing cached under it) — the same as reading the tables themselves;
- a transaction sees its own uncommitted edits: its flush set its epoch, under which nothing is cached;
- a rolled-back edit leaves an epoch nobody will read again (epochs are random, never reused).

Writes that bypass the ORM (SQL in a migration, a bulk import) must change the epoch themselves
(`UPDATE sla_config_state SET epoch = …`) or restart the processes. Without the row (never expected:
migration 0008 writes it) nothing is cached.
"""
from __future__ import annotations

import itertools
import secrets
import threading
from typing import Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from ..extensions import db
from .models import SlaCalendar, SlaCalendarDay, SlaConfigState, SlaPolicy, SlaPolicyVersion

T = TypeVar("T")
_MEMO = "claimdesk.sla_epoch"
_lock = threading.Lock()
_state: dict = {"epoch": None, "entries": {}}


def _watched() -> tuple[type, ...]:
    from ..auth.models import Store

    return (SlaCalendar, SlaCalendarDay, SlaPolicy, SlaPolicyVersion, Store)


def _touches_config(session: Session) -> bool:
    watched = _watched()
    return any(isinstance(obj, watched) for obj in itertools.chain(session.new, session.dirty, session.deleted))


def _new_epoch(session: Session, _flush_context, _instances) -> None:
    if not _touches_config(session):
        return
    value = secrets.randbits(62) or 1
    session.connection().execute(sa.update(SlaConfigState.__table__).values(epoch=value))
    session.info[_MEMO] = (session.get_transaction(), value)


_table = SlaConfigState.__table__
_READ = sa.select(_table.c.epoch).where(_table.c.id == 1)


def _remember_epoch(value) -> None:
    """The epoch read along with the request's first query (core.riders): this transaction's, unless
    it has one already."""
    session = db.session()
    memo = session.info.get(_MEMO)
    txn = session.get_transaction()
    if txn is not None and (memo is None or memo[0] is not txn):
        session.info[_MEMO] = (txn, value)


def init_app(app) -> None:
    from ..core import riders

    if not event.contains(Session, "before_flush", _new_epoch):
        event.listen(Session, "before_flush", _new_epoch)
    riders.register("sla_epoch", _READ.scalar_subquery(), _remember_epoch)


def epoch() -> int | None:
    """The configuration epoch this transaction works under (read once per transaction)."""
    session = db.session()  # the Session itself (the scoped proxy does not offer get_transaction)
    memo = session.info.get(_MEMO)
    txn = session.get_transaction()
    if memo is not None and txn is not None and memo[0] is txn:
        return memo[1]
    if _touches_config(session):
        session.flush()  # pending edits first: the flush gives this transaction its own epoch
        memo = session.info.get(_MEMO)
        if memo is not None and memo[0] is session.get_transaction():
            return memo[1]
    with session.no_autoflush:  # pending rows go in with the next flush, not because of this read
        value = session.execute(_READ).scalar()
    session.info[_MEMO] = (session.get_transaction(), value)
    return value


def get(key: tuple):
    """What is kept under `key` for this transaction's epoch, or None."""
    current = epoch()
    if current is None:
        return None
    with _lock:
        if _state["epoch"] != current:
            _state["epoch"], _state["entries"] = current, {}
        return _state["entries"].get(key)


def put(key: tuple, value) -> None:
    """Keep `value` (never to be changed by its users) under `key` for this transaction's epoch."""
    current = epoch()
    if current is None:
        return
    with _lock:
        if _state["epoch"] == current:
            _state["entries"][key] = value


def cached(key: tuple, load: Callable[[], T]) -> T:
    """`load()`'s result, kept for this epoch."""
    hit = get(key)
    if hit is None:
        hit = load()
        put(key, hit)
    return hit


# --- policy versions: rows kept as column values, handed out as instances of the caller's session --------
_VERSION_COLUMNS = [c.key for c in SlaPolicyVersion.__table__.columns]  # attribute names = column names


def version_values(version: SlaPolicyVersion) -> dict:
    return {k: getattr(version, k) for k in _VERSION_COLUMNS}


def version_instance(values: dict) -> SlaPolicyVersion:
    """The policy version as a persistent instance of this session, without a query."""
    session = db.session()
    key = sa.inspect(SlaPolicyVersion).identity_key_from_primary_key((values["id"],))
    present = session.identity_map.get(key)
    if present is not None:
        return present
    obj = SlaPolicyVersion(**values)  # its JSON lists are read, never changed in place
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
