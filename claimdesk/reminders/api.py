"""JSON API of the call lists: /api/v1/reminders (the due list, outcomes, booking) and
/api/v1/campaigns (recall / free inspection lists, their contacts, outcomes, booking). The rules are
the pages' own: services.py and campaigns.py."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import get_or_404, require
from ..core.http import page_schema, paginate, paginate_list
from ..customers.models import Vehicle
from . import campaigns, presenters, queries, services
from .models import Campaign, ServiceReminder
from .presenters import CampaignCreatedOut, CampaignOut
from .schemas import (BookIn, CampaignIn, CampaignQuery, ContactBookedOut, ContactOut, ContactQuery,
                      OutcomeIn, ReminderBookedOut, ReminderOut, ReminderQuery)

blp = Blueprint("reminders_api", __name__, url_prefix="/api/v1",
                description="Service reminders (保养提醒) and campaigns (召回 / 免费检测)")

FULL = "invalid fields, not a slot, or the slot / day / advisor is full (as /appointments)"


def _values(data: dict, vehicle_id: int, row=None) -> dict:
    """The diary's booking of the vehicle; the request defaults to what the page pre-fills (`row` None:
    a reminder not made yet)."""
    values = BookIn().dump(data)
    values.setdefault("request", services.booking_request(row))
    values["vehicle_id"] = vehicle_id
    return values


def _book(row, user, data: dict, source: str):
    return services.book_for(row, user, _values(data, row.vehicle_id, row), source=source)


# --- reminders -----------------------------------------------------------------------------------
@blp.route("/reminders")
@blp.arguments(ReminderQuery, location="query")
@blp.response(200, page_schema(ReminderOut))
def reminders(args):
    """The due list: vehicles due within the window (overdue first), each with its reminder if made."""
    user = require("reminders.read")
    return paginate_list(queries.due_entries(user, args), args)


@blp.route("/reminders/<int:reminder_id>")
@blp.response(200, ReminderOut)
def reminder(reminder_id):
    user = require("reminders.read")
    return services.entry_of(get_or_404(ServiceReminder, reminder_id, user))


@blp.route("/reminders/<int:reminder_id>/outcome", methods=["POST"])
@blp.arguments(OutcomeIn)
@blp.response(200, ReminderOut)
@blp.alt_response(409, description="the outcome is recorded already (booked or declined)")
def reminder_outcome(data, reminder_id):
    user = require("reminders.work")
    row = get_or_404(ServiceReminder, reminder_id, user, for_update=True)
    services.record_outcome(row, data["outcome"], user, note=data.get("note"))
    return services.entry_of(row)


@blp.route("/reminders/<int:reminder_id>/book", methods=["POST"])
@blp.arguments(BookIn)
@blp.response(201, ReminderBookedOut)
@blp.alt_response(422, description=FULL)
@blp.alt_response(409, description="the outcome is recorded already (booked or declined)")
def reminder_book(data, reminder_id):
    user = require("reminders.work")
    row = get_or_404(ServiceReminder, reminder_id, user, for_update=True)
    appointment = _book(row, user, data, "reminder")
    return {"appointment": appointment, "reminder": services.entry_of(row)}


@blp.route("/reminders/vehicles/<int:vehicle_id>/book", methods=["POST"])
@blp.arguments(BookIn)
@blp.response(201, ReminderBookedOut)
@blp.alt_response(404, description="not a vehicle of a store the caller sees, or it has no service due")
@blp.alt_response(422, description=FULL)
@blp.alt_response(409, description="the outcome of its reminder is recorded already (booked or declined)")
def vehicle_book(data, vehicle_id):
    """Book from the due list a vehicle with no reminder yet (`id` null there): its reminder of the due date
    is made now, in the booking's transaction, as the page's booking does."""
    user = require("reminders.work")
    vehicle = get_or_404(Vehicle, vehicle_id, user, for_update=True)
    appointment, row = services.book_vehicle(vehicle, user, _values(data, vehicle.id))
    return {"appointment": appointment, "reminder": services.entry_of(row)}


# --- campaigns -----------------------------------------------------------------------------------
@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.arguments(CampaignQuery, location="query")
    @blp.response(200, page_schema(CampaignOut))
    def get(self, args):
        user = require("reminders.read")
        page = paginate(queries.campaign_list(user, args), args)
        return {**page, "items": presenters.listed(page["items"])}

    @blp.arguments(CampaignIn)
    @blp.response(201, CampaignCreatedOut)
    def post(self, data):
        """Make the campaign's contact list: the store's vehicles by the VINs and/or the model filter."""
        user = require("campaigns.manage")
        campaign, unknown = campaigns.create_campaign(user, data)
        return {"campaign": campaign, "unknown_vins": unknown}


@blp.route("/campaigns/<int:campaign_id>")
@blp.response(200, CampaignOut)
def campaign(campaign_id):
    user = require("reminders.read")
    return get_or_404(Campaign, campaign_id, user)


@blp.route("/campaigns/<int:campaign_id>/contacts")
@blp.arguments(ContactQuery, location="query")
@blp.response(200, page_schema(ContactOut))
def contacts(args, campaign_id):
    user = require("reminders.read")
    return paginate(queries.contact_list(get_or_404(Campaign, campaign_id, user), args), args)


@blp.route("/campaigns/contacts/<int:contact_id>/outcome", methods=["POST"])
@blp.arguments(OutcomeIn)
@blp.response(200, ContactOut)
@blp.alt_response(409, description="the outcome is recorded already (booked or declined)")
def contact_outcome(data, contact_id):
    user = require("reminders.work")
    row = campaigns.contact_or_404(contact_id, user, for_update=True)
    return services.record_outcome(row, data["outcome"], user, note=data.get("note"))


@blp.route("/campaigns/contacts/<int:contact_id>/book", methods=["POST"])
@blp.arguments(BookIn)
@blp.response(201, ContactBookedOut)
@blp.alt_response(422, description=FULL)
@blp.alt_response(409, description="the outcome is recorded already (booked or declined)")
def contact_book(data, contact_id):
    user = require("reminders.work")
    row = campaigns.contact_or_404(contact_id, user, for_update=True)
    return {"appointment": _book(row, user, data, "campaign"), "contact": row}
