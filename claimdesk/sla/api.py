"""JSON API of the SLA engine: policies, re-baselining, timers, store calendars, the job overview."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import actor, require, scoped
from ..core.errors import NotFound
from ..core.http import page_schema, paginate
from . import policies, services
from .calendar import format_intervals, intervals_from_json
from .models import ACTIVE_STATES, SlaClock
from .schemas import (CalendarDayIn, CalendarDayOut, CalendarIn, CalendarOut, JobsOut, PolicyIn, PolicyOut,
                      PolicyQuery, RebaselineIn, RebaselineOut, RebaselinePreviewOut, TimerOut, TimerQuery)

blp = Blueprint("sla_api", __name__, url_prefix="/api/v1", description="SLA policies, timers and calendars")


@blp.route("/sla/policies")
class Policies(MethodView):
    @blp.arguments(PolicyQuery, location="query")
    @blp.response(200, PolicyOut(many=True))
    def get(self, args):
        """The policies as they apply to a store (its overrides, else the group defaults).

        Without store_id: the caller's store, or the group defaults for admins and group managers.
        Managers and admins only."""
        return services.list_policies(actor(), args["store_id"])


@blp.route("/sla/policies/<string:key>")
class PolicyItem(MethodView):
    @blp.arguments(PolicyQuery, location="query")
    @blp.response(200, PolicyOut)
    def get(self, args, key):
        for p in services.list_policies(actor(), args["store_id"]):
            if p.key == key:
                return p
        raise NotFound(f"Unknown SLA policy {key}.")

    @blp.arguments(PolicyIn)
    @blp.response(200, PolicyOut)
    def put(self, data, key):
        """Change a policy for a store (store_id; managers: their own store) or the group default
        (admins and group managers, no store_id). Makes a new version; running clocks keep theirs —
        re-baseline them explicitly with POST …/rebaseline."""
        return services.change_policy(actor(), key, data)


@blp.route("/sla/policies/<string:key>/rebaseline")
class Rebaseline(MethodView):
    @blp.arguments(RebaselineIn)
    @blp.response(200, RebaselinePreviewOut)
    @blp.alt_response(202, schema=RebaselineOut)
    def post(self, data, key):
        """Apply the policy's current version to its open clocks. `dry_run` (default) only says how
        many deadlines would move; the run itself needs `"dry_run": false` and `expected` = that number
        (409 if it changed), is recorded (who, when, which version) and runs as a job."""
        user = actor()
        if data["dry_run"]:
            return services.preview_rebaseline(user, key, data["store_id"])
        run = services.request_rebaseline(user, key, data["store_id"], data["expected"])
        resp = jsonify(RebaselineOut().dump(run))
        resp.status_code = 202
        return resp


@blp.route("/sla/rebaselines")
class Rebaselines(MethodView):
    @blp.response(200, RebaselineOut(many=True))
    def get(self):
        """Recent re-baselining runs (the audit)."""
        user = require("sla.policies.read")
        return services.recent_rebaselines(user)


@blp.route("/sla/timers")
class Timers(MethodView):
    @blp.arguments(TimerQuery, location="query")
    @blp.response(200, page_schema(TimerOut))
    def get(self, args):
        """SLA clocks of the stores the caller sees; filter by case_type, case_id, state, store_id,
        policy_key, active. Most urgent first."""
        user = require("sla.read")
        stmt = scoped(sa.select(SlaClock), SlaClock, user)
        for key in ("case_type", "case_id", "state", "store_id", "policy_key"):
            if args.get(key) is not None:
                stmt = stmt.where(getattr(SlaClock, key) == args[key])
        if args.get("active") is not None:
            stmt = stmt.where(SlaClock.stopped_at.is_(None) if args["active"] else SlaClock.stopped_at.is_not(None))
        stmt = stmt.order_by(sa.case((SlaClock.state.in_(ACTIVE_STATES), 0), else_=1),
                             SlaClock.due_at.asc().nulls_last(), SlaClock.id)
        return paginate(stmt, args)


def calendar_out(store) -> dict:
    row = policies.calendar_row(store.id)
    own = row is not None
    row = row or policies.calendar_row(None)
    return {"store_id": store.id, "own": own, "timezone": row.timezone if own else store.timezone,
            "week": row.week if row else [], "days": list(row.days) if own else []}


@blp.route("/sla/calendars/<int:store_id>")
class Calendar(MethodView):
    @blp.response(200, CalendarOut)
    def get(self, store_id):
        """A store's business hours (several spans per weekday, Monday first), holidays, closures and
        make-up working days. `own` is false while the store uses the group's hours."""
        user = require("sla.read")
        return calendar_out(services.store_for_calendar(user, store_id))

    @blp.arguments(CalendarIn)
    @blp.response(200, CalendarOut)
    def put(self, data, store_id):
        """Set the opening hours of each weekday (Monday first; [] = closed) and the time zone."""
        user = actor()
        store = services.store_for_calendar(user, store_id, write=True)
        row = policies.calendar_for_edit(store, user)
        texts = [format_intervals(intervals_from_json(d)) for d in data["week"]]
        policies.set_week(row, texts, data.get("timezone"), user)
        return calendar_out(store)


@blp.route("/sla/calendars/<int:store_id>/days")
class CalendarDays(MethodView):
    @blp.arguments(CalendarDayIn)
    @blp.response(201, CalendarDayOut(many=True))
    def post(self, data, store_id):
        """Mark a date (or the run day … until) as holiday, closure (spans = closed hours, none = all
        day) or make-up working day (spans = open hours)."""
        user = actor()
        store = services.store_for_calendar(user, store_id, write=True)
        row = policies.calendar_for_edit(store, user)
        return policies.add_days(row, data["day"], data["until"], data["kind"], data["name"],
                                 format_intervals(intervals_from_json(data["spans"])))


@blp.route("/sla/calendars/<int:store_id>/days/<int:day_id>")
class CalendarDay(MethodView):
    @blp.response(204)
    def delete(self, store_id, day_id):
        user = actor()
        store = services.store_for_calendar(user, store_id, write=True)
        row = policies.calendar_row(store.id)
        if row is None:
            raise NotFound("No such day in this calendar.")
        policies.remove_day(row, day_id)
        return None


@blp.route("/sla/jobs")
class Jobs(MethodView):
    @blp.response(200, JobsOut)
    def get(self):
        """SLA and mail jobs: how many are scheduled and queued, and the failed ones with their error
        (after their retries). Managers and admins."""
        require("sla.policies.read")
        return services.job_overview()

