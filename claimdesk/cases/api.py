"""Routes every case type shares, generated from its workflow table:

POST /api/v1/{cases}/{id}/actions/{action} — one documented route per action, with its schema;
GET  /api/v1/{cases}/{id}/events           — the timeline, oldest first.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint

from ..auth.permissions import actor, get_or_404, require, scoped
from ..core import events
from ..core.schemas import EventList
from ..core.workflow import Workflow


def load_case(workflow: Workflow, case_id: int, user, *, for_update: bool = False):
    """The case if the user's stores include it (else 404), locked for update when acting on it."""
    return get_or_404(workflow.model, case_id, user, for_update=for_update)


def register_case_routes(blp: Blueprint, workflow: Workflow, path: str, out_schema, read_permission: str,
                         *, perform=None) -> None:
    """Add the action and events routes of one case type to its API blueprint.

    `perform(case, action, data, user)` may wrap workflow.perform (e.g. to load related objects);
    by default the workflow runs the action directly.
    """
    run = perform or (lambda case, name, data, user: workflow.perform(case, name, data, user, validated=True))

    for name, action in workflow.actions.items():
        _add_action_route(blp, workflow, path, out_schema, read_permission, name, action, run)

    def events_view(case_id):
        user = require(read_permission)
        case = load_case(workflow, case_id, user)
        return {"items": events.timeline(workflow.case_type, case.id)}

    events_view.__name__ = f"{workflow.case_type}_events"
    events_view.__doc__ = f"The {workflow.case_type.replace('_', ' ')}'s timeline, oldest first."
    blp.route(f"/{path}/<int:case_id>/events", methods=["GET"], endpoint=events_view.__name__)(
        blp.response(200, EventList)(events_view))


def _add_action_route(blp, workflow, path, out_schema, read_permission, name, action, run):
    def view(data, case_id):
        user = actor()
        require(read_permission, user)
        case = load_case(workflow, case_id, user, for_update=True)
        run(case, name, data, user)
        return case

    view.__name__ = f"{workflow.case_type}_{name}"
    roles = ", ".join(sorted(action.roles | {"manager"}))
    view.__doc__ = (f"{action.description or name.replace('_', ' ').capitalize()}\n\n"
                    f"Allowed from: {', '.join(action.sources) if action.sources else 'any open state'}. "
                    f"Roles: {roles}. 409 if not allowed in the current state or the version moved on.")
    decorated = blp.response(200, out_schema)(view)
    if action.schema is not None:
        decorated = blp.arguments(action.schema)(decorated)
    else:
        orig = decorated

        def decorated(case_id, _orig=orig):  # noqa: F811
            return _orig({}, case_id)

        decorated.__name__ = view.__name__
    blp.route(f"/{path}/<int:case_id>/actions/{name}", methods=["POST"], endpoint=view.__name__)(decorated)


def case_list(workflow: Workflow, args: dict, user, base_stmt=None):
    """Filtered, store-scoped select for a case list (the shared filters of CaseQueryBase)."""
    model = workflow.model
    stmt = scoped(base_stmt if base_stmt is not None else sa.select(model), model, user)
    for key in ("state", "store_id", "assignee_id", "customer_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(model, key) == args[key])
    if args.get("number"):
        stmt = stmt.where(model.number == args["number"].upper())
    if args.get("created_from"):
        stmt = stmt.where(model.created_at >= args["created_from"])
    if args.get("created_to"):
        stmt = stmt.where(model.created_at < args["created_to"])
    return stmt.order_by(model.id.desc())
