"""Case numbers like WO-2026-000123 per store and year: no gaps, no duplicates under concurrency.

The counter row is incremented with one upsert in the case's own transaction, so the row lock
serialises concurrent creators and a rolled-back case gives its number back.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .models import CaseCounter


def next_number(store_id: int, prefix: str, year: int) -> str:
    dialect = db.session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CaseCounter)
    stmt = ins.values(store_id=store_id, prefix=prefix, year=year, last_value=1).on_conflict_do_update(
        index_elements=["store_id", "prefix", "year"],
        set_={"last_value": CaseCounter.__table__.c.last_value + 1},
    ).returning(CaseCounter.__table__.c.last_value)
    value = db.session.execute(stmt).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


def peek(store_id: int, prefix: str, year: int) -> int:
    return db.session.scalar(
        sa.select(CaseCounter.last_value).filter_by(store_id=store_id, prefix=prefix, year=year)
    ) or 0
