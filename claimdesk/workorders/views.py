"""Work-order pages: the advisor's list, the workshop board, reception, the work-order page with its
next step and action forms, the printable work order and settlement; plus the hooks other pages use
(case links, search by number, vehicle history, home panels, menu)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.models import User
from ..auth.permissions import can, get_or_404, require, scoped
from ..core import events, uow
from ..core.errors import DomainError
from ..core.http import paginate
from ..core.templating import nav_item
from ..core.web import (CASE_ENDPOINTS, HISTORY_PROVIDERS, HOME_PANELS, NUMBER_LOOKUPS, case_url, form_error_text,
                        run_form_action, staff_blueprint, go_back)
from ..core.workflow import PAUSE_REASONS
from ..customers import queries as customer_queries
from ..customers.models import Customer
from ..extensions import db
from . import billing, queries, services
from .models import (CHECK_STAGES, FOLLOW_UP_OUTCOMES, LINE_KINDS, OLD_PARTS, OPEN_STATES, PAY_TYPES,
                     PAYMENT_METHODS, PRIORITIES, SIGNATURE_CHANNELS, STATES, WARRANTY, WorkOrder)
from .workflow import STATE_LABELS, WF

bp = staff_blueprint("workorders", __name__, url_prefix="/work-orders")

PAY_TYPE_LABELS = {"customer": _l("Customer"), "warranty": _l("Warranty"), "insurance": _l("Insurance"),
                   "internal": _l("Internal")}
DECISION_LABELS = {"proposed": _l("Proposed"), "approved": _l("Approved"), "declined": _l("Declined"),
                   "deferred": _l("Deferred")}
KIND_LABELS = {"labour": _l("Labour"), "part": _l("Part")}
WARRANTY_LABELS = {"covered": _l("Warranty covered"), "not_covered": _l("Not covered"),
                   "pending": _l("Pending manufacturer approval")}
STAGE_LABELS = {"self": _l("Technician self-check"), "team_lead": _l("Team-leader check"), "final": _l("Final QC")}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
CHANNEL_LABELS = {"in_person": _l("In person"), "phone": _l("Phone"), "wechat": _l("WeChat"), "sms": _l("SMS"),
                  "email": _l("E-mail")}
PAYMENT_LABELS = {"cash": _l("Cash"), "bank_card": _l("Bank card"), "wechat_pay": _l("WeChat Pay"),
                  "alipay": _l("Alipay"), "bank_transfer": _l("Bank transfer"),
                  "company_account": _l("Company account"), "split": _l("Split across methods")}
OLD_PARTS_LABELS = {"customer_takes": _l("Customer takes the old parts"),
                    "dealer_disposes": _l("Dealer disposes of the old parts")}
OUTCOME_LABELS = {"reached": _l("Customer reached"), "no_answer": _l("No answer"),
                  "call_back_later": _l("Call back later")}
PAUSE_LABELS = {"waiting_customer": _l("Waiting for the customer"), "waiting_insurer": _l("Waiting for the insurer"),
                "waiting_parts": _l("Waiting for parts"), "waiting_documents": _l("Waiting for documents"),
                "waiting_manufacturer": _l("Waiting for the manufacturer")}
PANELS = [("front_bumper", _l("Front bumper")), ("bonnet", _l("Bonnet")), ("windscreen", _l("Windscreen")),
          ("roof", _l("Roof")), ("left_front_wing", _l("Left front wing")), ("left_front_door", _l("Left front door")),
          ("left_rear_door", _l("Left rear door")), ("left_rear_wing", _l("Left rear wing")),
          ("right_front_wing", _l("Right front wing")), ("right_front_door", _l("Right front door")),
          ("right_rear_door", _l("Right rear door")), ("right_rear_wing", _l("Right rear wing")),
          ("boot", _l("Boot lid")), ("rear_bumper", _l("Rear bumper")), ("wheels", _l("Wheels and tyres")),
          ("mirrors", _l("Mirrors")), ("interior", _l("Interior"))]
DAMAGE_KINDS = [("scratch", _l("Scratch")), ("dent", _l("Dent")), ("crack", _l("Crack")), ("chip", _l("Chip")),
                ("missing", _l("Missing part")), ("other", _l("Other"))]
CHECK_ITEM_LABELS = {
    "all approved items done": _l("All approved items done"),
    "fault no longer present": _l("Fault no longer present"),
    "parts fitted and tightened to spec": _l("Parts fitted and tightened to spec"),
    "no leaks or warning lights": _l("No leaks or warning lights"),
    "tools and covers removed": _l("Tools and covers removed"),
    "work matches the work order": _l("Work matches the work order"),
    "workmanship": _l("Workmanship"),
    "road test if needed": _l("Road test if needed"),
    "recommendations recorded": _l("Recommendations recorded"),
    "every approved line done": _l("Every approved line done"),
    "fault confirmed gone": _l("Fault confirmed gone"),
    "safety items checked": _l("Safety items checked"),
    "old parts kept as agreed": _l("Old parts kept as agreed"),
    "interior and exterior clean": _l("Interior and exterior clean"),
    "nothing left inside": _l("Nothing left inside"),
}
EMPTY_LINE_ROWS = 4


def labels() -> dict:
    return dict(states=STATE_LABELS, pay_types=PAY_TYPE_LABELS, decisions=DECISION_LABELS, kinds=KIND_LABELS,
                warranty=WARRANTY_LABELS, stages=STAGE_LABELS, priorities=PRIORITY_LABELS, channels=CHANNEL_LABELS,
                payments=PAYMENT_LABELS, old_parts=OLD_PARTS_LABELS, outcomes=OUTCOME_LABELS, pauses=PAUSE_LABELS,
                panels=dict(PANELS), damage_kinds=dict(DAMAGE_KINDS), check_items=CHECK_ITEM_LABELS,
                payers=billing.PAYER_LABELS, adjustments=billing.KIND_LABELS,
                actions={"create": _l("Work order opened"), "photo_added": _l("Photo added"),
                         **{name: a.label for name, a in WF.actions.items() if a.label}})


def _user():
    return current_user._get_current_object()


# --- the one next step -------------------------------------------------------------------------
def next_step(wo: WorkOrder) -> dict | None:
    """What has to happen next on this work order, by whom (action name, role, explanation)."""
    state = wo.state
    if state == "reception":
        return dict(action="estimate", role="advisor", text=_("Estimate the work: labour and parts lines."))
    if state == "estimated":
        if any(ln.warranty_status == "pending" for ln in wo.lines):
            return dict(action="decide_warranty", role="advisor",
                        text=_("Record the manufacturer's warranty decision before the customer signs."))
        return dict(action="authorise", role="advisor",
                    text=_("Go through the estimate with the customer and have the work order signed."))
    if state == "authorised":
        return dict(action="dispatch", role="workshop", text=_("Dispatch the job to a team."))
    if state == "in_repair":
        if wo.pending_extra_lines:
            return dict(action="decide_extra_work", role="advisor",
                        text=_("Call the customer: additional work waits for approval."))
        return dict(action="complete_repair", role="workshop", text=_("Repair the approved lines, then report completion."))
    if state == "quality_check":
        for stage in CHECK_STAGES:
            if not wo.passed_stage(stage):
                return dict(action="pass_check", role="workshop", stage=stage,
                            text=_("Sign the %(stage)s (or record a failure).", stage=STAGE_LABELS[stage]))
    if state == "ready":
        if wo.free_wash and wo.washed_at is None:
            return dict(action="wash", role="workshop", text=_("Wash the car (the customer accepted a free wash)."))
        if wo.customer_notified_at is None:
            return dict(action="notify_customer", role="advisor",
                        text=_("Call the customer and agree a pickup time."))
        return dict(action="deliver", role="advisor",
                    text=_("Walk the customer through the work, settle and hand over the keys."))
    if state == "delivered":
        return dict(action="follow_up", role="customer_relations",
                    text=_("Call the customer back within 3 days of delivery."))
    return None


ROLE_LABELS = {"advisor": _l("the service advisor"), "workshop": _l("the workshop"),
               "customer_relations": _l("customer relations")}


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
def _local_to_iso(value: str | None) -> str | None:
    """A datetime-local field (store time) as an aware ISO string; other strings pass through."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value
    if naive.tzinfo is not None:
        return naive.isoformat()
    return naive.replace(tzinfo=ZoneInfo(_user().store.timezone)).isoformat()


