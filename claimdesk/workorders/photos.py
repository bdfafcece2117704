"""Photos of the car taken at reception: stored by the documents module, noted on the timeline."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict
from ..extensions import db
from .models import WorkOrder

#: Document kind of the photos taken at reception.
PHOTO_KIND = "check_in_photo"


def _s(msg) -> str:
    return str(msg)


# --- check-in photos -----------------------------------------------------------------------------
class Photo:
    """A check-in photo: the uploaded document with the panel and note given at upload."""

    def __init__(self, doc, panel: str | None = None, note: str | None = None):
        self.document, self.panel, self.note = doc, panel, note

    def __getattr__(self, name):
        return getattr(self.document, name)


def add_photo(actor, wo: WorkOrder, upload, panel: str | None = None, note: str | None = None) -> Photo:
    """Store a photo of the car (type and size checked by the documents module) and note it on the timeline."""
    from ..core import events
    from ..documents.services import save_upload

    if wo.state in ("closed", "cancelled"):
        raise Conflict(_s(_l("The work order is closed or cancelled; no more photos are taken.")),
                       code="invalid_state")
    doc = save_upload(actor, wo, PHOTO_KIND, upload)
    events.record(wo, kind="note", action="photo_added", actor=actor, from_state=wo.state, to_state=wo.state,
                  data={"document_id": doc.id, "panel": panel, "note": note})
    return Photo(doc, panel, note)


def photos_of(wo: WorkOrder) -> list[Photo]:
    """The work order's check-in photos, oldest first, with the panel and note of their upload event."""
    from ..core.models import CaseEvent
    from ..documents.models import Document

    docs = db.session.scalars(sa.select(Document).where(
        Document.case_type == wo.CASE_TYPE, Document.case_id == wo.id, Document.kind == PHOTO_KIND)
        .order_by(Document.id)).all()
    if not docs:
        return []
    meta = {}
    for ev in db.session.scalars(sa.select(CaseEvent).where(
            CaseEvent.case_type == wo.CASE_TYPE, CaseEvent.case_id == wo.id, CaseEvent.action == "photo_added")):
        meta[(ev.data or {}).get("document_id")] = ev.data or {}
    return [Photo(d, meta.get(d.id, {}).get("panel"), meta.get(d.id, {}).get("note")) for d in docs]
