"""The dashboard's read side: indexes on other domains' tables (migration 0006_dashboard) and its own
fold-maintained copies of the append-only SLA ledgers (0007_dashboard_rollups). Measured with
bench/dashboard_bench.py at 1M cases / 3M clock facts; the reasoning is in docs/performance.md.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..complaints.models import Complaint
from ..core.types import UTCDateTime
from ..extensions import db
from ..sla.models import SlaClock, SlaEscalation, SlaFact
from ..workorders.models import WorkOrder

#: facts ended in a period, group-wide: an index-only range scan carrying every column the stats read
FACTS_ENDED = sa.Index(
    "ix_dash_sla_facts_ended", SlaFact.__table__.c.ended_at,
    postgresql_include=["policy_key", "store_id", "holder_id", "case_type", "case_id", "outcome", "breached",
                        "elapsed_seconds", "paused_seconds"])
#: breached and at-risk now: only the open clocks, by store and deadline
CLOCKS_OPEN = sa.Index(
    "ix_dash_sla_clocks_open", SlaClock.__table__.c.store_id, SlaClock.__table__.c.due_at,
    postgresql_where=sa.text("stopped_at IS NULL"), sqlite_where=sa.text("stopped_at IS NULL"))
#: escalations fired in a period
ESCALATIONS_FIRED = sa.Index("ix_dash_sla_escalations_fired", SlaEscalation.__table__.c.fired_at)
#: complaints logged in a period, group-wide (the store-scoped index exists already)
COMPLAINTS_CREATED = sa.Index("ix_dash_complaints_created", Complaint.__table__.c.created_at,
                              postgresql_include=["store_id", "category", "channel"])  # index-only (0007)
#: work-order callbacks with a satisfaction score in a period
WORK_ORDER_CALLBACKS = sa.Index(
    "ix_dash_work_orders_callbacks", WorkOrder.__table__.c.followed_up_at,
    postgresql_where=sa.text("satisfaction IS NOT NULL"), sqlite_where=sa.text("satisfaction IS NOT NULL"))

#: the case types the dashboard reports on (its filters, its per-type sections)
CASE_TYPES = ("work_order", "complaint", "claim", "warranty")


# --- fold-maintained read tables (migration 0007_dashboard_rollups) -----------------------------------
# The SLA facts and the escalation ledger are append-only, so the dashboard keeps narrow, denormalised
# copies of them, folded in by a periodic job up to a watermark (rollups.py). Reads combine the copy
# (ids up to the watermark) with a live read of the few rows after it: exact and current, and the SLA
# engine's write path is unchanged. Why copies rather than daily buckets: docs/performance.md.
class RollupState(db.Model):
    """How far each ledger has been folded: every row with id <= watermark is in the copy."""

    __tablename__ = "dash_rollup_state"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # "facts" | "escalations"
    watermark: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    rows_folded: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    folded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DashFact(db.Model):
    """One ended, not cancelled clock (an SlaFact) with exactly what the stats read, plus the claim's
    insurer (saves the join per claim fact). Percentiles need every duration, hence one row per fact."""

    __tablename__ = "dash_sla_facts"
    __table_args__ = (
        sa.Index("ix_dash_sla_facts_copy_ended", "ended_at",
                 postgresql_include=["fact_id", "store_id", "case_type", "policy_key", "holder_id", "insurer_id",
                                     "breached", "elapsed_seconds"]),
        # one store's period (store managers, or a group manager's store filter) without the others' rows
        sa.Index("ix_dash_sla_facts_copy_store_ended", "store_id", "ended_at",
                 postgresql_include=["fact_id", "case_type", "policy_key", "holder_id", "insurer_id", "breached",
                                     "elapsed_seconds"]),
    )

    fact_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    store_id: Mapped[int] = mapped_column(nullable=False)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    policy_key: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    holder_id: Mapped[int | None] = mapped_column()
    insurer_id: Mapped[int | None] = mapped_column()
    breached: Mapped[bool] = mapped_column(nullable=False)
    elapsed_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)


class DashPause(db.Model):
    """Paused time of one ended, not cancelled clock for one reason (the fact's per-reason JSON, flattened)."""

    __tablename__ = "dash_sla_pauses"
    __table_args__ = (
        sa.Index("ix_dash_sla_pauses_ended", "ended_at",
                 postgresql_include=["fact_id", "store_id", "case_type", "policy_key", "reason", "seconds"]),
    )

    fact_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    store_id: Mapped[int] = mapped_column(nullable=False)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    policy_key: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)


class DashEscalation(db.Model):
    """One fired ladder step with its clock's store (saves the lookup of the clock per escalation)."""

    __tablename__ = "dash_sla_escalations"
    __table_args__ = (
        sa.Index("ix_dash_sla_escalations_copy_fired", "fired_at",
                 postgresql_include=["escalation_id", "store_id", "case_type", "level"]),
        sa.Index("ix_dash_sla_escalations_copy_store_fired", "store_id", "fired_at",
                 postgresql_include=["escalation_id", "case_type", "level"]),
    )

    escalation_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    store_id: Mapped[int] = mapped_column(nullable=False)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    level: Mapped[int] = mapped_column(nullable=False)


#: escalations acknowledged since a date: the few acknowledged clocks, by acknowledgement time
CLOCKS_ACKNOWLEDGED = sa.Index(
    "ix_dash_sla_clocks_acknowledged", SlaClock.__table__.c.acknowledged_at,
    postgresql_include=["store_id", "case_type"],
    postgresql_where=sa.text("acknowledged_at IS NOT NULL"), sqlite_where=sa.text("acknowledged_at IS NOT NULL"))