def _bool(form, name) -> bool:
    return form.get(name) in ("1", "on", "true", "yes")


def _check_in_data(form) -> dict:
    data = {}
    for key in ("valuables", "diagnosis"):
        if key in form:
            data[key] = form.get(key).strip() or None
    if form.get("fuel_level", "").strip():
        data["fuel_level"] = form.get("fuel_level").strip()
    for key in ("covers_fitted", "licence_checked", "booklet_checked"):
        if f"{key}__present" in form:
            data[key] = _bool(form, key)
    if "damage__present" in form:
        data["damage"] = [{"panel": p, "kind": form.get(f"damage-{p}"), "note": form.get(f"damage-{p}-note") or None}
                          for p, _label in PANELS if form.get(f"damage-{p}")]
    if form.get("appointment_at"):
        data["appointment_at"] = _local_to_iso(form.get("appointment_at"))
    return data


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
        data.update(_check_in_data(request.form))
        try:
            wo = services.open_work_order(user, data)
        except DomainError as err:
            from ..core import uow

            uow.rollback()
            errors = err.fields or {"_": [err.message]}
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
    if step:
        step["can"] = step["action"] in available
        step["who"] = ROLE_LABELS.get(step["role"], step["role"])
    store_users = list(db.session.scalars(sa.select(User).where(
        User.store_id == wo.store_id, User.active.is_(True), User.role != "admin").order_by(User.username)))
    return dict(
        wo=wo, step=step, available=available, L=labels(),
        timeline=events.timeline("work_order", wo.id), blockers=services.delivery_blockers(wo)
        if wo.state == "ready" else [], recommendations=queries.recommendations(wo),
        children=list(db.session.scalars(sa.select(WorkOrder).where(WorkOrder.parent_id == wo.id))),
        technicians=[u for u in store_users if u.role == "workshop"], staff=store_users,
        teams=queries.teams(user), check_items=services.CHECK_ITEMS, empty_rows=range(EMPTY_LINE_ROWS),
        unhappy=services.is_unhappy(wo), pay_types=PAY_TYPES, kinds=LINE_KINDS, warranty=WARRANTY,
        priorities=PRIORITIES, channels=SIGNATURE_CHANNELS, payments=PAYMENT_METHODS, old_parts=OLD_PARTS,
        outcomes=FOLLOW_UP_OUTCOMES, pause_reasons=PAUSE_REASONS, stages=CHECK_STAGES,
        panels=PANELS, damage_kinds=DAMAGE_KINDS, photos=services.photos_of(wo),
        adjustment_kinds=list(billing.KIND_LABELS.items()),
        can_upload_photos=can(user, "documents.upload") and wo.state not in ("closed", "cancelled"),
        linked=[dict(case, url=case_url(case["case_type"], case["case_id"])) for case in services.linked_cases(wo, user)])


