"""三包 (household car repair, replacement and return responsibility): the dated rule sets, one ledger
row per work order that is (or may be) a repair of a quality problem, and the alerts that fired."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import now
from ..core.models import TimestampMixin
from ..core.types import JSONType, UTCDateTime
from ..extensions import db

#: the systems a quality problem is filed under (the regulation's main-component systems first)
SYSTEMS = ("engine", "transmission", "traction_battery", "drive_motor", "steering", "brakes", "suspension",
           "drivetrain", "axles", "emission_control", "body", "electrical", "air_conditioning", "other")
REPLACEMENTS = ("none", "assembly", "component")
#: the tracked conditions (art. 24 of the 2022 rules, plus the 5-day duty of art. 20)
CONDITIONS = ("repair_days", "same_problem", "safety", "assembly", "component", "substitute")
LEVELS = ("warning", "reached", "exceeded")


class SanbaoRuleSet(TimestampMixin, db.Model):
    """One version of the rules: in force for cars bought (invoice date) on or after `valid_from`;
    a row with a store applies to that store's cars before the group-wide one of the same date."""

    __tablename__ = "sanbao_rule_sets"
    __table_args__ = (
        sa.UniqueConstraint("code", "store_id"),
        # NULLs are distinct in the constraint above: one group-wide set per code is this index's job
        sa.Index("uq_sanbao_rule_sets_group_code", "code", unique=True,
                 postgresql_where=sa.text("store_id IS NULL"), sqlite_where=sa.text("store_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # "2013", "2022", "2022-T01"
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"), index=True)
    # 包修期 (free repair) and 三包有效期 (replacement / return), whichever of time and mileage ends first
    warranty_years: Mapped[int] = mapped_column(nullable=False)
    warranty_km: Mapped[int] = mapped_column(nullable=False)
    period_years: Mapped[int] = mapped_column(nullable=False)
    period_km: Mapped[int] = mapped_column(nullable=False)
    # limits of the regulation
    substitute_after_days: Mapped[int] = mapped_column(nullable=False)  # a repair over N days
    max_repair_days: Mapped[int] = mapped_column(nullable=False)  # cumulative days over N
    max_same_problem: Mapped[int] = mapped_column(nullable=False)  # same problem repaired over N times
    max_safety_repairs: Mapped[int] = mapped_column(nullable=False)  # N repairs of a serious safety fault
    max_replacements: Mapped[int] = mapped_column(nullable=False)  # N replacements of the same thing
    # warning thresholds (the store is told before the limit)
    warn_substitute_days: Mapped[int] = mapped_column(nullable=False)
    warn_repair_days: Mapped[int] = mapped_column(nullable=False)
    warn_same_problem: Mapped[int] = mapped_column(nullable=False)
    warn_safety_repairs: Mapped[int] = mapped_column(nullable=False)
    warn_replacements: Mapped[int] = mapped_column(nullable=False)
    # which systems count: whole units (condition 2) and the systems of main components (condition 3)
    assemblies: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    component_systems: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)


class SanbaoEpisode(TimestampMixin, db.Model):
    """How one work order counts in its vehicle's 三包 ledger. Proposed by the system when the work
    order moves, confirmed (or corrected) by the advisor. The repair's start and end are not copied:
    they are read from the work order (signed_at … ready_at), so they never go stale."""

    __tablename__ = "sanbao_episodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="CASCADE"),
                                               nullable=False, unique=True)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    quality: Mapped[bool] = mapped_column(nullable=False, default=False)  # a repair of a quality problem
    system: Mapped[str | None] = mapped_column(sa.String(24))
    fault_code: Mapped[str | None] = mapped_column(sa.String(32))
    problem_key: Mapped[str | None] = mapped_column(sa.String(80))  # "the same quality problem" group
    serious_safety: Mapped[bool] = mapped_column(nullable=False, default=False)
    replacement: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="none")
    component: Mapped[str | None] = mapped_column(sa.String(120))  # the main component replaced
    note: Mapped[str | None] = mapped_column(sa.Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    work_order = relationship("WorkOrder", lazy="joined")
    confirmed_by = relationship("User")


class SanbaoAlert(db.Model):
    """One threshold of one condition reached for one vehicle: the unique key makes it fire once."""

    __tablename__ = "sanbao_alerts"
    __table_args__ = (sa.UniqueConstraint("vehicle_id", "condition", "key", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    condition: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    level: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    value: Mapped[int] = mapped_column(nullable=False)
    limit: Mapped[int] = mapped_column(nullable=False)
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="SET NULL"))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
