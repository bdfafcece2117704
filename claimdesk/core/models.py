"""Shared columns of every case, the append-only timeline, and gap-free case numbering."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..extensions import db
from .clock import now
from .types import JSONType, UTCDateTime


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now, nullable=False)


class CaseMixin(TimestampMixin):
    """What every case (work order, complaint, claim) has. Subclasses set CASE_TYPE and NUMBER_PREFIX."""

    CASE_TYPE: str = ""
    NUMBER_PREFIX: str = ""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    # Pause: the case waits on someone else; the SLA policies say which clocks stop.
    pause_reason: Mapped[str | None] = mapped_column(sa.String(32))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(nullable=False, default=0)
    escalation_acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def store_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)

    @declared_attr
    def assignee_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id"), index=True)

    @declared_attr
    def customer_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("customers.id"), nullable=False, index=True)

    @declared_attr
    def __mapper_args__(cls):
        # Optimistic locking in the database too: a concurrent UPDATE of the same version fails.
        return {"version_id_col": cls.__table__.c.version}

    @declared_attr
    def __table_args__(cls):
        return (sa.UniqueConstraint("store_id", "number"),)

    @property
    def is_paused(self) -> bool:
        return self.pause_reason is not None


class CaseEvent(db.Model):
    """One line of a case's timeline. Written by the engine in the action's transaction; never updated."""

    __tablename__ = "case_events"
    __table_args__ = (sa.Index("ix_case_events_case", "case_type", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)  # action | note | sla | escalation | system
    action: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str | None] = mapped_column(sa.String(32))
    visibility: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="internal")
    data: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)

    actor = db.relationship("User", lazy="joined")


class CaseCounter(db.Model):
    """Last number handed out per store, case prefix and year. Incremented under a row lock."""

    __tablename__ = "case_counters"

    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(nullable=False, default=0)