def _lines_from_form(form) -> list[dict]:
    lines = []
    for i in range(50):
        prefix = f"lines-{i}-"
        if f"{prefix}description" not in form:
            continue
        desc = form.get(f"{prefix}description", "").strip()
        if not desc:
            continue
        line = {"kind": form.get(f"{prefix}kind") or "labour", "description": desc,
                "quantity": form.get(f"{prefix}quantity", "").strip(),
                "unit_price": form.get(f"{prefix}unit_price", "").strip(),
                "pay_type": form.get(f"{prefix}pay_type") or None,
                "safety_related": _bool(form, f"{prefix}safety_related")}
        code = form.get(f"{prefix}code", "").strip()
        if code:
            line["part_number" if line["kind"] == "part" else "operation_code"] = code
        if form.get(f"{prefix}warranty_status"):
            line["warranty_status"] = form.get(f"{prefix}warranty_status")
        lines.append({k: v for k, v in line.items() if v is not None})
    return lines


def _decisions_from_form(form, prefix="decision-") -> list[dict]:
    out = []
    for key, value in form.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit() and value:
            out.append({"line_id": int(key[len(prefix):]), "decision": value})
    return out


def _check_items_from_form(form, stage: str) -> list[dict]:
    names = services.CHECK_ITEMS.get(stage, [])
    if "items__present" not in form:
        return []
    return [{"item": name, "passed": _bool(form, f"item-{i}"), "note": form.get(f"item-{i}-note") or None}
            for i, name in enumerate(names)]


