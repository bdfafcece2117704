"""Work-order pages: the advisor's list, the workshop board, reception, the work-order page with its
next step and action forms, the printable work order and settlement; plus the hooks other pages use
(case links, search by number, vehicle history, home panels, menu)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.permissions import can, get_or_404, require, scoped
from ..auth.services import store_staff
from ..core import events
from ..core.clock import now
from ..core.errors import Conflict, DomainError, ValidationFailed
from ..core.http import paginate
from ..core.templating import nav_item
from ..core.web import (
    CASE_ENDPOINTS,
    HISTORY_PROVIDERS,
    HOME_PANELS,
    NUMBER_LOOKUPS,
    case_url,
    form_error_text,
    go_back,
    refuse,
    run_form_action,
    staff_blueprint,
)
from ..core.workflow import PAUSE_REASONS
from ..customers import queries as customer_queries
from ..customers.models import Customer
from ..extensions import db
from . import billing, first_service, forms, queries, services
from .labels import (
    CHANNEL_LABELS,
    CHECK_ITEM_LABELS,
    DAMAGE_KINDS,
    DECISION_LABELS,
    KIND_LABELS,
    OLD_PARTS_LABELS,
    OUTCOME_LABELS,
    PANELS,
    PAUSE_LABELS,
    PAY_TYPE_LABELS,
    PAYMENT_LABELS,
    PRIORITY_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    WARRANTY_LABELS,
)
from .models import (
    CHECK_STAGES,
    FOLLOW_UP_OUTCOMES,
    LINE_KINDS,
    OLD_PARTS,
    OPEN_STATES,
    PAY_TYPES,
    PAYMENT_METHODS,
    PRIORITIES,
    SIGNATURE_CHANNELS,
    STATES,
    WARRANTY,
    WorkOrder,
)
from .photos import add_photo, photos_of
from .presenters import next_step
from .settlement import PAYER_OF_PAY_TYPE
from .workflow import STATE_LABELS, WF

bp = staff_blueprint("workorders", __name__, url_prefix="/work-orders")

EMPTY_LINE_ROWS = 4


def labels() -> dict:
    return dict(states=STATE_LABELS, pay_types=PAY_TYPE_LABELS, decisions=DECISION_LABELS, kinds=KIND_LABELS,
                warranty=WARRANTY_LABELS, stages=STAGE_LABELS, priorities=PRIORITY_LABELS, channels=CHANNEL_LABELS,
                payments=PAYMENT_LABELS, old_parts=OLD_PARTS_LABELS, outcomes=OUTCOME_LABELS, pauses=PAUSE_LABELS,
                panels=dict(PANELS), damage_kinds=dict(DAMAGE_KINDS), check_items=CHECK_ITEM_LABELS,
                payers=billing.PAYER_LABELS, adjustments=billing.KIND_LABELS,
                free_service_payer=PAYER_OF_PAY_TYPE,
                actions={"create": _l("Work order opened"), "photo_added": _l("Photo added"),
                         **{name: a.label for name, a in WF.actions.items() if a.label}})


def _user():
    return current_user._get_current_object()




# --- lists ---------------------------------------------------------------------------------------
@bp.route("/")
def index():
    user = require("workorders.read")
    args = {k: v for k, v in request.args.items() if v != ""}
    filters = {
        "state": args.get("state") if args.get("state") in STATES else None,
        "team": args.get("team"), "q": args.get("q"),
        "priority": args.get("priority") if args.get("priority") in PRIORITIES else None,
        "pay_type": args.get("pay_type") if args.get("pay_type") in PAY_TYPES else None,
        "assignee_id": user.id if args.get("mine") == "1" else None,
        # the filter form sends a hidden open=0 and the checkbox's open=1: the last value wins
        "open": (request.args.getlist("open") or ["0" if args.get("state") else "1"])[-1] == "1",
        "page": max(request.args.get("page", 1, type=int), 1), "per_page": 50,
    }
    page = paginate(queries.work_order_list(user, filters), filters)
    link_args = {k: v for k, v in args.items() if k != "page"}
    return render_template("workorders/index.html", page=page, filters=filters, link_args=link_args,
                           teams=queries.teams(user), L=labels(), next_step=next_step)


@bp.route("/board")
def board():
    user = require("workorders.read")
    team = request.args.get("team") or None
    columns = queries.board(user, team)
    return render_template("workorders/board.html", columns=columns, team=team, teams=queries.teams(user),
                           wall=request.args.get("wall") == "1", L=labels(), next_step=next_step)


# --- reception -----------------------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
def new():
    user = require("workorders.create")
    source = request.form if request.method == "POST" else request.args
    customer = None
    if source.get("customer_id", "").isdigit():
        customer = get_or_404(Customer, int(source["customer_id"]), user)
    parent = None
    if source.get("parent_id", "").isdigit():
        parent = get_or_404(WorkOrder, int(source["parent_id"]), user)
        customer = customer or parent.customer
    matches = []
    q = (request.args.get("q") or "").strip()
    if customer is None and q:
        matches = list(db.session.scalars(customer_queries.customer_search(user, {"q": q}).limit(20)).unique())
    errors, values = {}, dict(source)
    if request.method == "POST" and customer is not None:
        data = {k: v.strip() for k, v in request.form.items()
                if k in ("customer_id", "vehicle_id", "mileage_km", "customer_description", "pay_type",
                         "parent_id", "mileage_reason", "priority") and v.strip() != ""}
        data.update(forms.check_in_data(request.form))
        try:
            wo = services.open_work_order(user, data)
        except DomainError as err:
            errors = refuse(err)
            flash(form_error_text(err), "danger")
        else:
            flash(_("Work order %(number)s opened.", number=wo.number), "success")
            return redirect(url_for("workorders.detail", case_id=wo.id))
    vehicle_id = source.get("vehicle_id")
    return render_template("workorders/new.html", customer=customer, parent=parent, matches=matches, q=q,
                           values=values, errors=errors, vehicle_id=vehicle_id, L=labels(), panels=PANELS,
                           damage_kinds=DAMAGE_KINDS, pay_types=PAY_TYPES, priorities=PRIORITIES), \
        (422 if errors else 200)


# --- the work-order page -------------------------------------------------------------------------
def _load(case_id: int) -> WorkOrder:
    user = require("workorders.read")
    return get_or_404(WorkOrder, case_id, user)


@bp.route("/<int:case_id>")
def detail(case_id: int):
    wo = _load(case_id)
    return render_template("workorders/detail.html", **detail_context(wo, _user()))


def detail_context(wo: WorkOrder, user) -> dict:
    """Everything the work-order page shows (also used to render it in tests)."""
    available = {a.name for a in WF.available(wo, user)}
    step = next_step(wo)
    store_users = list(db.session.scalars(store_staff(wo.store_id, exclude_roles=("admin",))))
    return dict(
        wo=wo, step=step, available=available, L=labels(),
        step_can=bool(step and step.action in available),
        step_who=ROLE_LABELS.get(step.role, step.role) if step else None,
        timeline=events.timeline("work_order", wo.id), blockers=services.delivery_blockers(wo)
        if wo.state == "ready" else [], recommendations=queries.recommendations(wo),
        children=list(db.session.scalars(sa.select(WorkOrder).where(WorkOrder.parent_id == wo.id))),
        technicians=[u for u in store_users if u.role == "workshop"], staff=store_users,
        teams=queries.teams(user), check_items=services.CHECK_ITEMS, empty_rows=range(EMPTY_LINE_ROWS),
        unhappy=services.is_unhappy(wo), first_service=_first_service(wo), pay_types=PAY_TYPES, kinds=LINE_KINDS, warranty=WARRANTY,
        priorities=PRIORITIES, channels=SIGNATURE_CHANNELS, payments=PAYMENT_METHODS, old_parts=OLD_PARTS,
        outcomes=FOLLOW_UP_OUTCOMES, pause_reasons=PAUSE_REASONS, stages=CHECK_STAGES,
        panels=PANELS, damage_kinds=DAMAGE_KINDS, photos=photos_of(wo),
        adjustment_kinds=list(billing.KIND_LABELS.items()),
        can_upload_photos=can(user, "documents.upload") and wo.state not in ("closed", "cancelled"),
        linked=[dict(case, url=case_url(case["case_type"], case["case_id"])) for case in services.linked_cases(wo, user)])


def _first_service(wo: WorkOrder) -> dict:
    out = first_service.summary(wo, now())
    return {**out, "url": case_url("work_order", out["work_order_id"]) if out["work_order_id"] else None}


@bp.route("/<int:case_id>/act/<action>", methods=["POST"])
def act(case_id: int, action: str):
    user = require("workorders.read")
    if action not in WF.actions:
        abort(404)
    wo = get_or_404(WorkOrder, case_id, user, for_update=True)
    data = forms.form_to_data(action, request.form, wo)
    label = WF.actions[action].label or action
    return run_form_action(WF, wo, action, data, success=_("Done: %(action)s.", action=label),
                           redirect_to=url_for("workorders.detail", case_id=wo.id))


@bp.route("/<int:case_id>/photos", methods=["POST"])
def upload_photo(case_id: int):
    user = require("workorders.read")
    require("documents.upload", user)
    wo = get_or_404(WorkOrder, case_id, user, for_update=True)
    back = url_for("workorders.detail", case_id=wo.id) + "#photos"
    file = request.files.get("file")
    if file is None or not file.filename:
        return refuse(ValidationFailed(_("Choose a photo to upload.")), back=back)
    try:
        add_photo(user, wo, file, request.form.get("panel"), request.form.get("note"))
    except DomainError as err:
        return refuse(err, back=back)
    flash(_("Photo added to the check-in sheet."), "success")
    return go_back(back)


@bp.route("/<int:case_id>/print")
def print_order(case_id: int):
    wo = _load(case_id)
    return render_template("workorders/print_order.html", wo=wo, L=labels(), panels=PANELS,
                           photos=photos_of(wo))


@bp.route("/<int:case_id>/settlement")
def settlement(case_id: int):
    wo = _load(case_id)
    if wo.state in ("reception", "estimated", "cancelled"):
        return refuse(Conflict(_("There is no settlement before the customer has authorised the work.")),
                      back=url_for("workorders.detail", case_id=wo.id), category="warning")
    return render_template("workorders/settlement.html", wo=wo, L=labels())


# --- parts stock ---------------------------------------------------------------------------------
@bp.route("/parts", methods=["GET", "POST"])
def parts():
    """The store's parts stock: look up part numbers for the estimate; add a part."""
    from marshmallow import ValidationError

    from . import parts as stock
    from .parts import PartIn

    user = require("workorders.read")
    errors, values = {}, {}
    if request.method == "POST":
        require("parts.write", user)  # a 403 page, not a form error
        values = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
        values["safety_related"] = forms.checkbox(request.form, "safety_related")
        try:
            part = stock.add_part(user, PartIn().load(values))
        except ValidationError as err:
            errors = err.messages
        except DomainError as err:
            errors = err.fields or {"_": [err.message]}
        else:
            flash(_("Part %(number)s added.", number=part.part_number), "success")
            return redirect(url_for("workorders.parts"))
    q = (request.args.get("q") or "").strip()
    args = {"page": max(request.args.get("page", 1, type=int), 1), "per_page": 100}
    page = paginate(stock.search(user, q), args)
    return render_template("workorders/parts.html", page=page, q=q, errors=errors, values=values,
                           may_add=can(user, "parts.write")), (422 if errors else 200)


