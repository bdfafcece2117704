"""SLA clocks. Where each part lives:

- `calendar.py` business time (pure functions) · `policies.py` + `cache.py` the policies and calendars
- `clock.py` arithmetic on one clock · `scheduling.py` the RQ fast path, queued after commit
- `lifecycle.py` start / pause / resume / stop / acknowledge, and the rule tying them to case actions
- `batch.py` firing due ladder steps without the ORM · `rebaseline.py` moving clocks to a new version
- `jobs.py` the RQ jobs (fire, batch, sweep) · `helpers.py` page helpers · `notices.py` inbox texts
"""
from __future__ import annotations


def init_app(app) -> None:
    from ..core.timeline import field_labels, value_labels
    from ..core.workflow import action_performed
    from . import (
        cache,
        helpers,
        notices,  # registers the inbox texts on import
    )
    from .lifecycle import on_action_performed
    from .policies import LABELS

    action_performed.connect(on_action_performed)
    helpers.init_app(app)
    cache.init_app(app)
    for field in ("timer", "policy_key"):  # the timeline shows a timer by its name, not its key
        value_labels(field, LABELS)
    field_labels(notices.FIELD_LABELS)
