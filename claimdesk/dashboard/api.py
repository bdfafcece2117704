"""GET /api/v1/sla/dashboard: the managers' aggregates as JSON, the same as the dashboard page shows,
with the same filters (store_id, from, to, case_type)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import actor
from . import sections, services
from .schemas import DashboardOut, DashboardQuery

blp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1", description="Managers' dashboard aggregates")


@blp.route("/sla/dashboard")
class Dashboard(MethodView):
    @blp.arguments(DashboardQuery, location="query")
    @blp.response(200, DashboardOut)
    def get(self, args):
        """Breached and at-risk clocks now; breach rate, p50 and p90 per timer, advisor, store and insurer
        over the period (clocks that ended in it); backlog by stage and age; escalations by level; paused
        time by reason; complaint categories and channels over time, reopens and satisfaction; claims
        waiting on documents; payouts expected vs received with ageing. Managers and admins; a store
        manager sees their own store, a group manager every store (or the one in store_id)."""
        user = actor()
        raw = {"store_id": args.get("store_id"), "from": args.get("from_"), "to": args.get("to"),
               "case_type": args.get("case_type")}
        f = services.filters_for(user, raw)
        data = sections.collect(f, group_wide=services.group_wide(user))
        data["filters"] = {"store_id": f.extra.get("store_id"), "store_ids": list(f.store_ids) if f.store_ids else None,
                           "from_": f.date_from, "to": f.date_to, "case_type": f.case_type, "now": f.now}
        return data
