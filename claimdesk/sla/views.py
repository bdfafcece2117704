"""SLA pages: timers (breached and at risk first), policies and their editing, re-baselining with a
preview, and each store's business calendar."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.models import Store
from ..auth.permissions import can, require, scoped, visible_store_ids
from ..core.errors import DomainError, ValidationFailed
from ..core.http import paginate
from ..core.templating import nav_item
from ..core.web import case_url, refuse, staff_blueprint
from ..core.workflow import PAUSE_LABELS, PAUSE_REASONS
from ..extensions import db
from . import policies, services
from .helpers import clock_view
from .holidays import prefill_year
from .models import ACTIVE_STATES, CLOCK_STATES, RECIPIENTS, SlaClock

bp = staff_blueprint("sla", __name__, url_prefix="/sla")

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
RECIPIENT_LABELS = {
    "assignee": _l("the assignee"),
    "manager": _l("after-sales managers"),
    "store_manager": _l("the store manager"),
    "group_manager": _l("group managers"),
}
STATE_LABELS = {
    "running": _l("running"), "paused": _l("paused"), "warning": _l("at risk"), "breached": _l("breached"),
    "met": _l("met"), "cancelled": _l("cancelled"),
}
LEVEL_LABELS = {1: _l("warning"), 2: _l("breach"), 3: _l("escalation")}


def split_seconds(seconds: int) -> tuple[int | float, str]:
    for unit in ("days", "hours", "minutes"):
        if seconds % UNITS[unit] == 0:
            return seconds // UNITS[unit], unit
    return round(seconds / 60, 2), "minutes"


def _stores(user):
    ids = visible_store_ids(user)
    stmt = sa.select(Store).order_by(Store.code)
    if ids is not None and not services.is_group_wide(user):
        stmt = stmt.where(Store.id.in_(ids))
    return list(db.session.scalars(stmt))


def _store_arg():
    raw = request.values.get("store_id", "")
    return int(raw) if raw.isdigit() else None


@bp.app_context_processor
def _labels():
    return {"sla_state_labels": STATE_LABELS, "sla_level_labels": LEVEL_LABELS, "sla_pause_labels": PAUSE_LABELS,
            "sla_case_url": case_url}


# --- timers ---------------------------------------------------------------------------------------
@bp.route("/timers")
def timers():
    user = require("sla.read")
    args = {"page": max(request.args.get("page", 1, type=int), 1), "per_page": 50}
    state = request.args.get("state") or ""
    case_type = request.args.get("case_type") or ""
    show = request.args.get("show", "open")
    stmt = scoped(sa.select(SlaClock), SlaClock, user)
    if state in CLOCK_STATES:
        stmt = stmt.where(SlaClock.state == state)
    if case_type:
        stmt = stmt.where(SlaClock.case_type == case_type)
    if show == "open":
        stmt = stmt.where(SlaClock.stopped_at.is_(None))
    stmt = stmt.order_by(sa.case((SlaClock.state.in_(ACTIVE_STATES), 0), else_=1),
                         SlaClock.escalation_level.desc(), SlaClock.due_at.asc().nulls_last(), SlaClock.id)
    page = paginate(stmt, args)
    numbers = _case_numbers(page["items"])
    views = [clock_view(c) for c in page["items"]]
    case_types = [r[0] for r in db.session.execute(sa.select(SlaClock.case_type).distinct().order_by(
        SlaClock.case_type))]
    return render_template("sla/timers.html", page=page, views=views, numbers=numbers, state=state,
                           case_type=case_type, show=show, states=CLOCK_STATES, case_types=case_types)


def _case_numbers(clocks) -> dict:
    """Case numbers for a page of clocks: one query per case type."""
    from ..core.workflow import REGISTRY

    by_type: dict[str, set[int]] = {}
    for c in clocks:
        by_type.setdefault(c.case_type, set()).add(c.case_id)
    out = {}
    for case_type, ids in by_type.items():
        wf = REGISTRY.get(case_type)
        if wf is None:
            continue
        t = wf.model.__table__
        for cid, number in db.session.execute(sa.select(t.c.id, t.c.number).where(t.c.id.in_(ids))):
            out[(case_type, cid)] = number
    return out


# --- policies -------------------------------------------------------------------------------------
@bp.route("/policies")
def policies_index():
    user = require("sla.policies.read")
    store_id = _store_arg()
    scope = services.policy_scope(user, store_id)
    rows = policies.effective_policies(scope)
    overview = None
    try:
        overview = services.job_overview(limit=10)
    except Exception:  # noqa: BLE001 — Redis down: the page still shows the policies
        overview = None
    return render_template("sla/policies.html", policies=rows, scope=scope, stores=_stores(user),
                           group_wide=services.is_group_wide(user), split=split_seconds,
                           rebaselines=services.recent_rebaselines(user, 10), jobs=overview,
                           can_write=can(user, "sla.policies.write"))


def _policy_form_data(form) -> tuple[dict, dict]:
    data, errors = {}, {}

    def seconds(prefix):
        raw, unit = form.get(f"{prefix}_value", "").strip(), form.get(f"{prefix}_unit", "hours")
        try:
            value = float(raw)
            if value < 0 or unit not in UNITS:
                raise ValueError
        except ValueError:
            errors[prefix] = [_("Give a number and a unit.")]
            return None
        return int(round(value * UNITS[unit]))

    target = seconds("target")
    if target is not None:
        if target < 1:
            errors["target"] = [_("The target must be longer than zero.")]
        data["target_seconds"] = target
    after = seconds("escalate_after")
    if after is not None:
        data["escalate_after_seconds"] = after
    cal = form.get("calendar")
    if cal not in ("24x7", "business"):
        errors["calendar"] = [_("Choose a calendar.")]
    data["calendar"] = cal
    try:
        ratio = float(form.get("warn_percent", "")) / 100
        if not 0 < ratio < 1:
            raise ValueError
        data["warn_ratio"] = ratio
    except ValueError:
        errors["warn_percent"] = [_("Between 1 and 99 percent.")]
    data["pause_reasons"] = [r for r in form.getlist("pause_reasons") if r in PAUSE_REASONS]
    data["ladder"] = [{"level": lvl, "notify": [r for r in form.getlist(f"notify_{lvl}") if r in RECIPIENTS]}
                      for lvl in (1, 2, 3) if form.get(f"level_{lvl}")]
    return data, errors


@bp.route("/policies/<key>/edit", methods=["GET", "POST"])
def policy_edit(key: str):
    user = require("sla.policies.write")
    store_id = _store_arg()
    scope = services.policy_scope(user, store_id)
    policy = policies.effective_policy(key, scope)
    if policy is None:
        from ..core.errors import NotFound

        raise NotFound(_("Unknown SLA policy %(key)s.", key=key))
    errors = {}
    if request.method == "POST":
        data, errors = _policy_form_data(request.form)
        if not errors:
            try:
                saved = services.change_policy(user, key, {**data, "store_id": scope})
            except DomainError as err:
                errors = refuse(err)
            else:
                flash(_("Saved as version %(v)s. New clocks use it; open clocks keep theirs until you "
                        "re-baseline them.", v=saved.version), "success")
                return redirect(url_for("sla.rebaseline", key=key, store_id=scope or ""))
    return render_template("sla/policy_form.html", policy=policy, scope=scope, errors=errors, form=request.form,
                           split=split_seconds, pause_reasons=PAUSE_REASONS, recipients=RECIPIENTS,
                           store=db.session.get(Store, scope) if scope else None), 422 if errors else 200


@bp.route("/policies/<key>/rebaseline", methods=["GET", "POST"])
def rebaseline(key: str):
    user = require("sla.policies.write")
    store_id = _store_arg()
    if request.method == "POST":
        expected = request.form.get("expected", type=int)
        try:
            run = services.request_rebaseline(user, key, store_id, expected)
        except DomainError as err:
            return refuse(err, back=url_for("sla.rebaseline", key=key, store_id=store_id or ""))
        flash(_("Re-baselining of %(n)s deadlines queued (run %(id)s).", n=run.previewed, id=run.id), "success")
        return redirect(url_for("sla.policies_index", store_id=store_id or ""))
    try:
        preview = services.preview_rebaseline(user, key, store_id)
    except DomainError as err:
        return refuse(err, back=url_for("sla.policies_index", store_id=store_id or ""), category="warning")
    return render_template("sla/rebaseline.html", key=key, preview=preview, store_id=store_id)


# --- calendars ------------------------------------------------------------------------------------
@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    user = require("sla.read")
    store_id = _store_arg() or user.store_id
    store = services.store_for_calendar(user, store_id)
    errors = {}
    if request.method == "POST":
        require("sla.calendars.write", user)
        row = policies.calendar_for_edit(store, user)
        texts = [request.form.get(f"day{i}", "") for i in range(7)]
        try:
            policies.set_week(row, texts, request.form.get("timezone", "").strip() or None, user)
        except DomainError as err:
            errors = refuse(err)
        else:
            flash(_("Opening hours saved. New deadlines are counted with them."), "success")
            return redirect(url_for("sla.calendar", store_id=store.id))
    row = policies.calendar_row(store.id)
    shown = row or policies.calendar_row(None)
    texts = [request.form.get(f"day{i}", "") for i in range(7)] if errors else policies.week_texts(shown)
    return render_template("sla/calendar.html", store=store, row=row, texts=texts, errors=errors,
                           timezone=(request.form.get("timezone") if errors else None) or
                           (row.timezone if row else store.timezone),
                           stores=_stores(user), can_write=can(user, "sla.calendars.write"),
                           days=row.days if row else [], today=date.today()), 422 if errors else 200


@bp.route("/calendar/<int:store_id>/days", methods=["POST"])
def calendar_add_days(store_id: int):
    user = require("sla.calendars.write")
    store = services.store_for_calendar(user, store_id, write=True)
    row = policies.calendar_for_edit(store, user)
    try:
        start = date.fromisoformat(request.form.get("day", ""))
        until = request.form.get("until", "").strip()
        end = date.fromisoformat(until) if until else None
    except ValueError:
        return refuse(ValidationFailed(_("Give the date as YYYY-MM-DD.")),
                      back=url_for("sla.calendar", store_id=store.id))
    try:
        added = policies.add_days(row, start, end, request.form.get("kind", "holiday"),
                                  request.form.get("name", ""), request.form.get("spans", ""))
    except DomainError as err:
        return refuse(err, back=url_for("sla.calendar", store_id=store.id))
    flash(_("%(n)s day(s) marked.", n=len(added)), "success")
    return redirect(url_for("sla.calendar", store_id=store.id))


@bp.route("/calendar/<int:store_id>/statutory", methods=["POST"])
def calendar_statutory(store_id: int):
    """Pre-fill one year's statutory holidays and make-up working days (sla/holidays.py)."""
    user = require("sla.calendars.write")
    store = services.store_for_calendar(user, store_id, write=True)
    back = url_for("sla.calendar", store_id=store.id)
    try:
        year = int(request.form.get("year", ""))
    except ValueError:
        return refuse(ValidationFailed(_("Give the year, e.g. 2026.")), back=back)
    try:
        added = prefill_year(policies.calendar_for_edit(store, user), year)
    except DomainError as err:
        return refuse(err, back=back)
    flash(_("%(year)s: %(h)s holiday(s) and %(w)s make-up working day(s) added.", year=year, h=added["holiday"],
            w=added["workday"]), "success")
    return redirect(back)


@bp.route("/calendar/<int:store_id>/days/<int:day_id>/delete", methods=["POST"])
def calendar_remove_day(store_id: int, day_id: int):
    user = require("sla.calendars.write")
    store = services.store_for_calendar(user, store_id, write=True)
    row = policies.calendar_row(store.id)
    if row is not None:
        try:
            policies.remove_day(row, day_id)
        except DomainError as err:
            return refuse(err, back=url_for("sla.calendar", store_id=store.id), category="warning")
    flash(_("Day removed."), "success")
    return redirect(url_for("sla.calendar", store_id=store.id))


nav_item("sla.timers", _l("SLA timers"))
nav_item("sla.policies_index", _l("SLA policies"), roles=("manager", "admin"), settings=True)
