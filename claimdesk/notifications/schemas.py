"""Schemas of the inbox API."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..core.http import PageArgs
from . import services


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.Function(lambda n: services.render(n)[0])
    body = fields.Function(lambda n: services.render(n)[1])
    url = fields.Function(lambda n: services.case_link(n))
    case_type = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    data = fields.Dict()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    email_state = fields.String(allow_none=True)


class InboxQuery(PageArgs):
    unread = fields.Boolean(load_default=False)


class InboxPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    unread = fields.Integer()


class MarkedOut(Schema):
    marked = fields.Integer()
