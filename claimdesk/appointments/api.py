"""JSON API of the diary: /api/v1/appointments (book, list, get, cancel, no-show, arrive)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import get_or_404, require
from ..core.http import page_schema, paginate
from . import queries, services
from .models import Appointment
from .schemas import AppointmentIn, AppointmentOut, AppointmentQuery, ArriveIn, CloseIn

blp = Blueprint("appointments_api", __name__, url_prefix="/api/v1", description="Appointment diary (预约)")


@blp.route("/appointments")
class Appointments(MethodView):
    @blp.arguments(AppointmentQuery, location="query")
    @blp.response(200, page_schema(AppointmentOut))
    def get(self, args):
        user = require("appointments.read")
        return paginate(queries.appointment_list(user, args), args)

    @blp.arguments(AppointmentIn)
    @blp.response(201, AppointmentOut)
    @blp.alt_response(422, description="invalid fields, not a slot, or the slot / day / advisor is full")
    def post(self, data):
        user = require("appointments.book")
        return services.book(user, AppointmentIn().dump(data))


@blp.route("/appointments/<int:appointment_id>")
class AppointmentItem(MethodView):
    @blp.response(200, AppointmentOut)
    def get(self, appointment_id):
        user = require("appointments.read")
        return get_or_404(Appointment, appointment_id, user)


@blp.route("/appointments/<int:appointment_id>/cancel", methods=["POST"])
@blp.arguments(CloseIn)
@blp.response(200, AppointmentOut)
def cancel(data, appointment_id):
    user = require("appointments.book")
    return services.cancel(get_or_404(Appointment, appointment_id, user, for_update=True), user, data.get("note"))


@blp.route("/appointments/<int:appointment_id>/no-show", methods=["POST"])
@blp.arguments(CloseIn)
@blp.response(200, AppointmentOut)
def no_show(data, appointment_id):
    user = require("appointments.book")
    return services.mark_no_show(get_or_404(Appointment, appointment_id, user, for_update=True), user,
                                 data.get("note"))


@blp.route("/appointments/<int:appointment_id>/arrive", methods=["POST"])
@blp.arguments(ArriveIn)
@blp.response(200, AppointmentOut)
def arrive(data, appointment_id):
    user = require("workorders.create")
    return services.arrive(get_or_404(Appointment, appointment_id, user, for_update=True), user, data)
