"""Messages to customers, their contact preferences, the customer status links and what customers did
through them (the consent record), and the admins' edits of the message templates."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import now
from ..core.types import JSONType, UTCDateTime
from ..extensions import db

CHANNELS = ("sms", "wechat", "email")
#: the languages a customer's messages (and status page) are written in; the first is the default
LOCALES = ("zh", "en")
#: queued: waits for its send job · held: quiet hours or the daily cap, waits until next_attempt_at ·
#: retrying: a provider answered "later" · sent: the provider took it (the outbox stored it) ·
#: failed: given up (permanent error or out of retries) · skipped: not to be sent (no consent, opted out)
STATES = ("queued", "held", "retrying", "sent", "failed", "skipped")
WAITING = ("queued", "held", "retrying")
KINDS = ("car_ready", "promised_time_revised", "extra_work_approval", "documents_missing", "payout_received",
         "complaint_received", "follow_up_coming", "service_reminder")
LINK_ACTIONS = ("approve_line", "decline_line", "upload_document", "callback_time", "rating")


class ContactPreference(db.Model):
    """How a customer wants to be reached, in which language, and whether at all. No row: service messages
    about the customer's own cases go by SMS in Chinese; service reminders (marketing) need explicit consent."""

    __tablename__ = "contact_preferences"

    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    consent: Mapped[bool | None] = mapped_column()  # None: not asked; False: refused every message
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="sms")
    locale: Mapped[str] = mapped_column(sa.String(8), nullable=False, default=LOCALES[0])  # messages, status page
    wechat_openid: Mapped[str | None] = mapped_column(sa.String(64))
    email: Mapped[str | None] = mapped_column(sa.String(255))
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 回复TD退订
    opt_out_source: Mapped[str | None] = mapped_column(sa.String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, onupdate=now)


class Message(db.Model):
    """One outbound message. The row is written in the triggering action's transaction (a rollback
    leaves none); the send job moves its state and writes its delivery status on the case timeline."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("dedupe_key", name="uq_messages_dedupe_key"),
        sa.Index("ix_messages_due", "state", "next_attempt_at"),
        sa.Index("ix_messages_case", "case_type", "case_id"),
        sa.Index("ix_messages_customer_sent", "customer_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False)
    case_type: Mapped[str | None] = mapped_column(sa.String(20))
    case_id: Mapped[int | None] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    #: the language it is written in: the customer's when it is rendered (a new case's draft: when it goes out)
    locale: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="zh")
    recipient: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    template_code: Mapped[str | None] = mapped_column(sa.String(64))
    params: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="queued")
    reason: Mapped[str | None] = mapped_column(sa.String(32))  # why held / skipped / failed, as a code
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str | None] = mapped_column(sa.String(16))
    provider_ref: Mapped[str | None] = mapped_column(sa.String(128))
    last_error: Mapped[str | None] = mapped_column(sa.String(255))
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatusLink(db.Model):
    """A case's customer status link (an unguessable 32-byte token). The token is kept in clear because
    every later message about the case carries it again (the outbox holds it anyway); revoking the link
    and issuing a new one is how a leaked link is ended. Valid until revoked, until expires_at, and at
    most N days after the case closes."""

    __tablename__ = "status_links"
    __table_args__ = (sa.Index("ix_status_links_case", "case_type", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkAction(db.Model):
    """What a customer did through a status link, with the consent evidence: when, which link, from
    which address and browser, and the item exactly as it was shown."""

    __tablename__ = "link_actions"
    __table_args__ = (sa.Index("ix_link_actions_case", "case_type", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("status_links.id"), nullable=False)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)
    action: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    data: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)


class MessageTemplate(db.Model):
    """An admin's edit of one message kind in one language (the defaults live in templates.py)."""

    __tablename__ = "message_templates"
    __table_args__ = (sa.UniqueConstraint("kind", "locale", name="uq_message_templates_kind_locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    locale: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    sms_template_code: Mapped[str | None] = mapped_column(sa.String(64))
    wechat_template_id: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
