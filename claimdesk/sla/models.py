"""SLA data: policies (with immutable versions), store calendars, clocks, pauses, the escalation
ledger, immutable clock facts and the audit of re-baselining runs."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import now
from ..core.types import JSONType, UTCDateTime
from ..extensions import db

CLOCK_STATES = ("running", "paused", "warning", "breached", "met", "cancelled")
ACTIVE_STATES = ("running", "paused", "warning", "breached")
CALENDARS = ("24x7", "business")
RECIPIENTS = ("assignee", "manager", "store_manager", "group_manager")
#: the ladder every policy starts with: level 1 at the warning point, 2 at breach, 3 a further period on
DEFAULT_LADDER = [
    {"level": 1, "at": "warn", "notify": ["assignee"]},
    {"level": 2, "at": "due", "notify": ["assignee", "manager"], "escalate": True},
    {"level": 3, "at": "escalate", "notify": ["store_manager"], "escalate": True},
]


class SlaPolicy(db.Model):
    """The current settings of one timer, for the whole group (store_id NULL) or one store."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        sa.Index("uq_sla_policies_group_key", "key", unique=True,
                 postgresql_where=sa.text("store_id IS NULL"), sqlite_where=sa.text("store_id IS NULL")),
        sa.Index("uq_sla_policies_store_key", "key", "store_id", unique=True,
                 postgresql_where=sa.text("store_id IS NOT NULL"), sqlite_where=sa.text("store_id IS NOT NULL")),
        sa.CheckConstraint("calendar in ('24x7','business')", name="calendar"),
        sa.CheckConstraint("target_seconds > 0", name="target"),
        sa.CheckConstraint("warn_ratio > 0 and warn_ratio < 1", name="warn_ratio"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    target_seconds: Mapped[int] = mapped_column(nullable=False)
    calendar: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="24x7")
    warn_ratio: Mapped[float] = mapped_column(sa.Float, nullable=False, default=0.75)
    escalate_after_seconds: Mapped[int] = mapped_column(nullable=False, default=4 * 3600)
    pause_reasons: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    ladder: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    current_version_row = relationship(
        "SlaPolicyVersion", primaryjoin="and_(SlaPolicy.id == foreign(SlaPolicyVersion.policy_id), "
        "SlaPolicy.version == SlaPolicyVersion.version)", viewonly=True, uselist=False)

    @property
    def scope(self) -> str:
        return "group" if self.store_id is None else "store"


class SlaPolicyVersion(db.Model):
    """An immutable copy of a policy as it was at one version; clocks point at the one they use."""

    __tablename__ = "sla_policy_versions"
    __table_args__ = (sa.UniqueConstraint("policy_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_policies.id"), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"))
    version: Mapped[int] = mapped_column(nullable=False)
    target_seconds: Mapped[int] = mapped_column(nullable=False)
    calendar: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    warn_ratio: Mapped[float] = mapped_column(sa.Float, nullable=False)
    escalate_after_seconds: Mapped[int] = mapped_column(nullable=False)
    pause_reasons: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    ladder: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SlaCalendar(db.Model):
    """A store's business hours (several intervals a weekday) and time zone; NULL store = the group's."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="Asia/Shanghai")
    # [[["08:30","12:00"],["13:30","18:00"]], ... 7 lists, Monday first]
    week: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    days = relationship("SlaCalendarDay", order_by="SlaCalendarDay.day", cascade="all, delete-orphan",
                        lazy="selectin")


class SlaCalendarDay(db.Model):
    """One date that differs from the week: a holiday (closed all day), a one-off closure (closed
    all day or for the given spans), or a make-up working day (open for the given spans)."""

    __tablename__ = "sla_calendar_days"
    __table_args__ = (sa.UniqueConstraint("calendar_id", "day"),
                      sa.CheckConstraint("kind in ('holiday','closure','workday')", name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_calendars.id", ondelete="CASCADE"),
                                             nullable=False)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="holiday")
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    # closure: the closed spans (empty = all day); workday: the open spans
    spans: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)


class SlaClock(db.Model):
    """One timer of one case. The deadline is kept, never replayed: `consumed_seconds` counts the
    (business or wall) time used before `running_since`; while paused, running_since is NULL.

    `generation` counts the runs of the clock (a restart after it ended); each escalation level
    fires at most once per generation. `next_fire_at` is the earliest pending step (warning, breach,
    further escalation) and NULL when nothing is pending — the sweep reads only due rows through
    its partial index.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        sa.UniqueConstraint("case_type", "case_id", "policy_key"),
        sa.Index("ix_sla_clocks_next_fire_at", "next_fire_at",
                 postgresql_where=sa.text("next_fire_at IS NOT NULL"),
                 sqlite_where=sa.text("next_fire_at IS NOT NULL")),
        sa.Index("ix_sla_clocks_store_state", "store_id", "state"),
        # the dashboard's running breaches: deadlines of the clocks not stopped, by range
        sa.Index("ix_sla_clocks_open_due", "due_at", postgresql_where=sa.text("stopped_at IS NULL"),
                 sqlite_where=sa.text("stopped_at IS NULL")),
        sa.CheckConstraint("state in ('running','paused','warning','breached','met','cancelled')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False)
    policy_key: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_policy_versions.id"), nullable=False)
    generation: Mapped[int] = mapped_column(nullable=False, default=1)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="running")
    calendar: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="24x7")
    target_seconds: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    warn_seconds: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    escalate_after_seconds: Mapped[int] = mapped_column(nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consumed_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False, default=0)
    paused_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False, default=0)
    pause_reason: Mapped[str | None] = mapped_column(sa.String(32))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(nullable=False, default=0)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, onupdate=now)

    policy_version = relationship(SlaPolicyVersion, lazy="joined")

    @property
    def active(self) -> bool:
        return self.stopped_at is None


