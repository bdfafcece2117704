"""Complaint pages for customer-relations staff: my complaints, the list, intake, the complaint
page with the customer's history beside the timeline, action forms, and the printable report."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from ..auth.permissions import can, get_or_404, require, sees_store, visible_store_ids
from ..auth.services import store_staff
from ..core import events
from ..core.errors import DomainError
from ..core.http import paginate
from ..core.templating import nav_item
from ..core.web import (
    CASE_ENDPOINTS,
    HISTORY_PROVIDERS,
    HOME_PANELS,
    NUMBER_LOOKUPS,
    case_url,
    refuse,
    run_form_action,
    staff_blueprint,
)
from ..customers import queries as customer_queries
from ..customers.models import Customer, Vehicle
from ..extensions import db
from . import labels, presenters, queries, services
from .models import Complaint
from .schemas import ComplaintIn, ComplaintQuery
from .services import HANDLER_ROLES
from .workflow import WF

bp = staff_blueprint("complaints", __name__, url_prefix="/complaints")

#: query args the intake page takes to prefill (the work-order page links here for unhappy callbacks)
PREFILL = ("customer_id", "vehicle_id", "channel", "category", "severity")
#: form fields holding a local date-time (datetime-local inputs, in the store's time zone)
LOCAL_DATETIMES = ("deadline_at", "met_at")
#: the action that moves a complaint on from each state: its form is shown first
STATE_ACTION = {"listen": "listen", "apologise": "apologise", "resolve": "resolve", "follow_up": "follow_up"}


def _user():
    return current_user._get_current_object()


def _local_to_iso(value: str) -> str:
    """A datetime-local value ("2026-05-01T10:00") in the user's store zone → ISO 8601 with offset."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value  # the schema says what is wrong with it
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(_user().store.timezone))
    return parsed.isoformat()


def form_dict(form) -> dict:
    """Form fields to a dict for a schema: blank means not given; local times get the store's zone."""
    out = {}
    for key, value in form.items():
        if key == "csrf_token" or value.strip() == "":
            continue
        out[key] = _local_to_iso(value) if key in LOCAL_DATETIMES else value
    return out


def choices(mapping: dict) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in mapping.items()]


def staff_choices(store_id: int, roles=None) -> list[tuple[int, str]]:
    stmt = store_staff(store_id, roles)
    return [(u.id, f"{u.display_name} ({labels.label(labels.ROLE_LABELS, u.role)})")
            for u in db.session.scalars(stmt)]


def _template_globals() -> dict:
    return {"L": labels, "next_step": presenters.next_step, "choices": choices}


# --- lists ---------------------------------------------------------------------------------------
@bp.route("/mine")
def mine():
    user = require("complaints.read")
    items = queries.my_open(user)
    return render_template("complaints/mine.html", items=items, **_template_globals())


@bp.route("/")
def index():
    user = require("complaints.read")
    raw = {k: v for k, v in request.args.items() if v.strip() != ""}
    query = dict(raw)
    for key, days in (("from", 0), ("to", 1)):
        # Date pickers send a day; "to" includes the whole day (the store's day, not UTC's).
        if len(query.get(key, "")) == 10:
            try:
                day = datetime.fromisoformat(query[key]).replace(tzinfo=ZoneInfo(user.store.timezone))
                query[key] = (day + timedelta(days=days)).isoformat()
            except (ValueError, OverflowError):  # the schema below names the filter
                pass
    try:
        args, errors = ComplaintQuery().load(query), {}
    except ValidationError as err:
        # Say which filter is wrong and show the unfiltered first page.
        args, errors = {"page": 1, "per_page": 50}, err.messages
    page = paginate(queries.complaint_list(user, args), args)
    stores = None
    if visible_store_ids(user) is None:
        import sqlalchemy as sa

        from ..auth.models import Store

        stores = [(s.id, f"{s.code} {s.name}") for s in db.session.scalars(sa.select(Store).order_by(Store.code))]
    filter_args = {k: v for k, v in raw.items() if k != "page"}
    return render_template("complaints/index.html", page=page, filters=raw, filter_args=filter_args,
                           errors=errors, stores=stores, staff=staff_choices(user.store_id, HANDLER_ROLES),
                           **_template_globals()), (422 if errors else 200)


# --- intake --------------------------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
def new():
    user = require("complaints.create")
    prefill = {k: request.args.get(k) for k in (*PREFILL, "work_order_id") if request.args.get(k)}
    values = dict(request.form) if request.method == "POST" else dict(prefill)
    errors: dict = {}
    customer = vehicle = None
    cid = values.get("customer_id")
    vid = values.get("vehicle_id")
    if vid and str(vid).isdigit():
        vehicle = db.session.get(Vehicle, int(vid))
        if vehicle is None or not sees_store(user, vehicle.store_id):
            vehicle = None
        elif not cid:
            cid = str(vehicle.customer_id)
            values["customer_id"] = cid
    if cid and str(cid).isdigit():
        customer = db.session.get(Customer, int(cid))
        if customer is None or not sees_store(user, customer.store_id):
            customer = None
    if request.method == "GET" and customer is not None and not values.get("vehicle_id") \
            and len(customer.vehicles) == 1:
        values["vehicle_id"] = str(customer.vehicles[0].id)  # one car: nothing to choose
    if request.method == "POST":
        try:
            data = ComplaintIn().load(form_dict(request.form))
            complaint = services.open_complaint(user, data)
        except ValidationError as err:
            errors = err.messages
        except DomainError as err:
            errors = refuse(err)
        else:
            flash(_("Complaint %(number)s logged.", number=complaint.number), "success")
            return redirect(url_for("complaints.detail", case_id=complaint.id))
    q = (request.args.get("q") or "").strip()
    found = []
    if q:
        found = list(db.session.scalars(customer_queries.customer_search(user, {"q": q}).limit(20)).unique())
    keep = {k: v for k, v in prefill.items() if k not in ("customer_id", "vehicle_id")}
    back = url_for("complaints.new", **keep)
    vehicle_options = [(v.id, f"{v.plate} · {v.make or ''} {v.model}") for v in (customer.vehicles if customer else [])]
    work_order_options = [(wo.id, f"{wo.number} · {wo.vehicle.plate} · {wo.created_at:%Y-%m-%d} · "
                                  f"{wo.customer_description[:40]}")
                          for wo in (queries.customer_work_orders(customer.id) if customer else [])]
    return render_template(
        "complaints/new.html", values=values, errors=errors, customer=customer, vehicle=vehicle, q=q, found=found,
        prefill=prefill, keep=keep, vehicle_options=vehicle_options,
        work_order_options=work_order_options, new_customer_url=url_for("customers.new", next=back),
        staff=staff_choices(user.store_id, HANDLER_ROLES),
        **_template_globals()), (422 if errors else 200)


