"""Customer complaints (客户投诉): one row per complaint, from intake to the follow-up call."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import CaseMixin
from ..core.types import Money, UTCDateTime
from ..extensions import db

CHANNELS = ("on_site", "phone", "callback", "letter", "manufacturer", "regulator", "online")
CATEGORIES = ("repair_quality", "service_attitude", "waiting_time", "price", "parts", "sales", "other")
SEVERITIES = ("low", "medium", "high", "critical")
ATTRIBUTIONS = ("our_fault", "not_our_fault", "misunderstanding")
WORK_ORDER_KINDS = ("rework", "inspection")
STATES = ("listen", "apologise", "resolve", "follow_up", "closed")
#: channels whose complaints are high severity by default and carry an external deadline
EXTERNAL_CHANNELS = ("manufacturer", "regulator")


class Complaint(CaseMixin, db.Model):
    __tablename__ = "complaints"
    CASE_TYPE = "complaint"
    NUMBER_PREFIX = "CP"
    __table_args__ = (sa.UniqueConstraint("store_id", "number"),
                      sa.Index("ix_complaints_store_created", "store_id", "created_at"))

    vehicle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vehicles.id"), index=True)
    # The visit the complaint is about (an unhappy callback points at its work order).
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_orders.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    category: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    severity: Mapped[str] = mapped_column(sa.String(10), nullable=False, index=True)
    # The customer's own words at intake.
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # Manufacturer hotline / regulator: their ticket number and the date they want an answer by.
    external_reference: Mapped[str | None] = mapped_column(sa.String(64))
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    # Listen (倾听)
    account: Mapped[str | None] = mapped_column(sa.Text)
    met_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_where: Mapped[str | None] = mapped_column(sa.String(120))
    listened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Apologise (致歉)
    apology_note: Mapped[str | None] = mapped_column(sa.Text)
    apologised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Resolve (处理)
    attribution: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    root_cause: Mapped[str | None] = mapped_column(sa.Text)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    cost_to_store: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    labour_waived: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    discount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    compensation: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    goodwill_note: Mapped[str | None] = mapped_column(sa.Text)
    customer_accepted: Mapped[bool | None] = mapped_column()
    # The work order the resolution opened: a rework (our fault) or a free inspection (not our fault),
    # pay type internal — the store bears the cost.
    resolution_work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_orders.id"), index=True)
    resolution_work_order_kind: Mapped[str | None] = mapped_column(sa.String(12))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    # Follow up (回访)
    satisfied: Mapped[bool | None] = mapped_column()
    follow_up_note: Mapped[str | None] = mapped_column(sa.Text)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(nullable=False, default=0)

    # Escalation: who holds it now (after-sales manager, then store manager).
    escalated_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # A manager's documented decision to close without a satisfied follow-up.
    close_reason: Mapped[str | None] = mapped_column(sa.Text)

    # selectin, not joined: the engine loads a case FOR UPDATE, which PostgreSQL refuses on outer joins.
    customer = relationship("Customer", lazy="selectin")
    vehicle = relationship("Vehicle", lazy="selectin")
    assignee = relationship("User", foreign_keys="Complaint.assignee_id", lazy="selectin")
    work_order = relationship("WorkOrder", foreign_keys="Complaint.work_order_id")
    resolution_work_order = relationship("WorkOrder", foreign_keys="Complaint.resolution_work_order_id")
    escalated_to = relationship("User", foreign_keys="Complaint.escalated_to_id")
    met_by = relationship("User", foreign_keys="Complaint.met_by_id")
    created_by = relationship("User", foreign_keys="Complaint.created_by_id")
    resolved_by = relationship("User", foreign_keys="Complaint.resolved_by_id")
    store = relationship("Store")

    @property
    def is_external(self) -> bool:
        return self.channel in EXTERNAL_CHANNELS

    goodwill_payments: Mapped[list["GoodwillPayment"]] = relationship(
        back_populates="complaint", order_by="GoodwillPayment.id", cascade="all, delete-orphan")

    @property
    def goodwill_total(self) -> Decimal:
        return (self.labour_waived or 0) + (self.discount or 0) + (self.compensation or 0)


GOODWILL_KINDS = ("labour_waiver", "goodwill_discount", "compensation")


class GoodwillPayment(db.Model):
    """Goodwill granted outside a bill: compensation, or a waiver/discount with no open work order to
    carry it (paid to the customer directly). The store bears it (dashboard: goodwill cost)."""

    __tablename__ = "goodwill_payments"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="goodwill_amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    complaint: Mapped[Complaint] = relationship(back_populates="goodwill_payments")