class SlaPause(db.Model):
    """One pause of one clock: why, from when to when, and how much (wall and counted) time."""

    __tablename__ = "sla_pauses"
    __table_args__ = (sa.Index("ix_sla_pauses_clock", "clock_id", "generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_clocks.id", ondelete="CASCADE"), nullable=False)
    generation: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wall_seconds: Mapped[float | None] = mapped_column(sa.Float)
    business_seconds: Mapped[float | None] = mapped_column(sa.Float)


class SlaEscalation(db.Model):
    """The ledger of ladder steps that fired. Unique per clock, generation and level: the database is
    the final guard that a step never fires twice, whatever RQ delivers."""

    __tablename__ = "sla_escalations"
    __table_args__ = (sa.UniqueConstraint("clock_id", "generation", "level"),
                      sa.Index("ix_sla_escalations_case", "case_type", "case_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_clocks.id", ondelete="CASCADE"), nullable=False)
    generation: Mapped[int] = mapped_column(nullable=False)
    level: Mapped[int] = mapped_column(nullable=False)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recipient_ids: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)


class SlaFact(db.Model):
    """What one run of a clock came to, written once when it ends and never changed: the figures the
    dashboard aggregates (durations in business and wall time, margin, pauses by reason, holder)."""

    __tablename__ = "sla_facts"
    __table_args__ = (sa.UniqueConstraint("clock_id", "generation"),
                      sa.Index("ix_sla_facts_policy_ended", "policy_key", "ended_at"),
                      sa.Index("ix_sla_facts_store_ended", "store_id", "ended_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_clocks.id"), nullable=False)
    generation: Mapped[int] = mapped_column(nullable=False)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False)
    policy_key: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_policy_versions.id"), nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(12), nullable=False)  # met | breached | cancelled
    calendar: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_seconds: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    wall_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)
    business_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)
    elapsed_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)  # counted time, pauses excluded
    paused_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)
    paused_by_reason: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    margin_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)  # target - elapsed; < 0 late
    breached: Mapped[bool] = mapped_column(nullable=False)
    max_level: Mapped[int] = mapped_column(nullable=False, default=0)
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


@event.listens_for(SlaFact, "before_update")
@event.listens_for(SlaPolicyVersion, "before_update")
def _immutable(mapper, connection, target):
    raise RuntimeError(f"{target.__class__.__name__} rows are immutable")


class SlaRebaseline(db.Model):
    """The audit of one re-baselining run: who asked, for which policy version, what it would move
    (the preview) and what it moved."""

    __tablename__ = "sla_rebaselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_policies.id"), nullable=False)
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("sla_policy_versions.id"), nullable=False)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    state: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="queued")  # queued | done
    previewed: Mapped[int] = mapped_column(nullable=False, default=0)
    moved: Mapped[int | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    policy = relationship(SlaPolicy, lazy="joined")
    requested_by = relationship("User", lazy="joined")


class SlaConfigState(db.Model):
    """One row: the epoch of the SLA configuration (calendars, their days, policies and their versions,
    stores' time zones). Every flush that writes any of those sets a new random epoch in the same
    transaction (sla/cache.py), so a process may keep what it read under an epoch for as long as the
    database still says that epoch."""

    __tablename__ = "sla_config_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
