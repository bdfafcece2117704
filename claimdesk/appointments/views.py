"""Diary pages: the day per advisor (printable), booking (phone search, or from a case or reminder),
cancel / no-show, receiving an appointment through the pre-filled reception, the store's settings,
and today's arrivals on the home page."""
from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.models import Store
from ..auth.permissions import can, get_or_404, require
from ..auth.services import store_staff
from ..core.errors import DomainError
from ..core.templating import fmt_dt, nav_item
from ..core.web import HOME_PANELS, form_error_text, refuse, staff_blueprint
from ..customers import queries as customer_queries
from ..customers.models import Customer
from ..extensions import db
from ..workorders import forms as wo_forms
from ..workorders.labels import DAMAGE_KINDS, PANELS
from ..workorders.models import PAY_TYPES, PRIORITIES
from ..workorders.views import labels as wo_labels
from . import services
from .labels import SETTING_LABELS, SOURCE_LABELS, STATE_LABELS
from .models import Appointment

bp = staff_blueprint("appointments", __name__, url_prefix="/appointments")


def _user():
    return current_user._get_current_object()


def _day(value: str | None, store: Store) -> date:
    try:
        return date.fromisoformat(value) if value else services.local_today(store)
    except ValueError:
        return services.local_today(store)


def advisors(store_id: int) -> list:
    return list(db.session.scalars(store_staff(store_id, services.ADVISOR_ROLES)))


# --- the diary -----------------------------------------------------------------------------------
@bp.route("/")
def diary():
    user = require("appointments.read")
    store = user.store
    day = _day(request.args.get("date"), store)
    advisor_id = request.args.get("advisor_id", type=int)
    if advisor_id is None and user.role == "advisor" and request.args.get("all") != "1":
        advisor_id = user.id
    slots = services.day_slots(store, day, advisor_id)
    every = services.appointments_of_day(store.id, store, day)
    counts = {s: sum(a.state == s for a in every) for s in STATE_LABELS}
    return render_template("appointments/diary.html", day=day, prev=day - timedelta(days=1),
                           next=day + timedelta(days=1), slots=slots, advisors=advisors(store.id),
                           advisor_id=advisor_id, counts=counts, states=STATE_LABELS, sources=SOURCE_LABELS,
                           cfg=services.settings(store), may_book=can(user, "appointments.book"),
                           may_receive=can(user, "workorders.create"), now=services.now())


# --- booking -------------------------------------------------------------------------------------
def booking_data(form) -> dict:
    """The booking form's fields as AppointmentIn data."""
    data = {k: form.get(k, "").strip() for k in ("customer_id", "vehicle_id", "advisor_id", "request", "source")}
    data["starts_at"] = form.get("starts_at", "").strip()
    return {k: v for k, v in data.items() if v != ""}


def render_booking(user, values: dict, errors: dict, *, action: str | None = None, hidden: dict | None = None,
                   heading=None, status: int = 200):
    """The booking form (also used by the reminder and campaign lists, with their own action and fields)."""
    store = user.store
    customer = None
    if str(values.get("customer_id", "")).isdigit():
        customer = get_or_404(Customer, int(values["customer_id"]), user)
    q = (values.get("q") or "").strip()
    matches = []
    if customer is None and q:
        matches = list(db.session.scalars(customer_queries.customer_search(user, {"q": q}).limit(20)).unique())
    day = _day(values.get("date"), store)
    slots = [s for s in services.day_slots(store, day) if s["free"]]
    return render_template("appointments/book.html", customer=customer, matches=matches, q=q, values=values,
                           errors=errors, day=day, slots=slots, advisors=advisors(store.id), action=action,
                           hidden=hidden or {}, heading=heading or _("Book an appointment"),
                           sources=SOURCE_LABELS), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    user = require("appointments.book")
    if request.method == "POST":
        try:
            appt = services.book(user, booking_data(request.form))
        except DomainError as err:
            errors = refuse(err)
            flash(form_error_text(err), "danger")
            return render_booking(user, dict(request.form), errors, status=422)
        flash(_("Appointment booked for %(at)s.", at=fmt_dt(appt.starts_at)), "success")
        return redirect(url_for("appointments.diary", date=services.local_day(appt).isoformat()))
    return render_booking(user, dict(request.args), {})


def _load(appointment_id: int) -> Appointment:
    return get_or_404(Appointment, appointment_id, require("appointments.read"))


