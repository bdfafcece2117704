"""The dashboard owns no tables; it adds the read-side indexes its aggregates need on other domains'
tables (declared here so the models and migration 0006_dashboard agree). Measured with
bench/dashboard_bench.py at 1M cases / 3M clock facts.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..complaints.models import Complaint
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
COMPLAINTS_CREATED = sa.Index("ix_dash_complaints_created", Complaint.__table__.c.created_at)
#: work-order callbacks with a satisfaction score in a period
WORK_ORDER_CALLBACKS = sa.Index(
    "ix_dash_work_orders_callbacks", WorkOrder.__table__.c.followed_up_at,
    postgresql_where=sa.text("satisfaction IS NOT NULL"), sqlite_where=sa.text("satisfaction IS NOT NULL"))
