"""Case numbers like WO-2026-000123 per store and year: no gaps, no duplicates under concurrency.

The counter row is incremented with one upsert in the case's own transaction, so the row lock
serialises concurrent creators and a rolled-back case gives its number back.

That lock is held until the commit, so a new case takes its number **last**: it is written with a
provisional number (unique, never shown), everything else of the creation is written, and then
`assign()` increments the counter and sets the real number — on PostgreSQL in one statement (a
data-modifying CTE). Concurrent creators in one store then wait only for each other's last
statement and commit, not for each other's whole creation (`Workflow.start` calls it).

The creation's fast path is one explicit call, `assign_writing_rows(case, year, rows)`: on
PostgreSQL the numbering statement also INSERTs the given pending rows of the creation — its timeline
event and its SLA clocks — in further CTEs, one array per column (`bulk.array_casts`,
`bulk.array_params`), so a creation's last round trip is one statement instead of an ORM flush of three
INSERTs and the numbering statement. The ORM objects stay the same objects: they get their ids from the
statement and are registered with the session exactly as a flush registers what it inserted (so a
rollback of their transaction or savepoint takes them out of the session again). `Workflow.start` calls
it unless `CREATION_FAST_PATH` is off; `assign` alone is the ORM path. Both write the same rows
(tests/core/test_carried_rows.py compares them column for column).
"""
from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from . import bulk
from .models import CaseCounter

PROVISIONAL = "~"

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


@lru_cache(maxsize=None)
def _writable(table: sa.Table) -> bool:
    """Rows of `table` may go in the numbering statement: they belong to a case (`case_type`,
    `case_id`), take a sequence-generated `id` and need no server-side default."""
    return ({"case_type", "case_id"} <= set(table.c.keys()) and [c.key for c in table.primary_key] == ["id"]
            and all(c.server_default is None for c in table.c if not c.primary_key))


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
    Pending rows are flushed by the ORM first (the ORM path)."""
    db.session.flush()
    if _dialect() == "postgresql":
        number = _assign_postgresql(case, year, {})
    else:
        table = type(case).__table__
        number = next_number(case.store_id, case.NUMBER_PREFIX, year)
        db.session.execute(sa.update(table).values(number=number, updated_at=table.c.updated_at)
                           .where(table.c.id == case.id))
    # Written by the statement above: the ORM must neither reload it nor write it again.
    set_committed_value(case, "number", number)
    return number


def assign_writing_rows(case, year: int, rows) -> str:
    """The creation's fast path: `assign`, and on PostgreSQL the INSERTs of `rows` — pending ORM objects
    of this case being created (its timeline event, its SLA clocks) — in the same statement, in their
    order of `session.add`. Everything else pending is flushed first, as `assign` does — also the listed
    rows of a class that has other pending rows, so that ids keep following `session.add`. The rows come out
    persistent with their ids and nothing left to write, as if flushed. Elsewhere than on PostgreSQL, or
    with no pending row: exactly `assign`."""
    session = db.session()
    pending = [o for o in rows if sa.inspect(o).pending]
    if not pending or _dialect() != "postgresql":
        return assign(case, year)
    by_class: dict[type, list] = {}
    for obj in sorted(pending, key=lambda o: sa.inspect(o).insert_order):
        cls = type(obj)
        if not _writable(cls.__table__) or obj.case_id != case.id or obj.case_type != case.CASE_TYPE:
            raise ValueError(f"{obj!r} cannot be written with the number of {case!r}")
        by_class.setdefault(cls, []).append(obj)
    # A class with other pending rows (not listed) is left to the ORM flush: ids follow the order of
    # `session.add` only if all of a class's rows go in one way.
    listed = set(map(id, pending))
    for other in session.new:
        if type(other) in by_class and id(other) not in listed:
            del by_class[type(other)]
    pending = [o for objs in by_class.values() for o in objs]
    if not pending:
        return assign(case, year)
    for obj in pending:  # the ORM flush of everything else must leave them out …
        session.expunge(obj)
    try:
        session.flush()
    finally:
        for objs in by_class.values():  # … and they are pending again, in their order
            session.add_all(objs)
    number = _assign_postgresql(case, year, by_class)
    set_committed_value(case, "number", number)
    return number


def _assign_postgresql(case, year: int, by_class: dict[type, list]) -> str:
    """One statement: counter + 1, the number set, and the rows of `by_class` inserted; the rows then
    have their ids and are registered as flushed (`Session._register_persistent`, what the ORM's own
    flush calls for the rows it inserted: it also records them in the current transaction or
    savepoint, whose rollback takes them out of the session again)."""
    session = db.session()
    prefix = case.NUMBER_PREFIX
    conn = session.connection()
    params = {"c_store": case.store_id, "c_prefix": prefix, "c_year": year, "head": f"{prefix}-{year}-",
              "case_id": case.id}
    for t, (cls, objs) in enumerate(by_class.items()):
        table = cls.__table__
        bulk.array_params(table, list(_carried_keys(table)), [_row_values(o, table) for o in objs],
                          conn.dialect, params, f"p{t}_")
    sql = _sql_assign(type(case).__table__, tuple(cls.__table__ for cls in by_class), conn.dialect)
    number, *ids = conn.exec_driver_sql(sql, params).one()
    states = set()
    for objs, new_ids in zip(by_class.values(), ids):
        assert len(objs) == len(new_ids), (len(objs), len(new_ids))
        for obj, id_ in zip(objs, new_ids):
            obj.id = id_
            states.add(sa.inspect(obj))
    if states:
        session._register_persistent(states)
    return number


def peek(store_id: int, prefix: str, year: int) -> int:
    return db.session.scalar(
        sa.select(CaseCounter.last_value).filter_by(store_id=store_id, prefix=prefix, year=year)
    ) or 0
