"""The actions every case type takes, defined once: assign, note, pause, resume, acknowledge."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from ..auth.services import active_colleague
from ..core.errors import Conflict, ValidationFailed
from ..core.workflow import PAUSE_REASONS, Action, Context


class AssignIn(Schema):
    assignee_id = fields.Integer(required=True)
    version = fields.Integer()


class NoteIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=8000))
    visibility = fields.String(load_default="internal", validate=validate.OneOf(["internal", "customer"]))
    version = fields.Integer()


class PauseIn(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(PAUSE_REASONS))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
    version = fields.Integer()


class EmptyIn(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
    version = fields.Integer()


def _assign(case, data, ctx: Context):
    user = active_colleague(data["assignee_id"], case.store_id)
    if user is None:
        raise ValidationFailed(str(_l("No active user with that id in this store.")),
                               fields={"assignee_id": [str(_l("Unknown user for this store."))]})
    ctx.event_data["from_assignee_id"] = case.assignee_id
    case.assignee_id = user.id
    ctx.event_data["assignee_name"] = user.display_name


def _note(case, data, ctx: Context):
    ctx.kind = "note"
    ctx.visibility = data["visibility"]


def _pause(case, data, ctx: Context):
    if case.pause_reason is not None:
        raise Conflict(str(_l("The case is already paused (%(reason)s).", reason=case.pause_reason)),
                       code="invalid_state")
    case.pause_reason = data["reason"]
    case.paused_at = ctx.at


def _resume(case, data, ctx: Context):
    if case.pause_reason is None:
        raise Conflict(str(_l("The case is not paused.")), code="invalid_state")
    ctx.event_data["reason"] = case.pause_reason
    ctx.event_data["paused_seconds"] = int((ctx.at - case.paused_at).total_seconds()) if case.paused_at else 0
    case.pause_reason = None
    case.paused_at = None


def _acknowledge(case, data, ctx: Context):
    if case.escalation_level <= 0:
        raise Conflict(str(_l("The case is not escalated; there is nothing to acknowledge.")),
                       code="invalid_state")
    case.escalation_acknowledged_by_id = ctx.actor.id
    case.assignee_id = ctx.actor.id


def common_actions(roles: frozenset[str]) -> list[Action]:
    """The shared actions, allowed to `roles` (managers always may)."""
    return [
        Action("assign", None, roles=roles, schema=AssignIn, handler=_assign, label=_l("Assign")),
        Action("note", None, roles=roles | {"customer_relations"}, schema=NoteIn, handler=_note,
               label=_l("Add note"), kind="note"),
        Action("pause", None, roles=roles, schema=PauseIn, handler=_pause, label=_l("Pause")),
        Action("resume", None, roles=roles, schema=EmptyIn, handler=_resume, label=_l("Resume")),
        Action("acknowledge", None, roles=roles, schema=EmptyIn, handler=_acknowledge,
               label=_l("Acknowledge escalation")),
    ]
