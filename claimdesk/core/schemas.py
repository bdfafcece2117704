"""Output schemas every case type shares: the case envelope and the timeline event."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..core.http import PageArgs


class CaseOutBase(Schema):
    """Fields every case has (api.md). Case types extend this."""

    id = fields.Integer()
    number = fields.String()
    store_id = fields.Integer()
    state = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer()
    version = fields.Integer()
    pause_reason = fields.String(allow_none=True)
    paused_at = fields.DateTime(allow_none=True)
    escalation_level = fields.Integer()
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CaseQueryBase(PageArgs):
    """Filters every case list takes; case types add their own."""

    state = fields.String()
    store_id = fields.Integer()
    assignee_id = fields.Integer()
    customer_id = fields.Integer()
    number = fields.String()
    created_from = fields.DateTime(data_key="from")
    created_to = fields.DateTime(data_key="to")


class EventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    action = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda e: e.actor.display_name if e.actor else None)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    visibility = fields.String()
    data = fields.Dict()


class EventList(Schema):
    items = fields.List(fields.Nested(EventOut))
