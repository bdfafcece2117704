"""What every clock start reads, kept per process: the stores' business calendars and the policies'
current versions.

Starting a clock needs the store's calendar (three queries: calendars, their days, the stores' time
zones) and the current version of each policy (one query). They change a few times a year, but were
read on every creation and every action that starts a clock.

Validity. `sla_config_state` holds one number, the epoch, and every write of a calendar, a calendar
day, a policy, a policy version or a store replaces it with a new *random* one in the same
transaction. On PostgreSQL a statement-level trigger on those five tables does it (migration
0009_sla_config_trigger), so writes that bypass the ORM — plain SQL in a migration, a script, psql —
change it too. On SQLite (development) the ORM does it before each flush that writes one of those
tables (`_on_flush`); there, plain SQL must change the epoch itself or the process be restarted
(SQLite triggers would not survive the table rebuilds of batch-mode migrations). A process keeps what it
read under the epoch it read it under, and reads the epoch once per transaction with its own
primary-key read (one round trip, far cheaper than the four it saves):

- an edit is seen by every transaction that starts after the edit commits (it reads the new epoch and
  finds nothing cached under it) — the same as reading the tables themselves;
- a transaction sees its own edits made through the ORM: their flush makes it read the epoch again,
  which its own write has changed, and nothing is cached under that one yet;
- a rolled-back edit leaves an epoch nobody will read again (epochs are random, never reused).

Without the row (never expected: migration 0008 writes it) nothing is cached.
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


def _on_flush(session: Session, _flush_context, _instances) -> None:
    """A flush that writes SLA configuration: on PostgreSQL the tables' trigger changes the epoch, and
    this transaction must read it again; elsewhere the epoch is changed here, in the same transaction."""
    if not _touches_config(session):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.info.pop(_MEMO, None)
        return
    value = secrets.randbits(62) or 1
    session.connection().execute(sa.update(SlaConfigState.__table__).values(epoch=value))
    session.info[_MEMO] = (session.get_transaction(), value)


#: a driver-level statement on the session's connection: no ORM execution, no autoflush (pending rows go
#: in with the next flush, not because of this read) — it runs in every transaction that starts a clock
_READ = "SELECT epoch FROM sla_config_state WHERE id = 1"


def init_app(app) -> None:
    if not event.contains(Session, "before_flush", _on_flush):
        event.listen(Session, "before_flush", _on_flush)


def epoch() -> int | None:
    """The configuration epoch this transaction works under (read once per transaction)."""
    session = db.session()  # the Session itself (the scoped proxy does not offer get_transaction)
    memo = session.info.get(_MEMO)
    txn = session.get_transaction()
    if memo is not None and txn is not None and memo[0] is txn:
        return memo[1]
    if _touches_config(session):
        session.flush()  # pending edits first: they change this transaction's epoch
        memo = session.info.get(_MEMO)
        if memo is not None and memo[0] is session.get_transaction():
            return memo[1]
    value = session.connection().exec_driver_sql(_READ).scalar()
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
