"""Service reminders (保养提醒) and campaign lists (召回 / 免费检测): who to call, and how each call ended."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import JSONType, UTCDateTime
from ..extensions import db

#: the outcome of a reminder or a campaign contact; `open` until staff record one
OUTCOMES = ("booked", "declined", "unreachable")
STATES = ("open",) + OUTCOMES
#: how a reminder went out: the consent-based message, or the call list
CHANNELS = ("message", "call")
CAMPAIGN_KINDS = ("recall", "free_inspection")
#: the outcomes staff record by hand; `booked` comes only with its appointment (booking)
CALL_OUTCOMES = ("declined", "unreachable")
#: the due list's state filter for a vehicle no reminder has been made for yet
NO_REMINDER = "none"
#: the longest due list (days ahead) a page or the API shows
MAX_DUE_WINDOW_DAYS = 120


class OutcomeMixin:
    """What a reminder and a campaign contact share: the outcome of calling the customer."""

    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="open", index=True)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))


class ServiceReminder(OutcomeMixin, db.Model):
    """One vehicle's service coming due: made by the reminder job N days ahead, once per due date."""

    __tablename__ = "service_reminders"
    __table_args__ = (sa.UniqueConstraint("vehicle_id", "due_date"),
                      sa.Index("ix_service_reminders_store_state", "store_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False)
    due_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    due_by: Mapped[str] = mapped_column(sa.String(8), nullable=False)  # date or mileage
    projected_km: Mapped[int | None] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False)  # message or call
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    vehicle = relationship("Vehicle", lazy="selectin")
    customer = relationship("Customer", lazy="selectin")


class Campaign(db.Model):
    """A recall (召回) or free inspection (免费检测) of a store: the vehicles by VIN list or model."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    vins: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    model_filter: Mapped[str | None] = mapped_column(sa.String(120))
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    contacts: Mapped[list["CampaignContact"]] = relationship(back_populates="campaign",
                                                             order_by="CampaignContact.id")


class CampaignContact(OutcomeMixin, db.Model):
    """One matching vehicle of a campaign, and the outcome of calling its owner."""

    __tablename__ = "campaign_contacts"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "vehicle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), nullable=False, index=True)
    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="contacts")
    vehicle = relationship("Vehicle", lazy="selectin")
