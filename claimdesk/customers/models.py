"""Customers (车主) and vehicles; every visit, complaint and claim hangs off them."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin
from ..extensions import db


class Customer(TimestampMixin, db.Model):
    __tablename__ = "customers"
    __table_args__ = (
        sa.Index("ix_customers_store_phone", "store_id", "phone"),
        sa.Index("ix_customers_store_name", "store_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    alt_phone: Mapped[str | None] = mapped_column(sa.String(32))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    preferred_contact_time: Mapped[str | None] = mapped_column(sa.String(64))
    id_number: Mapped[str | None] = mapped_column(sa.String(32))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    vehicles: Mapped[list["Vehicle"]] = relationship(back_populates="customer", order_by="Vehicle.id")


class Vehicle(TimestampMixin, db.Model):
    __tablename__ = "vehicles"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "vin"),
        sa.Index("ix_vehicles_store_plate", "store_id", "plate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False, index=True)
    vin: Mapped[str] = mapped_column(sa.String(17), nullable=False)
    plate: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    make: Mapped[str | None] = mapped_column(sa.String(64))
    model: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    year: Mapped[int | None] = mapped_column()
    colour: Mapped[str | None] = mapped_column(sa.String(32))
    mileage_km: Mapped[int] = mapped_column(nullable=False, default=0)
    purchase_date: Mapped[date | None] = mapped_column(sa.Date)
    maintenance_interval_km: Mapped[int | None] = mapped_column()
    maintenance_interval_months: Mapped[int | None] = mapped_column()
    next_service_date: Mapped[date | None] = mapped_column(sa.Date)
    next_service_km: Mapped[int | None] = mapped_column()
    # the first free service (首保) entitlement, once used: by which work order (its id and number), when
    first_service_work_order_id: Mapped[int | None] = mapped_column()
    first_service_number: Mapped[str | None] = mapped_column(sa.String(32))
    first_service_used_at: Mapped[date | None] = mapped_column(sa.Date)

    customer: Mapped[Customer] = relationship(back_populates="vehicles")
