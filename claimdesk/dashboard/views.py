"""Managers' pages: the SLA dashboard (breached and at-risk timers with acknowledge in place, SLA
performance, backlog, escalations, pauses, complaint trends, satisfaction, claims money), CSV/XLSX
exports of every table, and the printable monthly report per store."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.permissions import can, get_or_404, require
from ..complaints.labels import CATEGORY_LABELS
from ..core.errors import NotFound
from ..core.templating import fmt_duration, nav_item
from ..core.web import HOME_PANELS, case_url, run_form_action, staff_blueprint
from ..core.workflow import REGISTRY
from . import exports, queries, sanbao_risk, sections, services

bp = staff_blueprint("dashboard", __name__, url_prefix="/dashboard")

FILTER_KEYS = ("store_id", "from", "to", "case_type")


def _args() -> dict:
    return {k: request.args.get(k) or None for k in FILTER_KEYS}


def _sections(user, args):
    f = services.filters_for(user, args)
    wide = services.group_wide(user)
    data = sections.collect(f, group_wide=wide)
    secs = sections.build(data, f, group_wide=wide, case_url=case_url)
    if f.includes("work_order"):
        secs.append(sanbao_risk.at_risk(f, vehicle_url=lambda vid: url_for("sanbao.vehicle", vehicle_id=vid)))
    return f, data, secs


def _local_date(value, f, *, end=False):
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo(f.tz))
    if end:  # the form shows the inclusive last day
        local = local - timedelta(microseconds=1)
    return local.date().isoformat()


@bp.route("/")
def index():
    user = require("dashboard.view", current_user._get_current_object())
    args = _args()
    f, data, secs = _sections(user, args)
    charts = {s.key: s.chart for s in secs if s.chart}
    form = {"store_id": args["store_id"] or "", "case_type": args["case_type"] or "",
            "from": _local_date(f.date_from, f), "to": _local_date(f.date_to, f, end=True)}
    query = {k: v for k, v in args.items() if v}
    return render_template("dashboard/index.html", f=f, data=data, sections=secs, charts=charts, form=form,
                           query=query, stores=queries.store_choices(user), group_wide=services.group_wide(user),
                           case_types=sections.CASE_TYPE_LABELS)


@bp.route("/export/<key>.<fmt>")
def export(key, fmt):
    user = require("dashboard.view", current_user._get_current_object())
    if fmt not in ("csv", "xlsx"):
        abort(404)
    f, _data, secs = _sections(user, _args())
    if key == "all":
        if fmt != "xlsx":
            abort(404)
        chosen = secs
    else:
        chosen = [s for s in secs if s.key == key]
        if not chosen:
            raise NotFound(_("No such table on the dashboard."))
    stamp = f"{_local_date(f.date_from, f)}_{_local_date(f.date_to, f, end=True)}"
    name = f"claimdesk-{key}-{stamp}.{fmt}"
    if fmt == "csv":
        body, mime = exports.to_csv(chosen[0]), "text/csv; charset=utf-8"
    else:
        body, mime = exports.to_xlsx(chosen, title_of=lambda s: s.title), exports.XLSX_MIME
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _reconciliation(user, args):
    from . import reconciliation

    f = services.filters_for(user, args)
    return f, reconciliation.sections(f, case_url)


@bp.route("/reconciliation")
def reconciliation_page():
    """Money reconciliation: per work order, per insurer, goodwill per store and month."""
    user = require("dashboard.view", current_user._get_current_object())
    args = _args()
    f, secs = _reconciliation(user, args)
    form = {"store_id": args["store_id"] or "", "from": _local_date(f.date_from, f),
            "to": _local_date(f.date_to, f, end=True)}
    query = {k: v for k, v in args.items() if v and k != "case_type"}
    return render_template("dashboard/reconciliation.html", f=f, sections=secs, form=form, query=query,
                           stores=queries.store_choices(user), group_wide=services.group_wide(user))


@bp.route("/reconciliation/export/<key>.<fmt>")
def reconciliation_export(key, fmt):
    user = require("dashboard.view", current_user._get_current_object())
    if fmt not in ("csv", "xlsx"):
        abort(404)
    f, secs = _reconciliation(user, _args())
    chosen = secs if key == "all" and fmt == "xlsx" else [s for s in secs if s.key == key]
    if not chosen:
        raise NotFound(_("No such table on the dashboard."))
    name = f"claimdesk-{key}-{_local_date(f.date_from, f)}_{_local_date(f.date_to, f, end=True)}.{fmt}"
    if fmt == "csv":
        body, mime = exports.to_csv(chosen[0]), "text/csv; charset=utf-8"
    else:
        body, mime = exports.to_xlsx(chosen, title_of=lambda s: s.title), exports.XLSX_MIME
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/acknowledge", methods=["POST"])
def acknowledge():
    """Acknowledge an escalated case from the dashboard: the case's own `acknowledge` action."""
    user = require("dashboard.view", current_user._get_current_object())
    case_type = request.form.get("case_type", "")
    wf = REGISTRY.get(case_type)
    if wf is None:
        raise NotFound(_("Unknown case type."))
    case = get_or_404(wf.model, request.form.get("case_id"), user, for_update=True)
    back = request.form.get("next") or ""
    if not back.startswith("/dashboard"):
        back = url_for("dashboard.index")
    return run_form_action(wf, case, "acknowledge", {}, redirect_to=back,
                           success=_("%(number)s: escalation acknowledged; you own it now.", number=case.number))


