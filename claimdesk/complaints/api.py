"""JSON API of complaints: /api/v1/complaints, its actions and its timeline (api.md)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import get_or_404, require
from ..cases.api import register_case_routes
from ..core.http import page_schema, paginate
from . import queries, services
from .models import Complaint
from .presenters import ComplaintDetailOut, ComplaintOut
from .schemas import ComplaintIn, ComplaintQuery
from .workflow import WF

blp = Blueprint("complaints_api", __name__, url_prefix="/api/v1", description="Customer complaints")


@blp.route("/complaints")
class Complaints(MethodView):
    @blp.arguments(ComplaintQuery, location="query")
    @blp.response(200, page_schema(ComplaintOut))
    def get(self, args):
        """Complaints of the caller's stores, newest first; filter by state, channel, category, severity,
        store, assignee, date range (`from`, `to`), customer, vehicle, or `q` (phone, plate, VIN, name)."""
        user = require("complaints.read")
        return paginate(queries.complaint_list(user, args), args)

    @blp.arguments(ComplaintIn)
    @blp.response(201, ComplaintDetailOut)
    def post(self, data):
        """Log a complaint; it starts in `listen` with its first-response and resolution clocks running."""
        user = require("complaints.create")
        return services.open_complaint(user, data)


@blp.route("/complaints/<int:complaint_id>")
class ComplaintItem(MethodView):
    @blp.response(200, ComplaintDetailOut)
    def get(self, complaint_id):
        user = require("complaints.read")
        return get_or_404(Complaint, complaint_id, user)


register_case_routes(blp, WF, "complaints", ComplaintDetailOut, "complaints.read")
