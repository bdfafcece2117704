"""Many-row INSERTs for batch jobs, without the ORM.

On PostgreSQL one statement takes one array per column (`INSERT … SELECT * FROM unnest(…)`): its
text is short and the same for every batch, so psycopg converts it once (a multi-row VALUES insert
of thousands of rows is a new, long query text each time, and converting it costs more than the
database's work). The arrays go in psycopg's binary format (`%(name)b`): its text format escapes
every quoted element with a regular expression. Elsewhere it is the dialect's ordinary executemany. Same rows, same defaults, same
ON CONFLICT DO NOTHING and RETURNING either way (RETURNING rows come in no particular order).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Callable

import sqlalchemy as sa

from ..extensions import db


def _insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _with_defaults(table: sa.Table, rows: list[dict]) -> tuple[list[str], list[dict]]:
    """Every row gets the same keys: the given ones plus the columns' Python-side scalar/callable
    defaults (as an ORM or Core insert would fill them)."""
    keys = list(rows[0])
    extra = {}
    for col in table.c:
        if col.key in keys or col.primary_key or col.default is None:
            continue
        d = col.default
        if d.is_scalar:
            extra[col.key] = lambda d=d: d.arg
        elif d.is_callable:
            extra[col.key] = lambda d=d: d.arg(None)
    if not extra:
        return keys, rows
    return keys + list(extra), [{**{k: f() for k, f in extra.items()}, **r} for r in rows]


def insert_many(table: sa.Table, rows: list[dict], *, conflict: tuple[str, ...] | None = None,
                returning: tuple[str, ...] = ()) -> list:
    """Insert `rows` (dicts with the same keys) into `table`; with `conflict`, rows that clash on those
    columns' unique key are skipped (ON CONFLICT DO NOTHING); returns the `returning` columns of the
    rows that went in (an empty list without `returning`)."""
    if not rows:
        return []
    conn = db.session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql":
        stmt = _insert(table)
        if conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
        if returning:
            return conn.execute(stmt.returning(*[table.c[k] for k in returning]), rows).all()
        conn.execute(stmt, rows)
        return []
    keys, rows = _with_defaults(table, rows)
    params = array_params(table, keys, rows, dialect)
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(table.c[k].name) for k in keys)}) "
           f"SELECT * FROM unnest({', '.join(array_casts(table, keys, dialect))})")
    if conflict:
        sql += f" ON CONFLICT ({', '.join(quote(table.c[k].name) for k in conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(quote(table.c[k].name) for k in returning)}"
        return conn.exec_driver_sql(sql, params).all()
    conn.exec_driver_sql(sql, params)
    return []


def _is_json(col: sa.Column, dialect) -> bool:
    return isinstance(col.type.dialect_impl(dialect), sa.JSON)


def array_casts(table: sa.Table, keys: list[str], dialect, prefix: str = "p") -> list[str]:
    """PostgreSQL: the typed array expressions for `unnest(…)`, one per column of `keys`, reading the
    parameters `{prefix}{i}` that `array_params` fills (psycopg's binary format)."""
    casts = []
    for i, key in enumerate(keys):
        col = table.c[key]
        if _is_json(col, dialect):  # sent as text, cast element-wise
            impl = col.type.dialect_impl(dialect)
            casts.append(f"CAST(CAST(%({prefix}{i})b AS TEXT[]) AS {impl.compile(dialect=dialect)}[])")
        else:
            casts.append(f"CAST(%({prefix}{i})b AS {col.type.compile(dialect=dialect)}[])")
    return casts


def array_params(table: sa.Table, keys: list[str], rows: list[dict], dialect, params: dict | None = None,
                 prefix: str = "p") -> dict:
    """The column arrays of `rows` for `array_casts`' expressions, added to `params` (returned)."""
    params = {} if params is None else params
    for i, (key, process) in enumerate(_converters(table, tuple(keys), dialect)):
        values = [r[key] for r in rows]
        params[f"{prefix}{i}"] = [None if v is None else process(v) for v in values] if process else values
    return params


@lru_cache(maxsize=256)
def _converters(table: sa.Table, keys: tuple[str, ...], dialect) -> list[tuple[str, Callable | None]]:
    """Per column of `keys`: how a Python value becomes an array element (JSON as text; else the type's
    bind processing, if any)."""
    out = []
    for key in keys:
        col = table.c[key]
        if _is_json(col, dialect):
            out.append((key, dialect._json_serializer or json.dumps))
        else:
            out.append((key, col.type._cached_bind_processor(dialect)))
    return out
