"""Photos of the car taken at reception: stored by the documents module with their panel and note (one rule
for the API and the page), noted on the timeline."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, ValidationFailed
from ..extensions import db
from .labels import PANELS
from .models import WorkOrder

#: Document kind of the photos taken at reception.
PHOTO_KIND = "check_in_photo"
PHOTO_NOTE_MAX = 500


def _s(msg) -> str:
    return str(msg)


def photo_meta(panel: str | None, note: str | None) -> tuple[str | None, str | None]:
    """The one rule for a photo's panel and note (API and page): no panel, or one of the check-in sheet's
    panels (anything else is refused, 422 on `panel`); the note trimmed, at most 500 characters."""
    panel = (panel or "").strip() or None
    if panel is not None and panel not in dict(PANELS):
        raise ValidationFailed(_s(_l("Unknown panel “%(panel)s”: the photo was not added.", panel=panel[:40])),
                               fields={"panel": [_s(_l("Choose a panel of the check-in sheet, or none."))]})
    note = (note or "").strip() or None
    if note is not None and len(note) > PHOTO_NOTE_MAX:
        raise ValidationFailed(_s(_l("The note is too long: the photo was not added.")),
                               fields={"note": [_s(_l("At most %(n)s characters.", n=PHOTO_NOTE_MAX))]})
    return panel, note


def add_photo(actor, wo: WorkOrder, upload, panel: str | None = None, note: str | None = None):
    """Store a photo of the car (type and size checked by the documents module) with its panel and note,
    and note it on the timeline. Returns the document row."""
    from ..core import events
    from ..documents.services import save_upload

    if wo.state in ("closed", "cancelled"):
        raise Conflict(_s(_l("The work order is closed or cancelled; no more photos are taken.")),
                       code="invalid_state")
    panel, note = photo_meta(panel, note)
    doc = save_upload(actor, wo, PHOTO_KIND, upload)
    doc.panel, doc.note = panel, note
    events.record(wo, kind="note", action="photo_added", actor=actor, from_state=wo.state, to_state=wo.state,
                  data={"document_id": doc.id, "panel": panel, "note": note})
    return doc


def photos_of(wo: WorkOrder) -> list:
    """The work order's check-in photos (document rows with their panel and note), oldest first."""
    from ..documents.models import Document

    return list(db.session.scalars(sa.select(Document).where(
        Document.case_type == wo.CASE_TYPE, Document.case_id == wo.id, Document.kind == PHOTO_KIND)
        .order_by(Document.id)))
