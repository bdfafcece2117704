"""Schemas of the inbox API."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..core.http import PageArgs


class InboxQuery(PageArgs):
    unread = fields.Boolean(load_default=False)


class MarkedOut(Schema):
    marked = fields.Integer()
