"""The request boundary (one transaction per request) and the API's shared pieces."""
from __future__ import annotations

from flask import Flask
from marshmallow import Schema, fields, validate
from werkzeug.routing import IntegerConverter

from ..extensions import db
from . import idempotency, uow  # noqa: F401
from .openapi import ErrorSchema  # noqa: F401  (the error body schema, kept importable from here)

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route matches only ids the database can hold (a PostgreSQL integer): a
    larger number is an unknown id, 404, instead of reaching the database and failing there."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class ClaimdeskFlask(Flask):
    """Commits the unit of work once, after the view returns; errors roll back (see errors.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.url_map.converters["int"] = IdConverter

    def dispatch_request(self):
        rv = super().dispatch_request()
        rv = idempotency.complete(rv)  # the response goes into the Idempotency-Key row, same commit
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

