"""Pages of the call lists: the due list and its reminders, the campaigns and their contacts, with
the outcome forms and booking through the diary's booking form (same transaction)."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..appointments import services as diary
from ..appointments.views import booking_data, render_booking
from ..auth.permissions import can, get_or_404, require
from ..core.errors import DomainError
from ..core.templating import fmt_dt, nav_item
from ..core.web import form_error_text, refuse, staff_blueprint
from ..customers.models import Vehicle
from ..extensions import db
from . import campaigns as campaign_services
from . import queries, services
from .labels import CHANNEL_LABELS, DUE_BY_LABELS, KIND_LABELS, STATE_LABELS
from .models import Campaign, CampaignContact, ServiceReminder

bp = staff_blueprint("reminders", __name__, url_prefix="/reminders")


def _labels() -> dict:
    return dict(states=STATE_LABELS, channels=CHANNEL_LABELS, due_by=DUE_BY_LABELS, kinds=KIND_LABELS)


# --- the due list --------------------------------------------------------------------------------
@bp.route("/")
def due():
    user = require("reminders.read")
    store = user.store
    days = services.due_window(store, request.args.get("days", type=int))
    entries = services.due_list(store, days)
    return render_template("reminders/due.html", entries=entries, calls=queries.call_list(user), days=days,
                           L=_labels(), today=diary.local_today(store), may_work=can(user, "reminders.work"))


@bp.route("/<int:reminder_id>/outcome", methods=["POST"])
def reminder_outcome(reminder_id: int):
    user = require("reminders.work")
    row = get_or_404(ServiceReminder, reminder_id, user)
    return _outcome(row, user, url_for("reminders.due"))


def _outcome(row, user, back: str):
    try:
        services.record_outcome(row, request.form.get("outcome", ""), user, note=request.form.get("note"))
    except DomainError as err:
        return refuse(err, back=back)
    flash(_("Outcome recorded: %(outcome)s.", outcome=STATE_LABELS[row.state]), "success")
    return redirect(back)


def _book(book, user, vehicle_id: int, request_for: str, *, source: str, action: str, heading, back_ok):
    """The diary's booking form for a vehicle; on POST `book(data)` books it and records `booked` on the
    reminder or contact (same transaction); `request_for` pre-fills the request."""
    if request.method == "POST":
        try:
            appt = book(booking_data(request.form))
        except DomainError as err:
            errors = refuse(err)
            flash(form_error_text(err), "danger")
            return render_booking(user, dict(request.form), errors, action=action, hidden={"source": source},
                                  heading=heading, status=422)
        flash(_("Appointment booked for %(at)s.", at=fmt_dt(appt.starts_at)), "success")
        return redirect(back_ok)
    vehicle = db.session.get(Vehicle, vehicle_id)
    values = {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "request": request_for,
              **{k: v for k, v in request.args.items() if k in ("date", "starts_at", "advisor_id")}}
    return render_booking(user, values, {}, action=action, hidden={"source": source}, heading=heading)


@bp.route("/<int:reminder_id>/book", methods=["GET", "POST"])
def reminder_book(reminder_id: int):
    user = require("reminders.work")
    row = get_or_404(ServiceReminder, reminder_id, user)
    return _book(partial(services.book_for, row, user, source="reminder"), user, row.vehicle_id,
                 services.booking_request(row), source="reminder",
                 action=url_for("reminders.reminder_book", reminder_id=row.id),
                 heading=_("Book the service of %(plate)s", plate=row.vehicle.plate),
                 back_ok=url_for("reminders.due"))


@bp.route("/vehicle/<int:vehicle_id>/book", methods=["GET", "POST"])
def vehicle_book(vehicle_id: int):
    """Book from the due list: the vehicle's reminder of its due date (made now if the job has not yet)."""
    user = require("reminders.work")
    vehicle = get_or_404(Vehicle, vehicle_id, user)
    services.due_or_404(vehicle)
    return _book(lambda data: services.book_vehicle(vehicle, user, data)[0], user, vehicle.id,
                 services.booking_request(None), source="reminder",
                 action=url_for("reminders.vehicle_book", vehicle_id=vehicle.id),
                 heading=_("Book the service of %(plate)s", plate=vehicle.plate),
                 back_ok=url_for("reminders.due"))


# --- campaigns -----------------------------------------------------------------------------------
@bp.route("/campaigns")
def campaigns():
    user = require("reminders.read")
    rows = list(db.session.scalars(queries.campaign_list(user, {})))
    return render_template("reminders/campaigns.html", campaigns=rows,
                           progress=campaign_services.progress_of(c.id for c in rows), L=_labels(),
                           may_manage=can(user, "campaigns.manage"))


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign():
    user = require("campaigns.manage")
    values, errors = dict(request.form), {}
    if request.method == "POST":
        try:
            campaign, unknown = campaign_services.create_campaign(user, values)
        except DomainError as err:
            errors = refuse(err)
        else:
            flash(_("Campaign created: %(n)s vehicles.", n=len(campaign.contacts)), "success")
            if unknown:
                flash(_("Not vehicles of this store: %(vins)s", vins=", ".join(unknown[:20])), "warning")
            return redirect(url_for("reminders.campaign", campaign_id=campaign.id))
    if not values:
        values = {"starts_on": diary.local_today(user.store).isoformat()}
    return render_template("reminders/campaign_form.html", values=values, errors=errors, L=_labels()), \
        (422 if errors else 200)


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    user = require("reminders.read")
    row = get_or_404(Campaign, campaign_id, user)
    return render_template("reminders/campaign.html", campaign=row, progress=campaign_services.progress(row),
                           L=_labels(), may_work=can(user, "reminders.work"), today=diary.local_today(user.store))


@bp.route("/campaigns/contacts/<int:contact_id>/outcome", methods=["POST"])
def contact_outcome(contact_id: int):
    user = require("reminders.work")
    row = _contact(contact_id, user)
    return _outcome(row, user, url_for("reminders.campaign", campaign_id=row.campaign_id))


@bp.route("/campaigns/contacts/<int:contact_id>/book", methods=["GET", "POST"])
def contact_book(contact_id: int):
    user = require("reminders.work")
    row = _contact(contact_id, user)
    return _book(partial(services.book_for, row, user, source="campaign"), user, row.vehicle_id,
                 services.booking_request(row), source="campaign",
                 action=url_for("reminders.contact_book", contact_id=row.id),
                 heading=_("Book %(plate)s for %(title)s", plate=row.vehicle.plate, title=row.campaign.title),
                 back_ok=url_for("reminders.campaign", campaign_id=row.campaign_id))


def _contact(contact_id: int, user) -> CampaignContact:
    return campaign_services.contact_or_404(contact_id, user)


nav_item("reminders.due", _l("Service due"),
         roles=("advisor", "front_desk_supervisor", "customer_relations", "manager", "info_clerk"))