def form_to_data(action: str, form, wo: WorkOrder) -> dict:
    """The HTML form of an action → the action's fields (the same ones the API takes)."""
    text = {k: v.strip() for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
    data: dict = {}
    if text.get("version"):
        data["version"] = text["version"]
    if action == "check_in":
        data.update(_check_in_data(form))
        for key in ("mileage_km", "mileage_reason", "customer_description"):
            if text.get(key):
                data[key] = text[key]
    elif action in ("estimate", "request_extra_work"):
        data["lines"] = _lines_from_form(form)
        if action == "estimate":
            data["replace"] = False
            if text.get("diagnosis"):
                data["diagnosis"] = text["diagnosis"]
        elif text.get("reason"):
            data["reason"] = text["reason"]
    elif action == "remove_line":
        data["line_id"] = text.get("line_id")
    elif action == "decide_warranty":
        data["lines"] = [{"line_id": d["line_id"], "warranty_status": d["decision"]}
                         for d in _decisions_from_form(form, "warranty-")]
        if text.get("reference"):
            data["reference"] = text["reference"]
    elif action == "authorise":
        for key in ("signed_by", "signature_channel", "payment_method", "old_parts", "signature_image"):
            if text.get(key):
                data[key] = text[key]
        data["promised_at"] = _local_to_iso(text.get("promised_at"))
        data["free_wash"] = _bool(form, "free_wash")
        data["decisions"] = _decisions_from_form(form)
    elif action == "dispatch":
        for key in ("team", "technician_id", "priority", "note"):
            if text.get(key):
                data[key] = text[key]
    elif action == "decide_extra_work":
        data["decisions"] = _decisions_from_form(form)
        for key in ("decided_by", "channel"):
            if text.get(key):
                data[key] = text[key]
    elif action in ("pass_check", "fail_check"):
        data["stage"] = text.get("stage")
        items = _check_items_from_form(form, text.get("stage") or "")
        if items:
            data["items"] = items
        for key in ("signed_by", "recommendations", "reason"):
            if text.get(key):
                data[key] = text[key]
    elif action == "notify_customer":
        if text.get("pickup_at"):
            data["pickup_at"] = _local_to_iso(text["pickup_at"])
    elif action == "deliver":
        for key in ("signed_by", "payment_method", "paid_amount", "next_service_date", "next_service_km",
                    "preferred_callback_time", "note"):
            if text.get(key):
                data[key] = text[key]
        for key in ("old_parts_handled", "car_clean", "nothing_left_inside"):
            data[key] = _bool(form, key)
        data["declined_signoff"] = [int(v) for v in form.getlist("declined_signoff") if v.isdigit()]
    elif action == "add_adjustment":
        for key in ("kind", "amount", "payer", "description", "agreed_by", "note"):
            if text.get(key):
                data[key] = text[key]
    elif action == "remove_adjustment":
        data["adjustment_id"] = text.get("adjustment_id")
    elif action in ("record_payment", "refund"):
        for key in ("method", "amount", "reference", "note"):
            if text.get(key):
                data[key] = text[key]
    elif action == "follow_up":
        for key in ("outcome", "satisfaction", "note"):
            if text.get(key):
                data[key] = text[key]
    elif action == "cancel":
        data["reason"] = text.get("reason", "")
    elif action == "note":
        data["text"] = text.get("text", "")
        data["visibility"] = text.get("visibility") or "internal"
    elif action == "assign":
        data["assignee_id"] = text.get("assignee_id")
    elif action == "pause":
        data["reason"] = text.get("reason")
        if text.get("note"):
            data["note"] = text["note"]
    else:  # complete_repair, wash, resume, acknowledge
        if text.get("note"):
            data["note"] = text["note"]
    return data


@bp.route("/<int:case_id>/act/<action>", methods=["POST"])
def act(case_id: int, action: str):
    user = require("workorders.read")
    if action not in WF.actions:
        abort(404)
    wo = get_or_404(WorkOrder, case_id, user, for_update=True)
    data = form_to_data(action, request.form, wo)
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
        flash(_("Choose a photo to upload."), "danger")
        return go_back(back)
    panel = request.form.get("panel") or None
    if panel not in dict(PANELS):
        panel = None
    try:
        services.add_photo(user, wo, file, panel, (request.form.get("note") or "").strip()[:500] or None)
    except DomainError as err:
        uow.rollback()
        flash(form_error_text(err), "danger")
        return go_back(back)
    flash(_("Photo added to the check-in sheet."), "success")
    return go_back(back)


@bp.route("/<int:case_id>/print")
def print_order(case_id: int):
    wo = _load(case_id)
    return render_template("workorders/print_order.html", wo=wo, L=labels(), panels=PANELS,
                           photos=services.photos_of(wo))


@bp.route("/<int:case_id>/settlement")
def settlement(case_id: int):
    wo = _load(case_id)
    if wo.state in ("reception", "estimated", "cancelled"):
        flash(_("There is no settlement before the customer has authorised the work."), "warning")
        return redirect(url_for("workorders.detail", case_id=wo.id))
    return render_template("workorders/settlement.html", wo=wo, L=labels())


# --- parts stock ---------------------------------------------------------------------------------
@bp.route("/parts", methods=["GET", "POST"])
def parts():
    """The store's parts stock: look up part numbers for the estimate; add a part."""
    from marshmallow import ValidationError

    from ..auth.permissions import store_for_new
    from .models import Part
    from .schemas import PartIn

    user = require("workorders.read")
    errors, values = {}, {}
    if request.method == "POST":
        require("parts.write", user)
        values = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
        values["safety_related"] = _bool(request.form, "safety_related")
        try:
            data = PartIn().load(values)
        except ValidationError as err:
            errors = err.messages
        else:
            data["part_number"] = data["part_number"].upper()
            store_id = store_for_new(user, data.pop("store_id", None))
            if db.session.scalar(sa.select(Part.id).where(Part.store_id == store_id,
                                                          Part.part_number == data["part_number"])):
                errors = {"part_number": [_("This part number is already in the list.")]}
            else:
                db.session.add(Part(store_id=store_id, **data))
                db.session.flush()
                flash(_("Part %(number)s added.", number=data["part_number"]), "success")
                return redirect(url_for("workorders.parts"))
    q = (request.args.get("q") or "").strip()
    stmt = scoped(sa.select(Part), Part, user)
    if q:
        stmt = stmt.where(sa.or_(Part.part_number.like(q.upper() + "%"), Part.name.like("%" + q + "%")))
    args = {"page": max(request.args.get("page", 1, type=int), 1), "per_page": 100}
    page = paginate(stmt.order_by(Part.part_number), args)
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
    if user.role not in ("advisor", "workshop", "customer_relations"):
        return None
    stmt = scoped(sa.select(WorkOrder), WorkOrder, user)
    if user.role == "advisor":
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
                         next=WF.actions[step["action"]].label if step else "",
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
nav_item("workorders.index", _l("Work orders"), roles=("advisor", "workshop", "customer_relations", "manager"))
nav_item("workorders.board", _l("Workshop board"), roles=("advisor", "workshop", "manager"))
