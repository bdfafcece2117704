"""Case numbers like WO-2026-000123 per store and year: no gaps, no duplicates under concurrency.

The counter row is incremented with one upsert in the case's own transaction, so the row lock
serialises concurrent creators and a rolled-back case gives its number back.

That lock is held until the commit, so a new case takes its number **last**: it is written with a
provisional number (unique, never shown), everything else of the creation is written, and then
`assign()` increments the counter and sets the real number — on PostgreSQL in one statement (a
data-modifying CTE). Concurrent creators in one store then wait only for each other's last
statement and commit, not for each other's whole creation (`Workflow.start` calls it).
"""
from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
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
def _assign(table: sa.Table):
    """PostgreSQL: the counter upsert as a data-modifying CTE and the case's number set from its value,
    in one statement; formatted like `_format` (at least six digits)."""
    counter = _upsert("postgresql").cte("counter")
    digits = sa.cast(sa.select(counter.c.last_value).scalar_subquery(), sa.String)
    number = sa.bindparam("head", type_=sa.String) + sa.func.lpad(digits, sa.func.greatest(6, sa.func.length(digits)), "0")
    # updated_at stays as written (its onupdate would otherwise fire)
    return sa.update(table).values(number=number, updated_at=table.c.updated_at) \
        .where(table.c.id == sa.bindparam("case_id")).returning(table.c.number)


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
    """Give a case written with a provisional number its real one; call it as the creation's last write."""
    db.session.flush()
    table = type(case).__table__
    prefix = case.NUMBER_PREFIX
    if _dialect() == "postgresql":
        number = db.session.execute(_assign(table), {
            "c_store": case.store_id, "c_prefix": prefix, "c_year": year, "head": f"{prefix}-{year}-",
            "case_id": case.id}).scalar_one()
    else:
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
