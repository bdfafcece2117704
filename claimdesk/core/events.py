"""The append-only case timeline: written by the engine (and the SLA engine), read oldest first."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from . import bulk
from .clock import now
from .models import CaseEvent


def _jsonable(value):
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def values(case, *, kind: str, action: str, actor=None, from_state=None, to_state=None,
           data: dict | None = None, visibility: str = "internal", at=None) -> dict:
    """The column values of one timeline event (the one place that builds them: `record` and
    `record_many` both use it)."""
    return {
        "case_type": case.CASE_TYPE,
        "case_id": case.id,
        "store_id": case.store_id,
        "kind": kind,
        "action": action,
        "actor_id": getattr(actor, "id", actor),
        "at": at or now(),
        "from_state": from_state,
        "to_state": to_state,
        "visibility": visibility,
        "data": _jsonable(data or {}),
    }


def record(case, **kw) -> CaseEvent:
    """Add one event to the session (keyword arguments as `values`)."""
    event = CaseEvent(**values(case, **kw))
    db.session.add(event)
    return event


def record_many(rows: list[dict]) -> None:
    """Insert many events built by `values` in one executemany, without ORM objects (batch jobs).
    Ids follow the order of `rows`; events added to the session earlier are flushed first."""
    if rows:
        db.session.flush()
        bulk.insert_many(CaseEvent.__table__, rows)


def timeline(case_type: str, case_id: int, *, customer_visible_only: bool = False) -> list[CaseEvent]:
    stmt = sa.select(CaseEvent).where(CaseEvent.case_type == case_type, CaseEvent.case_id == case_id)
    if customer_visible_only:
        stmt = stmt.where(CaseEvent.visibility == "customer")
    return list(db.session.scalars(stmt.order_by(CaseEvent.at, CaseEvent.id)))
