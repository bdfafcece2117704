"""The store's parts stock (备品库存): one search and one way to add a part, for the API and the page."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from ..auth.permissions import require, scoped, store_for_new
from ..core.errors import ValidationFailed
from ..core.http import PageArgs
from ..core.schemas import Money as MoneyField
from ..extensions import db
from .models import Part


class PartIn(Schema):
    part_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    unit_price = MoneyField(required=True, minimum=Decimal("0"))
    stock_qty = fields.Integer(load_default=0, validate=validate.Range(min=0))
    lead_time_days = fields.Integer(load_default=3, validate=validate.Range(min=0, max=365))
    safety_related = fields.Boolean(load_default=False)
    store_id = fields.Integer(allow_none=True)


class PartOut(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    part_number = fields.String()
    name = fields.String()
    unit_price = MoneyField()
    stock_qty = fields.Integer()
    lead_time_days = fields.Integer()
    safety_related = fields.Boolean()


class PartQuery(PageArgs):
    q = fields.String()
    store_id = fields.Integer()


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
