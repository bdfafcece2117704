"""The one state-machine engine. Each case type describes itself as a table of Actions.

An Action names the states it may run from, the state it leads to, the roles allowed, the
marshmallow schema of its fields, guards (named gates), the service function that does the work,
and the SLA clocks it starts and stops. `Workflow.perform` runs one action inside the caller's
transaction: check role, version and state, validate, run guards and the handler, move the state,
write the timeline event and tell subscribers (the SLA engine) — all or nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from ..extensions import db
from . import events, numbering
from .clock import now
from .errors import Conflict, Forbidden, NotFound, ValidationFailed

signals = Namespace()
#: sent after every action, inside the transaction: sender=Workflow, case, action, event, context
action_performed = signals.signal("action-performed")

MANAGERS = frozenset({"manager"})
PAUSE_REASONS = ("waiting_customer", "waiting_insurer", "waiting_parts", "waiting_documents",
                 "waiting_manufacturer")
#: the one set of words for a pause reason (case pages, SLA pages, the timeline, the dashboard)
PAUSE_LABELS = {
    "waiting_customer": _l("Waiting on the customer"), "waiting_insurer": _l("Waiting on the insurer"),
    "waiting_parts": _l("Waiting on parts"), "waiting_documents": _l("Waiting on documents"),
    "waiting_manufacturer": _l("Waiting on the manufacturer"),
}


@dataclass
class Context:
    """What a handler gets besides the case and the validated data."""

    actor: Any
    action: "Action"
    workflow: "Workflow"
    from_state: str
    at: Any
    # Handlers add what the timeline should show (ids of created lines, amounts …).
    event_data: dict = field(default_factory=dict)
    # A handler may choose the target state (e.g. follow_up not satisfied → resolve).
    target: str | None = None
    # Clocks to start/stop in addition to the action's declared ones, decided at run time.
    starts: list = field(default_factory=list)
    stops: list = field(default_factory=list)
    visibility: str = "internal"
    kind: str = "action"
    # Per-case SLA overrides for clocks started by this action: policy key -> absolute due time
    # (e.g. the promised completion time) or target seconds (e.g. 24 h for letters).
    deadlines: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    # A creation's receivers list the rows they added for the new case (its SLA clocks): the creation's
    # fast path writes them with its numbering statement (`numbering.assign_writing_rows`).
    new_rows: list = field(default_factory=list)


Guard = Callable[[Any, dict, Context], None]  # raises GateBlocked


@dataclass(frozen=True)
class NextStep:
    """The one next step on a case, one shape for every case type: each domain's
    `presenters.next_step(case)` returns it; pages, home panels and the API read it."""

    label: Any  # what to do, in words
    action: str | None = None  # the action that does it (None: waiting, or nothing left to do)
    role: str | None = None  # who does it, when the case type names a role
    blocked_by: Any = None  # what stands in the way, in words
    stage: str | None = None  # work orders: the check stage to sign


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple[str, ...] | None  # None: any state that is not final
    target: str | None = None  # None: the state does not change (unless the handler says so)
    roles: frozenset[str] = MANAGERS
    schema: type[Schema] | None = None
    handler: Callable[[Any, dict, Context], None] | None = None
    guards: tuple[Guard, ...] = ()
    starts: tuple[str, ...] = ()  # SLA policy keys whose clocks start
    stops: tuple[str, ...] = ()  # SLA policy keys whose clocks stop (met)
    cancels: tuple[str, ...] = ()  # clocks cancelled (not met, not breached)
    label: Any = None  # shown on buttons
    description: str = ""
    kind: str = "action"
    allowed_when_paused: bool = True


class Workflow:
    def __init__(self, case_type: str, model, states: list[str], final_states: set[str],
                 actions: list[Action], initial: str, state_labels: dict | None = None):
        self.case_type = case_type
        self.state_labels = state_labels or {}
        self.model = model
        self.states = states
        self.final_states = final_states
        self.initial = initial
        self.actions: dict[str, Action] = {}
        for action in actions:
            if action.name in self.actions:
                raise ValueError(f"{case_type}: action {action.name} declared twice")
            self.actions[action.name] = action

    def implement(self, **actions) -> None:
        """Bind what actions do: `name=handler` or `name=(handler, *guards)`.

        The table (a domain's workflow.py) says who may do what from which state, with which schema
        and which clocks; the domain's services.py, which comes after it, binds its handlers and gates
        here — so the table never imports the services."""
        for name, impl in actions.items():
            handler, *guards = impl if isinstance(impl, tuple) else (impl,)
            action = self.actions.get(name)
            if action is None:
                raise ValueError(f"{self.case_type}: cannot implement undeclared action {name}")
            self.actions[name] = replace(action, handler=handler, guards=action.guards + tuple(guards))

    # --- reading the table -------------------------------------------------------------------
    def action(self, name: str) -> Action:
        try:
            return self.actions[name]
        except KeyError:
            raise NotFound(str(_l("Unknown action %(name)s.", name=name)), code="unknown_action") from None

    def state_allows(self, case, action: Action) -> bool:
        if action.sources is None:
            return case.state not in self.final_states
        return case.state in action.sources

    def role_allows(self, user, action: Action) -> bool:
        return user is not None and (user.role in action.roles or user.role in MANAGERS)

    def available(self, case, user) -> list[Action]:
        """Actions this user could run on this case now (before field validation and gates)."""
        return [a for a in self.actions.values() if self.state_allows(case, a) and self.role_allows(user, a)]

    def state_label(self, state: str) -> str:
        return str(self.state_labels.get(state, state.replace("_", " ")))

    @staticmethod
    def action_label(action: Action) -> str:
        return str(action.label or action.name.replace("_", " "))

    # --- running an action ---------------------------------------------------------------------
    def perform(self, case, name: str, data: dict | None, actor, *, version: int | None = None,
                validated: bool = False, system: bool = False):
        """Run one action. `system=True` is for the application itself (a job, a linked case moving
        on): no role check, and `actor` may be None (the timeline shows "system")."""
        action = self.action(name)
        raw = dict(data or {})
        if version is None and "version" in raw:
            version = raw.pop("version")
        else:
            raw.pop("version", None)
        if not system and not self.role_allows(actor, action):
            raise Forbidden(str(_l("Your role may not do this: %(action)s.", action=self.action_label(action))),
                            code="forbidden")
        if version is not None and int(version) != case.version:
            raise Conflict(str(_l("The case has moved on (version %(cur)s, you sent %(sent)s); reload it.",
                                  cur=case.version, sent=version)), code="version_conflict")
        if not self.state_allows(case, action):
            raise Conflict(
                str(_l("Not possible now: %(action)s (the case is %(state)s).", action=self.action_label(action),
                       state=self.state_label(case.state))),
                code="invalid_state", extra={"state": case.state, "action": action.name},
            )
        if action.schema is not None and not validated:
            try:
                raw = action.schema().load(raw)
            except ValidationError as err:
                raise ValidationFailed(str(_l("Some fields are invalid.")), fields=err.messages) from None
        ctx = Context(actor=actor, action=action, workflow=self, from_state=case.state, at=now(),
                      kind=action.kind)
        for guard in action.guards:
            guard(case, raw, ctx)
        if action.handler is not None:
            action.handler(case, raw, ctx)
        to_state = ctx.target or action.target or case.state
        case.state = to_state
        case.updated_at = ctx.at
        if to_state in self.final_states and case.closed_at is None:
            case.closed_at = ctx.at
        db.session.flush()  # the version bump happens here; a concurrent writer gets StaleDataError
        event = events.record(
            case, kind=ctx.kind, action=action.name, actor=actor, from_state=ctx.from_state,
            to_state=to_state, data={**_summarise(raw), **ctx.event_data}, visibility=ctx.visibility,
            at=ctx.at,
        )
        action_performed.send(self, case=case, action=action, event=event, context=ctx)
        db.session.flush()
        return event

    def start(self, case, actor, data: dict | None = None, starts: tuple[str, ...] = (), *,
              deadlines: dict | None = None, targets: dict | None = None):
        """Record the creation of a case (it gets an id first) and start its initial clocks.

        A case given without a number gets its gap-free number as the last write (`numbering.assign`); with
        `CREATION_FAST_PATH` (the default) that statement also writes the creation's event and the rows
        listed in `ctx.new_rows` (`numbering.assign_writing_rows`).
        """
        case.state = case.state or self.initial
        late_number = numbering.is_provisional(case.number)
        if case.number is None:
            case.number = numbering.provisional()
        db.session.add(case)
        db.session.flush()
        action = Action(name="create", sources=None, target=self.initial, starts=starts, kind="action")
        ctx = Context(actor=actor, action=action, workflow=self, from_state=None, at=case.created_at or now(),
                      deadlines=dict(deadlines or {}), targets=dict(targets or {}))
        event = events.record(case, kind="action", action="create", actor=actor, from_state=None,
                              to_state=case.state, data=_summarise(data or {}), at=ctx.at)
        action_performed.send(self, case=case, action=action, event=event, context=ctx)
        if late_number and current_app.config["CREATION_FAST_PATH"]:
            numbering.assign_writing_rows(case, ctx.at.year, [event, *ctx.new_rows])
        elif late_number:
            numbering.assign(case, ctx.at.year)
        else:
            db.session.flush()
        return event


def _summarise(data: dict) -> dict:
    """What of the submitted fields goes into the timeline (files and big blobs do not)."""
    out = {}
    for key, value in data.items():
        if hasattr(value, "read"):
            continue
        if isinstance(value, str) and len(value) > 4000:
            value = value[:4000] + "…"
        out[key] = value
    return out


REGISTRY: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    REGISTRY[workflow.case_type] = workflow
    return workflow
