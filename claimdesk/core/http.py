"""The request boundary (one transaction per request) and the API's shared pieces."""
from __future__ import annotations

from flask import Flask
from marshmallow import Schema, fields, validate

from ..extensions import db
from . import uow  # noqa: F401


class ClaimdeskFlask(Flask):
    """Commits the unit of work once, after the view returns; errors roll back (see errors.py)."""

    def dispatch_request(self):
        rv = super().dispatch_request()
        uow.commit()
        return rv


class PageArgs(Schema):
    """?page=1&per_page=50 (max 200); list endpoints extend this with their filters."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


_page_schemas: dict = {}


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """{"items": [...], "total", "page", "per_page"} around an item schema (one class per item type)."""
    name = item_schema.__name__.removesuffix("Schema").removesuffix("Out") + "Page"
    if name not in _page_schemas:
        _page_schemas[name] = type(name, (Schema,), {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        })
    return _page_schemas[name]


def paginate(stmt, args: dict, *, count: bool = True) -> dict:
    """Run a select with LIMIT/OFFSET and a count; returns the envelope with ORM objects."""
    import sqlalchemy as sa

    page, per_page = args.get("page", 1), args.get("per_page", 50)
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    total = None
    if count:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(
            stmt.order_by(None).subquery()))
    return {"items": items, "total": total, "page": page, "per_page": per_page}


class ErrorSchema(Schema):
    class ErrorBody(Schema):
        status = fields.Integer()
        code = fields.String()
        message = fields.String()
        fields_ = fields.Dict(data_key="fields")

    error = fields.Nested(ErrorBody)