# --- the complaint page ----------------------------------------------------------------------------
@bp.route("/<int:case_id>")
def detail(case_id: int):
    user = require("complaints.read")
    c = get_or_404(Complaint, case_id, user)
    history = [h for provider in HISTORY_PROVIDERS for h in provider(c.customer_id, user)
               if not (h.get("case_type") == "complaint" and h.get("id") == c.id)]
    history.sort(key=lambda h: h["created_at"], reverse=True)
    available = {a.name for a in WF.available(c, user)}
    return render_template(
        "complaints/detail.html", c=c, history=history, timeline=events.timeline("complaint", c.id),
        available=available, main_action=STATE_ACTION.get(c.state), staff=staff_choices(c.store_id, HANDLER_ROLES),
        vehicles=[(v.id, f"{v.plate} · {v.model}") for v in c.customer.vehicles], case_url=case_url,
        **_template_globals())


@bp.route("/<int:case_id>/actions/<action>", methods=["POST"])
def act(case_id: int, action: str):
    user = require("complaints.read")
    c = get_or_404(Complaint, case_id, user, for_update=True)
    WF.action(action)  # unknown action → 404
    data = form_dict(request.form)
    return run_form_action(WF, c, action, data, redirect_to=url_for("complaints.detail", case_id=c.id),
                           success=_("Done: %(action)s.", action=labels.label(labels.ACTION_LABELS, action)))


@bp.route("/<int:case_id>/report")
def report(case_id: int):
    user = require("complaints.read")
    c = get_or_404(Complaint, case_id, user)
    return render_template("complaints/report.html", c=c, timeline=events.timeline("complaint", c.id),
                           **_template_globals())


# --- what other pages see of complaints ------------------------------------------------------------
def history_rows(customer_id: int, user) -> list[dict]:
    if not can(user, "complaints.read"):
        return []
    return [{
        "case_type": "complaint", "id": c.id, "number": c.number, "state": labels.label(labels.STATE_LABELS, c.state),
        "created_at": c.created_at, "url": url_for("complaints.detail", case_id=c.id), "vehicle_id": c.vehicle_id,
        "title": f"{_('Complaint')}: {labels.label(labels.CATEGORY_LABELS, c.category)} · "
                 f"{labels.label(labels.CHANNEL_LABELS, c.channel)}",
    } for c in queries.for_customer(customer_id, user)]


def lookup_number(number: str, user) -> str | None:
    if not number.startswith("CP-") or not can(user, "complaints.read"):
        return None
    c = queries.by_number(number, user)
    return url_for("complaints.detail", case_id=c.id) if c else None


def _panel_rows(rows) -> list[dict]:
    return [{"number": c.number, "url": url_for("complaints.detail", case_id=c.id),
             "title": f"{c.customer.name} · {labels.label(labels.CATEGORY_LABELS, c.category)}",
             "next": labels.label(labels.NEXT_STEP_SHORT, c.state),
             "due": (_("due %(when)s", when=c.deadline_at.strftime("%Y-%m-%d")) if c.deadline_at else ""),
             "overdue": False} for c in rows]


def home_panel(user):
    """Complaints assigned or escalated to the user (customer relations, advisors, managers)."""
    if user.role not in HANDLER_ROLES:
        return None
    return {"title": _("My complaints"), "more_url": url_for("complaints.mine"),
            "empty": _("No open complaint is waiting on you."), "rows": _panel_rows(queries.my_open(user, limit=10))}


def escalations_panel(user):
    """Managers: escalated complaints nobody has taken ownership of yet (by hand or by the SLA ladder)."""
    if user.role != "manager":
        return None
    return {"title": _("Escalated complaints not yet acknowledged"),
            "more_url": url_for("complaints.index", escalated="true", open="true"),
            "empty": _("No escalated complaint is waiting."), "rows": _panel_rows(queries.escalated_open(user))}


CASE_ENDPOINTS["complaint"] = "complaints.detail"
HISTORY_PROVIDERS.append(history_rows)
NUMBER_LOOKUPS.append(lookup_number)
HOME_PANELS.append(home_panel)
HOME_PANELS.append(escalations_panel)
nav_item("complaints.mine", _l("Complaints"),
         roles=("customer_relations", "advisor", "front_desk_supervisor", "manager", "workshop"))