@bp.route("/report")
def report():
    """The monthly or annual summary of one store (or, for group managers, the group) for the
    manufacturer and the group — printable as PDF."""
    user = require("dashboard.view", current_user._get_current_object())
    store_id = request.args.get("store_id") or (None if services.group_wide(user) and request.args.get("scope") == "group"
                                                else user.store_id)
    period = "year" if request.args.get("period") == "year" else "month"
    if period == "year":
        f = services.year_filters(user, store_id, request.args.get("year"))
    else:
        f = services.month_filters(user, store_id, request.args.get("month"))
    first_day = _local_date(f.date_from, f)
    store = None
    if f.store_ids and len(f.store_ids) == 1:
        store = next((s for s in queries.store_choices(user) if s.id == f.store_ids[0]), None)
    policies = queries.by_policy(f)
    totals = {"total": sum(r["total"] for r in policies), "breached": sum(r["breached"] for r in policies)}
    totals["breach_rate"] = round(totals["breached"] / totals["total"], 4) if totals["total"] else None
    return render_template(
        "dashboard/report.html", stat_note=sections.STAT_NOTE, f=f, store=store,
        stores=queries.store_choices(user),
        group_wide=services.group_wide(user), period=period, month=first_day[:7], year=first_day[:4],
        until=_local_date(f.date_to, f, end=True),
        cases=queries.case_counts(f), policies=policies, totals=totals, live=queries.live_counts(f),
        categories=queries.top_categories(f), outcomes=queries.complaint_outcomes(f),
        satisfaction=queries.work_order_satisfaction(f), money=queries.claims_money(f),
        payouts=queries.payouts(f), escalations=queries.escalations_by_level(f),
        labels={"policy": sections.POLICY_LABELS, "case_type": sections.CASE_TYPE_LABELS,
                "level": sections.LEVEL_LABELS, "age": sections.PAYOUT_AGE_LABELS},
        category_label=lambda c: sections.label(CATEGORY_LABELS, c),
        pct=sections.pct, hours=sections.hours, cell_text=sections.cell_text)


nav_item("dashboard.index", _l("Dashboard"), roles={"manager", "admin", "info_clerk", "front_desk_supervisor"})


def home_panel(user):
    """Managers' home page: the timers breached or at risk now in their stores, least time left first."""
    if user.role != "manager" or not can(user, "dashboard.view"):
        return None
    f = services.filters_for(user, {})
    counts = queries.live_counts(f)
    rows = []
    for r in queries.urgent_clocks(f, limit=8):
        left = r["seconds_left"]
        rows.append({
            "number": r["number"], "url": case_url(r["case_type"], r["case_id"]),
            "title": sections.policy_label(r["policy_key"]),
            "next": _("acknowledged") if r["acknowledged_at"] else (r["assignee"] or _("unassigned")),
            "due": ("" if left is None else _("overdue by %(t)s", t=fmt_duration(-left)) if left < 0
                    else _("breached") if r["breached"] else _("%(t)s left", t=fmt_duration(left))),
            "overdue": r["breached"]})
    return {"title": _("SLA now: %(b)s breached, %(r)s at risk", b=counts["breached_now"], r=counts["at_risk"]),
            "more_url": url_for("dashboard.index"), "rows": rows, "empty": _("No timer is breached or at risk.")}


HOME_PANELS.insert(0, home_panel)  # a manager sees it first
