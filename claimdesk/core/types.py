"""Column types that behave the same on PostgreSQL and SQLite."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from .clock import utc

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Decimal rounded half-up to two places; never a float on the way in."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes in and out, whatever the backend stores."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return utc(value)


class Money(sa.TypeDecorator):
    """NUMERIC(14, 2) returned as Decimal on every backend."""

    impl = sa.Numeric(14, 2)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = money(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else money(value)

    @property
    def python_type(self):
        return Decimal


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
