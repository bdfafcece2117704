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

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from .models import CaseCounter

PROVISIONAL = "~"


def provisional() -> str:
    """A placeholder number, unique per case, until `assign()` gives the real one."""
    return PROVISIONAL + secrets.token_hex(12)


def is_provisional(number: str | None) -> bool:
    return number is None or number.startswith(PROVISIONAL)


def _upsert(store_id: int, prefix: str, year: int):
    dialect = db.session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CaseCounter)
    return ins.values(store_id=store_id, prefix=prefix, year=year, last_value=1).on_conflict_do_update(
        index_elements=["store_id", "prefix", "year"],
        set_={"last_value": CaseCounter.__table__.c.last_value + 1},
    ).returning(CaseCounter.__table__.c.last_value)


def _format(prefix: str, year: int, value):
    """f"{prefix}-{year}-{value:06d}", in Python or as a SQL expression over the counter's value."""
    if isinstance(value, int):
        return f"{prefix}-{year}-{value:06d}"
    digits = sa.cast(value, sa.String)
    return sa.literal(f"{prefix}-{year}-") + sa.func.lpad(digits, sa.func.greatest(6, sa.func.length(digits)), "0")


def next_number(store_id: int, prefix: str, year: int) -> str:
    """Take the next number now (the counter stays locked until the transaction ends)."""
    value = db.session.execute(_upsert(store_id, prefix, year)).scalar_one()
    return _format(prefix, year, value)


def assign(case, year: int) -> str:
    """Give a case written with a provisional number its real one; call it as the creation's last write."""
    db.session.flush()
    table = type(case).__table__
    prefix = case.NUMBER_PREFIX
    if db.session.get_bind().dialect.name == "postgresql":
        counter = _upsert(case.store_id, prefix, year).cte("counter")
        value = sa.select(counter.c.last_value).scalar_subquery()
        number = db.session.execute(
            sa.update(table).values(number=_format(prefix, year, value), updated_at=table.c.updated_at)
            .where(table.c.id == case.id).returning(table.c.number)
        ).scalar_one()
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
