"""An appointment (预约): one vehicle booked into one slot of a store's diary, with its advisor."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin
from ..core.types import UTCDateTime
from ..extensions import db

STATES = ("booked", "arrived", "no_show", "cancelled")
#: where a booking came from
SOURCES = ("phone", "reminder", "campaign", "case", "walk_in", "api")
#: states that hold a place in a slot
HOLDING = ("booked", "arrived")


class Appointment(TimestampMixin, db.Model):
    __tablename__ = "appointments"
    __table_args__ = (sa.Index("ix_appointments_store_starts", "store_id", "starts_at"),
                      sa.CheckConstraint("state in ('booked','arrived','no_show','cancelled')", name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False, index=True)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)
    advisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    minutes: Mapped[int] = mapped_column(nullable=False, default=30)
    request: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")  # what the customer asks for
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="phone")
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="booked", index=True)
    note: Mapped[str | None] = mapped_column(sa.String(500))  # why cancelled, who called …
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_orders.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no-show or cancellation marked

    customer = relationship("Customer", lazy="selectin")
    vehicle = relationship("Vehicle", lazy="selectin")
    advisor = relationship("User", foreign_keys=[advisor_id], lazy="selectin")
