"""One uploaded file attached to a case; the bytes live on disk under their SHA-256."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import now
from ..core.types import UTCDateTime
from ..extensions import db


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (sa.Index("ix_documents_case", "case_type", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    case_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    case_id: Mapped[int] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(nullable=False)
    # Detected from the bytes (magic numbers), never taken from the client or the file name.
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    original_filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # What the file shows, given at upload (a work order's check-in photo: the car's panel and a note).
    panel: Mapped[str | None] = mapped_column(sa.String(40))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    uploaded_by = relationship("User", lazy="joined")

    @property
    def uploaded_by_name(self) -> str | None:
        return self.uploaded_by.display_name if self.uploaded_by else None

    @property
    def inline_ok(self) -> bool:
        return self.content_type in INLINE_TYPES


#: what we accept, by detected type; everything else is refused with 415
ACCEPTED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
INLINE_TYPES = frozenset(ACCEPTED_TYPES)
