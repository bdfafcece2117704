"""三包 pages: a vehicle's ledger with the advisor's confirmation form, the vehicles at risk of the
store, the rule sets; the compact status other pages show (the `sanbao_status` template global)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..auth.models import Store
from ..auth.permissions import actor, can, get_or_404, require
from ..core.errors import DomainError, NotFound
from ..core.templating import nav_item
from ..core.web import HOME_PANELS, refuse, staff_blueprint
from ..customers.models import Vehicle
from ..extensions import db
from ..workorders.models import WorkOrder
from . import labels, queries, services
from . import ledger as ledgers
from .models import REPLACEMENTS, SYSTEMS, SanbaoRuleSet
from .presenters import as_dict, problem_label
from .rules import EDITABLE

bp = staff_blueprint("sanbao", __name__, url_prefix="/sanbao")


def _page_context(led):
    return {"led": led, "view": as_dict(led), "L": labels, "problem_label": problem_label,
            "systems": [(s, labels.SYSTEM_LABELS[s]) for s in SYSTEMS],
            "replacements": [(r, labels.REPLACEMENT_LABELS[r]) for r in REPLACEMENTS],
            "choices": services.problem_choices(led.vehicle.id)}


@bp.route("/vehicles/<int:vehicle_id>")
def vehicle(vehicle_id: int):
    user = require("workorders.read")
    v = get_or_404(Vehicle, vehicle_id, user)
    return render_template("sanbao/vehicle.html", vehicle=v, can_confirm=can(user, "workorders.create"),
                           **_page_context(ledgers.build(v)))


def _form_data(form) -> dict:
    data = {k: v.strip() for k, v in form.items() if k not in ("csrf_token", "once_token") and v.strip() != ""}
    for flag in ("quality", "serious_safety"):
        data[flag] = form.get(flag) in ("1", "on", "true", "y")
    return data


@bp.route("/work-orders/<int:case_id>/episode", methods=["POST"])
def confirm(case_id: int):
    user = require("workorders.create")
    wo = get_or_404(WorkOrder, case_id, user)
    back = url_for("sanbao.vehicle", vehicle_id=wo.vehicle_id)
    try:
        services.confirm_episode(user, wo, _form_data(request.form))
    except DomainError as err:
        return refuse(err, back=back)
    flash(_("三包 entry of %(number)s confirmed.", number=wo.number), "success")
    return redirect(back)


@bp.route("/at-risk")
def at_risk():
    user = require("workorders.read")
    store_id = request.args.get("store_id", type=int)
    ledgers_ = queries.at_risk(user, store_id)
    ids = {led.vehicle.store_id for led in ledgers_}
    stores = {s.id: s.name for s in db.session.scalars(sa.select(Store).where(Store.id.in_(ids)))} if ids else {}
    return render_template("sanbao/at_risk.html", ledgers=ledgers_, L=labels, stores=stores)


@bp.route("/rule-sets", methods=["GET", "POST"])
def rule_sets():
    """Staff read the rule sets; managers and administrators change their thresholds."""
    user = actor()
    if request.method == "POST" or not can(user, "workorders.read"):
        require("sanbao.rules.write", user)
    errors, edited = {}, None
    if request.method == "POST":
        rs = db.session.get(SanbaoRuleSet, request.form.get("id", type=int) or 0)
        if rs is None:
            raise NotFound(_("Not found."))
        services.may_edit(user, rs)  # 403/404 as such, not a form message
        try:
            services.update_rule_set(user, rs, {k: v for k, v in request.form.items() if k in EDITABLE and v})
        except DomainError as err:
            errors, edited = refuse(err), rs.id
        else:
            flash(_("Rule set %(code)s saved.", code=rs.code), "success")
            return redirect(url_for("sanbao.rule_sets"))
    sets = queries.rule_sets(user)
    own = {(rs.code, rs.store_id) for rs in sets if rs.store_id is not None}
    return render_template("sanbao/rule_sets.html", rule_sets=sets, editable=EDITABLE,
                           can_edit=lambda rs: _may(services.may_edit, user, rs),
                           can_copy=lambda rs: rs.store_id is None and can(user, "sanbao.rules.write")
                           and (rs.code, user.store_id) not in own,
                           store_codes=dict(db.session.execute(sa.select(Store.id, Store.code)).all()),
                           errors=errors, edited=edited, FIELD_LABELS=FIELD_LABELS), (422 if errors else 200)


def _may(check, user, rs) -> bool:
    try:
        check(user, rs)
    except DomainError:
        return False
    return True


@bp.route("/rule-sets/<int:rule_set_id>/copy", methods=["POST"])
def copy_rule_set(rule_set_id: int):
    """A store manager's own copy of a group-wide set, then edited on this page."""
    user = require("sanbao.rules.write")
    rs = db.session.get(SanbaoRuleSet, rule_set_id)
    if rs is None:
        raise NotFound(_("Not found."))
    try:
        mine = services.copy_for_store(user, rs)
    except DomainError as err:
        return refuse(err, back=url_for("sanbao.rule_sets"))
    flash(_("Your store now has its own copy of rule set %(code)s; change its thresholds below.", code=mine.code),
          "success")
    return redirect(url_for("sanbao.rule_sets") + f"#rule-set-{mine.id}")


FIELD_LABELS = {
    "warranty_years": _l("Warranty period (years)"), "warranty_km": _l("Warranty period (km)"),
    "period_years": _l("三包 period (years)"), "period_km": _l("三包 period (km)"),
    "substitute_after_days": _l("Substitute car after (days of one repair)"),
    "max_repair_days": _l("Cumulative repair days (limit)"), "max_same_problem": _l("Repairs of one problem (limit)"),
    "max_safety_repairs": _l("Serious safety fault repairs (limit)"),
    "max_replacements": _l("Replacements of the same unit or component (limit)"),
    "warn_substitute_days": _l("Warn at days of one repair"), "warn_repair_days": _l("Warn at cumulative days"),
    "warn_same_problem": _l("Warn at repairs of one problem"), "warn_safety_repairs": _l("Warn at safety repairs"),
    "warn_replacements": _l("Warn at replacements"),
}


def sanbao_status(vehicle_id: int | None, work_order_id: int | None = None) -> Markup:
    """The compact status of a vehicle (work-order, complaint and vehicle pages); empty if not covered."""
    if not vehicle_id:
        return Markup("")
    v = db.session.get(Vehicle, vehicle_id)
    if v is None:
        return Markup("")
    led = ledgers.build(v)
    if not led.covered:
        return Markup("")
    duty = next((c for c in led.substitute_due if c.work_order_id == work_order_id), None) if work_order_id else None
    return Markup(render_template("sanbao/_status.html", led=led, L=labels, duty=duty,
                                  work_order_id=work_order_id, problem_label=problem_label))


def home_panel(user):
    if user.role != "manager":
        return None
    rows = [{"number": led.vehicle.plate, "url": url_for("sanbao.vehicle", vehicle_id=led.vehicle.id),
             "title": f"{led.vehicle.make or ''} {led.vehicle.model}".strip(),
             "next": str(labels.LEVEL_LABELS.get(led.level, "")),
             "due": _("%(days)s repair days", days=led.days_used), "overdue": led.level == "exceeded"}
            for led in queries.at_risk(user)[:10]]
    return {"title": _("Vehicles at 三包 risk"), "more_url": url_for("sanbao.at_risk"),
            "empty": _("No vehicle is near a 三包 limit."), "rows": rows}


HOME_PANELS.append(home_panel)
nav_item("sanbao.at_risk", _l("三包 risk"), roles=("advisor", "manager", "customer_relations", "info_clerk"))
