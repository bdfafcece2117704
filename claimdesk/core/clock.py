"""now(): the one source of the current time, injectable so SLA tests move time instead of sleeping."""
from __future__ import annotations

from datetime import datetime, timezone

_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def set_now(value: datetime | None) -> None:
    """Freeze time at `value` (aware), or unfreeze with None. For tests and simulations."""
    global _frozen
    if value is not None and value.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _frozen = value.astimezone(timezone.utc) if value is not None else None


def utc(value: datetime | None) -> datetime | None:
    """Normalise to aware UTC; naive values are taken as UTC (SQLite returns them naive)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