@bp.route("/<int:appointment_id>/<any(cancel, no_show):verb>", methods=["POST"])
def close(appointment_id: int, verb: str):
    user = require("appointments.book")
    appt = _load(appointment_id)
    back = request.form.get("next") or url_for("appointments.diary", date=services.local_day(appt).isoformat())
    try:
        (services.cancel if verb == "cancel" else services.mark_no_show)(appt, user, request.form.get("note"))
    except DomainError as err:
        return refuse(err, back=back)
    flash(_("Appointment cancelled.") if verb == "cancel" else _("Marked as no-show."), "success")
    return redirect(back)


@bp.route("/<int:appointment_id>/receive", methods=["GET", "POST"])
def receive(appointment_id: int):
    """The reception form pre-filled from the appointment; opening the work order marks it arrived."""
    user = require("workorders.create")
    appt = _load(appointment_id)
    if appt.state not in ("booked", "no_show"):
        flash(_("The appointment is %(state)s already.", state=STATE_LABELS[appt.state]), "warning")
        return redirect(url_for("appointments.diary", date=services.local_day(appt).isoformat()))
    values = {k: ("" if v is None else v) for k, v in services.reception_values(appt).items()}
    values["appointment_at"] = services.local_day_time(appt)
    errors = {}
    if request.method == "POST":
        values = dict(request.form)
        data = {k: v.strip() for k, v in request.form.items()
                if k in ("mileage_km", "customer_description", "pay_type", "mileage_reason", "priority")
                and v.strip() != ""}
        data.update(wo_forms.check_in_data(request.form))
        if appt.advisor_id:
            data["assignee_id"] = appt.advisor_id
        try:
            wo = services.receive(appt, user, data)
        except DomainError as err:
            errors = refuse(err)
            flash(form_error_text(err), "danger")
        else:
            flash(_("Work order %(number)s opened.", number=wo.number), "success")
            return redirect(url_for("workorders.detail", case_id=wo.id))
    return render_template("workorders/new.html", customer=appt.customer, parent=None, matches=[], q="",
                           values=values, errors=errors, vehicle_id=appt.vehicle_id, L=wo_labels(), panels=PANELS,
                           damage_kinds=DAMAGE_KINDS, pay_types=PAY_TYPES, priorities=PRIORITIES,
                           appointment=appt), (422 if errors else 200)


# --- settings ------------------------------------------------------------------------------------
@bp.route("/settings", methods=["GET", "POST"])
def settings():
    user = require("appointments.settings")
    store = user.store
    errors, values = {}, services.settings(store)
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in SETTING_LABELS}
        try:
            services.save_settings(store, {k: v for k, v in values.items() if v}, user)
        except DomainError as err:
            errors = refuse(err)
        else:
            flash(_("Diary settings saved."), "success")
            return redirect(url_for("appointments.settings"))
    return render_template("appointments/settings.html", values=values, errors=errors, labels=SETTING_LABELS), \
        (422 if errors else 200)


def booking_link(customer_id: int, vehicle_id: int, source: str = "case") -> dict | None:
    """The "Book an appointment" button of a vehicle or case page (a Jinja global: lower layers' pages
    show it without importing this package); None when the user may not book."""
    if not can(current_user, "appointments.book"):
        return None
    return {"url": url_for("appointments.new", customer_id=customer_id, vehicle_id=vehicle_id, source=source),
            "label": _("Book an appointment")}


# --- the home page -------------------------------------------------------------------------------
def _home_panel(user):
    """Today's arrivals: the advisor's own, the whole store's for reception and managers."""
    if not can(user, "appointments.read") or user.role in ("workshop", "qc_inspector", "info_clerk"):
        return None
    store = user.store
    mine = user.role == "advisor"
    rows = []
    for appt in services.appointments_of_day(store.id, store, services.local_today(store),
                                             user.id if mine else None):
        if appt.state == "cancelled":
            continue
        url = (url_for("appointments.receive", appointment_id=appt.id)
               if appt.state == "booked" and can(user, "workorders.create")
               else url_for("appointments.diary", date=services.local_day(appt).isoformat()))
        rows.append(dict(number=fmt_dt(appt.starts_at, "HH:mm"), url=url,
                         title=f"{appt.vehicle.plate} · {appt.customer.name} · {appt.request[:40]}",
                         next=STATE_LABELS[appt.state], due=appt.advisor.display_name if appt.advisor else "",
                         overdue=appt.state == "booked" and appt.starts_at < services.now()))
    return dict(title=_("My arrivals today") if mine else _("Arrivals today"), rows=rows,
                more_url=url_for("appointments.diary"), empty=_("No appointments today."))


HOME_PANELS.append(_home_panel)
nav_item("appointments.diary", _l("Appointments"),
         roles=("advisor", "front_desk_supervisor", "customer_relations", "manager"))
