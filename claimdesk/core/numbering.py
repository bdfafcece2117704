"""Case numbers like WO-2026-000123 per store and year: no gaps, no duplicates under concurrency.

The counter row is incremented with one upsert in the case's own transaction, so the row lock
serialises concurrent creators and a rolled-back case gives its number back.

That lock is held until the commit, so a new case takes its number **last**: it is written with a
provisional number (unique, never shown), everything else of the creation is written, and then
`assign()` increments the counter and sets the real number — on PostgreSQL in one statement (a
data-modifying CTE). Concurrent creators in one store then wait only for each other's last
statement and commit, not for each other's whole creation (`Workflow.start` calls it).

On PostgreSQL that statement also writes the creation's own dependent rows still waiting in the
session — its timeline event and its SLA clocks (`carry`) — in further CTEs, one array per column
(`bulk.array_casts`, `bulk.array_params`): a creation's last round trip is one statement instead of
an ORM flush of three INSERTs and the numbering statement. The ORM objects stay the same objects:
they get their ids from the statement and become persistent as if flushed.
"""
from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from . import bulk
from .models import CaseCounter, CaseEvent

PROVISIONAL = "~"

#: mapped classes whose pending rows of the case being created ride in its numbering statement
_CARRIED: list[type] = []


def carry(cls: type) -> None:
    """Let a creation write its pending `cls` rows (mapped, with `case_type`/`case_id` columns, a
    sequence-generated id, no server-side defaults) in its numbering statement on PostgreSQL."""
    table = cls.__table__
    assert {"case_type", "case_id"} <= set(table.c.keys()), cls
    assert all(c.server_default is None for c in table.c if not c.primary_key), cls
    if cls not in _CARRIED:
        _CARRIED.append(cls)


carry(CaseEvent)


def provisional() -> str:
    """A provisional number, unique per case, never shown: `assign()` replaces it before the commit."""
    return PROVISIONAL + secrets.token_hex(12)


def is_provisional(number: str | None) -> bool:
    return number is None or number.startswith(PROVISIONAL)


@lru_cache(maxsize=None)
def _upsert(dialect: str):
    """Counter + 1 for (c_store, c_prefix, c_year), or 1 for a new counter, returning the value."""
    counters = CaseCounter.__table__
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(counters)
    return ins.values(store_id=sa.bindparam("c_store"), prefix=sa.bindparam("c_prefix"),
                      year=sa.bindparam("c_year"), last_value=1).on_conflict_do_update(
        index_elements=["store_id", "prefix", "year"], set_={"last_value": counters.c.last_value + 1},
    ).returning(counters.c.last_value)


@lru_cache(maxsize=None)
def _carried_keys(table: sa.Table) -> tuple[str, ...]:
    return tuple(c.key for c in table.c if not c.primary_key)


@lru_cache(maxsize=None)
def _sql_assign(table: sa.Table, carried: tuple[sa.Table, ...], dialect) -> str:
    """PostgreSQL: the counter upsert as a data-modifying CTE, one CTE inserting the rows of each of
    `carried` (the arrays `p{t}_{i}` of `bulk.array_params`, rows in order), and the case's number set
    from the counter's value (formatted like `_format`: at least six digits); returns the number and
    each carried table's new ids.

    The rows go in ORDER BY their position and take their ids from the table's sequence as they go
    in, so the ids in ascending order are the rows in order (PostgreSQL evaluates the volatile
    nextval() after the sort — what SQLAlchemy's own insertmanyvalues relies on for serial keys)."""
    quote = dialect.identifier_preparer.quote
    ctes = ["counter AS (INSERT INTO case_counters AS cc (store_id, prefix, year, last_value) "
            "VALUES (%(c_store)s, %(c_prefix)s, %(c_year)s, 1) ON CONFLICT (store_id, prefix, year) "
            "DO UPDATE SET last_value = cc.last_value + 1 RETURNING cc.last_value)"]
    ids = []
    for t, ctable in enumerate(carried):
        keys = list(_carried_keys(ctable))
        alias = ", ".join(f"c{i}" for i in range(len(keys)))
        ctes.append(
            f"r{t} AS (INSERT INTO {quote(ctable.name)} ({', '.join(quote(ctable.c[k].name) for k in keys)}) "
            f"SELECT {alias} FROM unnest({', '.join(bulk.array_casts(ctable, keys, dialect, f'p{t}_'))}) "
            f"WITH ORDINALITY AS u({alias}, ord) ORDER BY ord RETURNING {quote(ctable.c.id.name)} AS id)")
        ids.append(f"ARRAY(SELECT id FROM r{t} ORDER BY id)")
    name = quote(table.name)
    return (f"WITH {', '.join(ctes)} UPDATE {name} "
            f"SET number = %(head)s || lpad(n.v, greatest(6, length(n.v)), '0') "
            f"FROM (SELECT last_value::text AS v FROM counter) AS n WHERE {name}.id = %(case_id)s "
            f"RETURNING {', '.join([f'{name}.number', *ids])}")


