"""How an inbox row is shown: its title, body and link come from the renderer its kind registered."""
from __future__ import annotations

from marshmallow import Schema, fields

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


class InboxPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    unread = fields.Integer()
