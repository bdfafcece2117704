"""SLA engine: clocks started and stopped by the case engine's actions, business calendars, the
escalation ladder on RQ with an indexed sweep as the safety net, and the page helpers
`sla_clock_summary(case)`, `sla_time_left(case)` and `preload_clocks(case_type, ids)`."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def _override(context, key: str):
    from .engine import Override

    if key in context.deadlines and context.deadlines[key] is not None:
        return Override(deadline=context.deadlines[key])
    if key in context.targets and context.targets[key] is not None:
        value = context.targets[key]
        if isinstance(value, (tuple, list)):
            return Override(target=int(value[0]), calendar=value[1])
        # a per-case target such as "24 h for letters" is wall-clock time
        return Override(target=int(value), calendar="24x7")
    return None


def on_action_performed(sender, case=None, action=None, event=None, context=None, **_kw) -> None:
    """The case engine moved a case: stop, cancel, pause, resume, acknowledge and start its clocks.
    Runs inside the action's transaction, so a refused action changes no clock either."""
    from . import engine
    from .policies import load_calendars

    at = context.at
    stops = [*action.stops, *context.stops]
    cancels = list(action.cancels)
    starts = [*action.starts, *context.starts]  # after the stops: stopping and starting a key restarts it
    # an action that stops one clock and starts another (resolve) reads the store's calendar once
    cals = load_calendars([case.store_id]) if starts and stops and case.state not in sender.final_states \
        else None
    if stops:
        engine.stop_clocks(case, stops, at, "met", cals=cals)
    if cancels:
        engine.stop_clocks(case, cancels, at, "cancelled")
    if action.name == "pause" and case.pause_reason:
        engine.pause_clocks(case, case.pause_reason, at)
    elif action.name == "resume":
        engine.resume_clocks(case, at)
    elif action.name == "acknowledge":
        engine.acknowledge_clocks(case, context.actor, at)
    if case.state in sender.final_states:
        engine.stop_clocks(case, {"*"}, at, "cancelled")
        return
    if starts:
        from .policies import current_versions

        keys = list(dict.fromkeys(starts))
        cals = cals or load_calendars([case.store_id])
        versions = current_versions(keys, case.store_id)
        # the case's clocks, read once for all keys; a case that is being created has none yet
        clocks = [] if action.name == "create" and context.from_state is None else \
            engine.clocks_of(case.CASE_TYPE, case.id)
        for key in keys:
            clock = engine.start_clock(case, key, at, override=_override(context, key), cals=cals,
                                       clocks=clocks, versions=versions)
            if clock is not None and action.name == "create":
                context.new_rows.append(clock)  # the creation's numbering statement may write it


def init_app(app) -> None:
    from ..core.workflow import action_performed
    from . import notices  # noqa: F401 — registers the inbox texts
    from . import helpers

    from ..core.timeline import value_labels
    from . import cache
    from .policies import LABELS

    action_performed.connect(on_action_performed)
    helpers.init_app(app)
    cache.init_app(app)
    for field in ("timer", "policy_key"):  # the timeline shows a timer by its name, not its key
        value_labels(field, LABELS)
