"""The in-app inbox: one row per notice to one user; e-mail delivery is tracked on the same row."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.clock import now
from ..core.types import JSONType, UTCDateTime
from ..extensions import db


class Notification(db.Model):
    """A notice to one user. `dedupe_key` (e.g. "sla:<clock>:<generation>:<level>") is unique per
    user, so a recipient gets one notice per clock and level, never a stream. The text is built
    from `kind` and `data` when shown, in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "dedupe_key"),
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    case_type: Mapped[str | None] = mapped_column(sa.String(20))
    case_id: Mapped[int | None] = mapped_column()
    data: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # e-mail: NULL = not wanted or not sent yet; "sent" / "failed"
    email_state: Mapped[str | None] = mapped_column(sa.String(12))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
