"""A minimal valid request body for any marshmallow input schema, built from its required fields.

The permission matrix needs bodies that pass the edge validation, so that a refused caller meets the
403 of the permission check rather than the 422 of a missing field.
"""
from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, fields, validate

from claimdesk.core.clock import now
from claimdesk.core.schemas import Money


def _validators(field):
    v = field.validators if hasattr(field, "validators") else []
    return list(v) if isinstance(v, (list, tuple)) else [v]


#: values for fields whose own validators (a VIN check digit, a phone format, time spans) a generic
#: sample cannot meet
NAMED = {
    "phone": "13812345678",
    "vin": "LSVAB2184R2123457",
    "plate": "粤B12345",
    "week": ["08:30-12:00, 13:30-18:00"] * 7,
    "decisions": [{"line_id": 1, "approved": True}],
}


def sample_value(name: str, field, ids: dict):
    if name in NAMED:
        return NAMED[name]
    for v in _validators(field):
        if isinstance(v, validate.OneOf):
            return list(v.choices)[0]
        if isinstance(v, validate.ContainsOnly):
            return [list(v.choices)[0]]
    if name in ids:
        return ids[name]
    low = None
    for v in _validators(field):
        if isinstance(v, validate.Range) and v.min is not None:
            low = v.min
    if isinstance(field, fields.Nested):
        nested = field.schema
        return [sample(nested, ids)] if field.many else sample(nested, ids)
    if isinstance(field, fields.List):
        inner = field.inner
        return [sample_value(name, inner, ids)]
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Integer):
        return int(low) + 1 if low is not None else 1
    if isinstance(field, (fields.Float, fields.Decimal, Money)):
        return str(max(low, 1)) if low is not None else "1.00"
    if isinstance(field, fields.AwareDateTime) or isinstance(field, fields.DateTime):
        return (now() + timedelta(hours=4)).isoformat()
    if isinstance(field, fields.Date):
        return (date.today() + timedelta(days=30)).isoformat()
    if isinstance(field, fields.Email):
        return "someone@example.cn"
    if isinstance(field, fields.Dict):
        return {}
    minimum = max([v.min or 0 for v in _validators(field) if isinstance(v, validate.Length)] or [0])
    return "sample text " + "x" * minimum


def sample(schema, ids: dict) -> dict:
    """Required fields only (api.md: a request with just the minimum fields must succeed)."""
    schema = schema() if isinstance(schema, type) else schema
    out = {}
    for name, field in schema.fields.items():
        if field.dump_only or not field.required:
            continue
        out[field.data_key or name] = sample_value(field.data_key or name, field, ids)
    return out


def request_schemas(app, endpoint: str, method: str) -> list[tuple[str, Schema]]:
    """(location, schema) of the flask-smorest arguments of one view method."""
    view = app.view_functions[endpoint]
    cls = getattr(view, "view_class", None)
    func = getattr(cls, method.lower(), None) if cls else view
    doc = getattr(func, "_apidoc", {}) if func else {}
    return [(p["in"], p["schema"]) for p in doc.get("arguments", {}).get("parameters", [])]
