"""Page helpers (Jinja globals): the clocks of a case, the time left on the most urgent one, and a
batch loader so a list of 50 cases costs one query.

A list page calls `{% do preload_clocks('complaint', page['items']) %}` once (ids or case objects);
every `sla_time_left(case)` afterwards reads the per-request cache. Without the preload each call
costs one small indexed query.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context, render_template
from markupsafe import Markup, escape

from ..core.clock import now
from ..extensions import db
from .models import ACTIVE_STATES, SlaClock

_CACHE = "_sla_clock_cache"


def _cache() -> dict:
    if not has_request_context():
        return {}
    cache = getattr(g, _CACHE, None)
    if cache is None:
        cache = {}
        setattr(g, _CACHE, cache)
    return cache


def preload_clocks(case_type: str, ids_or_cases) -> str:
    """Load the clocks of many cases of one type in one query into the per-request cache."""
    ids = [getattr(x, "id", x) for x in ids_or_cases]
    cache = _cache()
    missing = [i for i in ids if (case_type, i) not in cache]
    if not missing:
        return ""
    for i in missing:
        cache[(case_type, i)] = []
    rows = db.session.scalars(sa.select(SlaClock).where(SlaClock.case_type == case_type,
                                                        SlaClock.case_id.in_(missing)).order_by(SlaClock.id))
    for clock in rows:
        cache[(case_type, clock.case_id)].append(clock)
    return ""


def clocks_for(case) -> list[SlaClock]:
    if not has_request_context():
        return list(db.session.scalars(sa.select(SlaClock).where(
            SlaClock.case_type == case.CASE_TYPE, SlaClock.case_id == case.id).order_by(SlaClock.id)))
    key = (case.CASE_TYPE, case.id)
    cache = _cache()
    if key not in cache:
        preload_clocks(case.CASE_TYPE, [case.id])
    return cache[key]


def clock_view(clock: SlaClock, at: datetime | None = None) -> dict:
    """What a page shows of one clock: state, due time, seconds left (wall until due while running;
    counted time left while paused), paused marker, escalation level, urgency class."""
    at = at or now()
    active = clock.stopped_at is None
    paused = active and clock.running_since is None
    left = None
    if active and not paused and clock.due_at is not None:
        left = (clock.due_at - at).total_seconds()
    elif paused:
        left = clock.target_seconds - clock.consumed_seconds
    urgency = ""
    if active:
        if clock.escalation_level >= 2 or (left is not None and left < 0 and not paused):
            urgency = "overdue"
        elif clock.escalation_level >= 1 or (clock.warn_at is not None and clock.warn_at <= at and not paused):
            urgency = "at-risk"
    return {"clock": clock, "key": clock.policy_key, "state": clock.state, "active": active, "paused": paused,
            "due_at": clock.due_at, "left": left, "level": clock.escalation_level, "urgency": urgency,
            "pause_reason": clock.pause_reason}


def most_urgent(clocks: list[SlaClock], at: datetime | None = None) -> dict | None:
    views = [clock_view(c, at) for c in clocks if c.stopped_at is None and c.state in ACTIVE_STATES]
    if not views:
        return None
    running = [v for v in views if not v["paused"] and v["left"] is not None]
    if running:
        return min(running, key=lambda v: v["left"])
    return min(views, key=lambda v: v["left"] if v["left"] is not None else float("inf"))


def sla_time_left(case) -> Markup:
    """<span class="time-left [overdue|at-risk]" data-due="ISO">3h 20m</span> for the most urgent clock."""
    from ..core.templating import fmt_duration
    from .policies import label

    v = most_urgent(clocks_for(case))
    if v is None:
        return Markup("")
    classes = " ".join(x for x in ("time-left", v["urgency"], "paused" if v["paused"] else "") if x)
    title = escape(label(v["key"]))
    text = escape(fmt_duration(v["left"]))
    if v["paused"]:
        return Markup(f'<span class="{classes}" data-paused title="{title}">&#10074;&#10074; {text}</span>')
    due = v["due_at"].isoformat() if v["due_at"] else ""
    return Markup(f'<span class="{classes}" data-due="{escape(due)}" title="{title}">{text}</span>')


def sla_clock_summary(case) -> Markup:
    """Every clock of the case: state, due time and time left, paused marker, escalation level."""
    clocks = clocks_for(case)
    if not clocks:
        return Markup("")
    at = now()
    return Markup(render_template("sla/_summary.html", views=[clock_view(c, at) for c in clocks], case=case))


def init_app(app) -> None:
    from .policies import label

    @app.context_processor
    def _sla_helpers():
        return {"sla_clock_summary": sla_clock_summary, "sla_time_left": sla_time_left,
                "preload_clocks": preload_clocks, "sla_label": label}
