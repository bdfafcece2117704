"""The request boundary (one transaction per request) and the API's shared pieces."""
from __future__ import annotations

from flask import Flask
from marshmallow import Schema, fields, validate
from werkzeug.routing import IntegerConverter

from ..extensions import db
from . import idempotency, uow
from .openapi import ErrorSchema  # noqa: F401  (the error body schema, kept importable from here)

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route matches only ids the database can hold (a PostgreSQL integer): a
    larger number is an unknown id, 404, instead of reaching the database and failing there."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class ClaimdeskFlask(Flask):
    """The request boundary: one unit of work per request, ended once, after the view.

    It commits only a successful answer (status < 400, a redirect after a POST included) that no
    view refused (`core.web.refuse`); any other answer rolls back, so a form re-rendered with 422
    after a domain error leaves nothing behind. A view that raises never reaches the commit: the
    error handlers (errors.py) roll back. A streamed body runs after the commit and must only read.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.url_map.converters["int"] = IdConverter

    def dispatch_request(self):
        response = self.make_response(super().dispatch_request())
        response = idempotency.complete(response)  # the response goes into the Idempotency-Key row
        uow.finish(response.status_code < 400)
        return response


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



def paginate_list(items: list, args: dict) -> dict:
    """The same envelope around a list computed in Python (a projection SQL cannot page)."""
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    return {"items": items[(page - 1) * per_page:page * per_page], "total": len(items), "page": page,
            "per_page": per_page}
