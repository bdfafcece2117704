"""The store's parts stock (备品库存): one search and one way to add a part, for the API and the page."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.permissions import require, scoped, store_for_new
from ..core.errors import ValidationFailed
from ..extensions import db
from .models import Part


def search(user, q: str | None = None, store_id: int | None = None) -> sa.Select:
    """Parts the user's stores stock, by part number (prefix, any case) or name (contains)."""
    stmt = scoped(sa.select(Part), Part, user)
    if store_id:
        stmt = stmt.where(Part.store_id == store_id)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(sa.or_(Part.part_number.like(q.upper() + "%"), Part.name.like("%" + q + "%")))
    return stmt.order_by(Part.part_number)


def add_part(user, data: dict) -> Part:
    """Add a part to a store's list (validated `PartIn` data); its number is kept upper-case and is
    unique per store (a 422 on `part_number` otherwise)."""
    require("parts.write", user)
    data = dict(data)
    store_id = store_for_new(user, data.pop("store_id", None))
    data["part_number"] = data["part_number"].strip().upper()
    if db.session.scalar(sa.select(Part.id).where(Part.store_id == store_id,
                                                  Part.part_number == data["part_number"])):
        raise ValidationFailed(str(_l("This part number is already in the list.")),
                               fields={"part_number": [str(_l("Already in this store's parts list."))]})
    part = Part(store_id=store_id, **data)
    db.session.add(part)
    db.session.flush()
    return part