def _take_carried(case) -> dict[type, list]:
    """The session's pending rows of `_CARRIED` classes that belong to `case`, taken out of the session
    (so the ORM flush leaves them to the numbering statement), by class in the order they were added."""
    session = db.session()
    out: dict[type, list] = {}
    for obj in session.new:
        cls = type(obj)
        if cls in _CARRIED and obj.case_id == case.id and obj.case_type == case.CASE_TYPE:
            out.setdefault(cls, []).append(obj)
    for objs in out.values():
        objs.sort(key=lambda o: sa.inspect(o).insert_order)
        for obj in objs:
            session.expunge(obj)
    return out


@lru_cache(maxsize=None)
def _defaults(table: sa.Table) -> tuple[tuple[str, object], ...]:
    """(key, Python-side default or None) per carried column."""
    out = []
    for key in _carried_keys(table):
        d = table.c[key].default
        if d is None:
            out.append((key, None))
        else:
            out.append((key, (lambda d=d: d.arg) if d.is_scalar else (lambda d=d: d.arg(None))))
    return tuple(out)


def _row_values(obj, table: sa.Table) -> dict:
    """The object's column values as the ORM would insert them: a missing or None value takes the
    column's Python-side default; the defaults are set on the object too."""
    values = {}
    state = obj.__dict__
    for key, default in _defaults(table):
        value = state.get(key)
        if value is None and default is not None:
            value = default()
            setattr(obj, key, value)
        values[key] = value
    return values


def _attach(objs: list, ids: list[int]) -> None:
    """Carried rows are written: give each its id and make it persistent in the session, unchanged.
    If the transaction rolls back they leave the session again, as flushed new objects do."""
    assert len(objs) == len(ids), (len(objs), len(ids))
    session = db.session()
    for obj, id_ in zip(objs, ids):
        obj.id = id_
        make_transient_to_detached(obj)
        session.add(obj)
    txn = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_ATTACHED, []).append((txn, objs))


_ATTACHED = "claimdesk.carried"


def _within(txn, outer) -> bool:
    while txn is not None:
        if txn is outer:
            return True
        txn = txn.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous) -> None:
    attached = session.info.get(_ATTACHED)
    if not attached:
        return
    kept = []
    for txn, objs in attached:
        if not _within(txn, previous):  # written in a transaction that was not rolled back
            kept.append((txn, objs))
            continue
        for obj in objs:
            if obj in session:
                session.expunge(obj)
            make_transient(obj)
    session.info[_ATTACHED] = kept


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    session.info.pop(_ATTACHED, None)


def _format(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:06d}"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def next_number(store_id: int, prefix: str, year: int) -> str:
    """Take the next number now (the counter stays locked until the transaction ends)."""
    value = db.session.execute(_upsert(_dialect()), {"c_store": store_id, "c_prefix": prefix, "c_year": year}) \
        .scalar_one()
    return _format(prefix, year, value)


def assign(case, year: int) -> str:
    """Give a case written with a provisional number its real one; call it as the creation's last write.
    On PostgreSQL one statement also writes the case's pending carried rows (`carry`)."""
    table = type(case).__table__
    prefix = case.NUMBER_PREFIX
    if _dialect() == "postgresql":
        carried = _take_carried(case)
        db.session.flush()
        conn = db.session.connection()
        params = {"c_store": case.store_id, "c_prefix": prefix, "c_year": year, "head": f"{prefix}-{year}-",
                  "case_id": case.id}
        for t, (cls, objs) in enumerate(carried.items()):
            ctable = cls.__table__
            bulk.array_params(ctable, list(_carried_keys(ctable)), [_row_values(o, ctable) for o in objs],
                              conn.dialect, params, f"p{t}_")
        sql = _sql_assign(table, tuple(cls.__table__ for cls in carried), conn.dialect)
        number, *ids = conn.exec_driver_sql(sql, params).one()
        for objs, new_ids in zip(carried.values(), ids):
            _attach(objs, new_ids)
    else:
        db.session.flush()
        number = next_number(case.store_id, prefix, year)
        db.session.execute(sa.update(table).values(number=number, updated_at=table.c.updated_at)
                           .where(table.c.id == case.id))
    # Written by the statement above: the ORM must neither reload it nor write it again.
    set_committed_value(case, "number", number)
    return number


def peek(store_id: int, prefix: str, year: int) -> int:
    return db.session.scalar(
        sa.select(CaseCounter.last_value).filter_by(store_id=store_id, prefix=prefix, year=year)
    ) or 0