# --- hooks into the shared pages -----------------------------------------------------------------
def _history(customer_id: int, user) -> list[dict]:
    if not can(user, "workorders.read"):
        return []
    return [dict(case_type="work_order", number=wo.number, state=str(STATE_LABELS.get(wo.state, wo.state)),
                 created_at=wo.created_at, url=url_for("workorders.detail", case_id=wo.id),
                 title=f"{wo.vehicle.plate} · {wo.mileage_km:,} km · {wo.customer_description[:60]}",
                 vehicle_id=wo.vehicle_id)
            for wo in queries.for_customer(customer_id, user)]


def _lookup(number: str, user) -> str | None:
    if not number.startswith("WO-") or not can(user, "workorders.read"):
        return None
    wo = queries.by_number(number, user)
    return url_for("workorders.detail", case_id=wo.id) if wo else None


def _home_panel(user):
    if user.role not in ("advisor", "front_desk_supervisor", "workshop", "customer_relations"):
        return None
    stmt = scoped(sa.select(WorkOrder), WorkOrder, user)
    if user.role == "front_desk_supervisor":  # every advisor's open work orders of the store
        stmt = stmt.where(WorkOrder.state.in_(OPEN_STATES))
        title, more = _("Front desk: open work orders"), url_for("workorders.index")
    elif user.role == "advisor":
        stmt = stmt.where(WorkOrder.assignee_id == user.id, WorkOrder.state.in_(OPEN_STATES + ["delivered"]))
        title, more = _("My work orders"), url_for("workorders.index", mine="1")
    elif user.role == "workshop":
        stmt = stmt.where(WorkOrder.state.in_(["authorised", "in_repair", "quality_check"]))
        if user.team:
            stmt = stmt.where(sa.or_(WorkOrder.team == user.team, WorkOrder.team.is_(None)))
        title, more = _("Workshop: jobs to do"), url_for("workorders.board")
    else:
        stmt = stmt.where(WorkOrder.state == "delivered")
        title, more = _("Callbacks due after delivery"), url_for("workorders.index", state="delivered")
    stmt = stmt.order_by(WorkOrder.promised_at.is_(None), WorkOrder.promised_at, WorkOrder.id).limit(15)
    from ..core.clock import now

    rows = []
    for wo in db.session.scalars(stmt).unique():
        step = next_step(wo)
        due = wo.promised_at if wo.state not in ("delivered",) else wo.delivered_at
        rows.append(dict(number=wo.number, url=url_for("workorders.detail", case_id=wo.id),
                         title=f"{wo.vehicle.plate} · {STATE_LABELS.get(wo.state)}",
                         next=WF.actions[step.action].label if step else "",
                         due=_("promised %(at)s", at=_fmt(wo.promised_at)) if wo.promised_at and
                         wo.state in OPEN_STATES else (_("delivered %(at)s", at=_fmt(due)) if due else ""),
                         overdue=bool(wo.promised_at and wo.state in OPEN_STATES and wo.promised_at < now())))
    return dict(title=title, rows=rows, more_url=more)


def _fmt(value):
    from ..core.templating import fmt_dt

    return fmt_dt(value, "MM-dd HH:mm")


CASE_ENDPOINTS["work_order"] = "workorders.detail"
HISTORY_PROVIDERS.append(_history)
NUMBER_LOOKUPS.append(_lookup)
HOME_PANELS.append(_home_panel)
nav_item("workorders.index", _l("Work orders"),
         roles=("advisor", "front_desk_supervisor", "workshop", "customer_relations", "manager"))
nav_item("workorders.board", _l("Workshop board"), roles=("advisor", "front_desk_supervisor", "workshop", "manager"))
