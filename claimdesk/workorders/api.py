"""JSON API of work orders: /api/v1/work-orders (+ actions and events), and the parts stock."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from ..auth.permissions import get_or_404, require
from ..cases.api import register_case_routes
from ..core.http import page_schema, paginate
from ..documents.schemas import DocumentOut
from . import parts, queries, services
from .labels import PANELS
from .models import WorkOrder
from .photos import add_photo, photos_of
from .presenters import WorkOrderOut
from .parts import PartIn, PartOut, PartQuery
from .schemas import (
    RecommendationList,
    WorkOrderBrief,
    WorkOrderIn,
    WorkOrderQuery,
)
from .workflow import WF

# Amounts are decimal strings ("1280.00") in the OpenAPI document too.

blp = Blueprint("workorders_api", __name__, url_prefix="/api/v1", description="Work orders")


@blp.route("/work-orders")
class WorkOrders(MethodView):
    @blp.arguments(WorkOrderQuery, location="query")
    @blp.response(200, page_schema(WorkOrderBrief))
    def get(self, args):
        """Work orders of the caller's stores, newest first; filter by any listed field."""
        user = require("workorders.read")
        return paginate(queries.work_order_list(user, args), args)

    @blp.arguments(WorkOrderIn)
    @blp.response(201, WorkOrderOut)
    def post(self, data):
        """Open a work order at reception (check-in sheet fields optional)."""
        user = require("workorders.create")
        return services.create_work_order(user, data)


@blp.route("/work-orders/<int:case_id>")
class WorkOrderItem(MethodView):
    @blp.response(200, WorkOrderOut)
    def get(self, case_id):
        """One work order with its lines, checks and totals per pay type."""
        user = require("workorders.read")
        return get_or_404(WorkOrder, case_id, user)


@blp.route("/work-orders/<int:case_id>/recommendations")
class WorkOrderRecommendations(MethodView):
    @blp.response(200, RecommendationList)
    def get(self, case_id):
        """Items declined or deferred at this vehicle's earlier visits, to offer again."""
        user = require("workorders.read")
        return {"items": queries.recommendations(get_or_404(WorkOrder, case_id, user))}


class PhotoForm(Schema):
    # checked by photos.photo_meta, the one rule of the API and the page (unknown panel: 422 on `panel`)
    panel = fields.String(load_default=None, metadata={
        "description": "Optional; one of the check-in sheet's panels: " + ", ".join(p for p, _label in PANELS)})
    note = fields.String(load_default=None, metadata={"description": "Optional, trimmed, at most 500 characters."})


class PhotoFiles(Schema):
    file = Upload(required=True)


class PhotoOut(DocumentOut):
    panel = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class PhotoList(Schema):
    items = fields.List(fields.Nested(PhotoOut))


@blp.route("/work-orders/<int:case_id>/photos")
class WorkOrderPhotos(MethodView):
    @blp.response(200, PhotoList)
    def get(self, case_id):
        """Photos of the car taken at check-in (download each through its `content_url`)."""
        user = require("workorders.read")
        return {"items": photos_of(get_or_404(WorkOrder, case_id, user))}

    @blp.arguments(PhotoForm, location="form")
    @blp.arguments(PhotoFiles, location="files")
    @blp.response(201, PhotoOut)
    @blp.alt_response(413, description="The file is larger than the upload limit.")
    @blp.alt_response(415, description="Not a JPEG, PNG or PDF (checked by content, not by name).")
    def post(self, form, files, case_id):
        """Attach a photo of the car (multipart: `file`, optional `panel`, `note`); noted on the timeline."""
        user = require("workorders.read")
        require("documents.upload", user)
        wo = get_or_404(WorkOrder, case_id, user, for_update=True)
        return add_photo(user, wo, files["file"], form.get("panel"), form.get("note"))


register_case_routes(blp, WF, "work-orders", WorkOrderOut, "workorders.read")


@blp.route("/parts")
class Parts(MethodView):
    @blp.arguments(PartQuery, location="query")
    @blp.response(200, page_schema(PartOut))
    def get(self, args):
        """The store's parts stock (备品库存), searchable by part number or name."""
        user = require("workorders.read")
        return paginate(parts.search(user, args.get("q"), args.get("store_id")), args)

    @blp.arguments(PartIn)
    @blp.response(201, PartOut)
    def post(self, data):
        """Add a part to the store's stock list."""
        return parts.add_part(require("parts.write"), data)
