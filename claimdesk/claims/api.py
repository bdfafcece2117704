"""JSON API of claims and insurers: /api/v1/claims, its actions, documents and receivables; /api/v1/insurers."""
from __future__ import annotations

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.permissions import get_or_404, require, require_group_wide
from ..cases.api import register_case_routes
from ..core.http import page_schema, paginate
from ..documents import services as documents
from ..documents.api import upload_route
from . import insurers, queries, services
from .models import Claim, Insurer
from .presenters import ClaimOut
from .schemas import (
    ClaimChecklistOut,
    ClaimIn,
    ClaimQuery,
    ClaimReceivablesQuery,
    ClaimUploadForm,
    ClaimUploadOut,
    InsurerIn,
    InsurerOut,
    InsurerPatch,
    InsurerQuery,
)
from .workflow import WF

blp = Blueprint("claims_api", __name__, url_prefix="/api/v1", description="Insurance claims and insurers")


# --- insurers -------------------------------------------------------------------------------------
@blp.route("/insurers")
class Insurers(MethodView):
    @blp.arguments(InsurerQuery, location="query")
    @blp.response(200, page_schema(InsurerOut))
    def get(self, args):
        """Insurance companies with their contacts and required documents."""
        import sqlalchemy as sa

        require("insurers.read")
        stmt = sa.select(Insurer)
        if args.get("active") is not None:
            stmt = stmt.where(Insurer.active.is_(args["active"]))
        if args.get("q"):
            like = f"%{args['q'].strip()}%"
            stmt = stmt.where(sa.or_(Insurer.name.ilike(like), Insurer.short_name.ilike(like)))
        return paginate(stmt.order_by(Insurer.name), args)

    @blp.arguments(InsurerIn)
    @blp.response(201, InsurerOut)
    def post(self, data):
        """Add an insurer; `required_documents` defaults to every document kind."""
        user = require("insurers.write")
        return insurers.create_insurer(data, user)


@blp.route("/insurers/<int:insurer_id>")
class InsurerItem(MethodView):
    @blp.response(200, InsurerOut)
    def get(self, insurer_id):
        require("insurers.read")
        return _insurer(insurer_id)

    @blp.arguments(InsurerPatch)
    @blp.response(200, InsurerOut)
    def patch(self, data, insurer_id):
        """Change an insurer (group-wide managers and admins: insurers are shared by every store); a new
        document list applies to claims reported from now on; the change goes on the insurer's history."""
        user = require_group_wide("insurers.edit")
        return insurers.update_insurer(_insurer(insurer_id), data, user)


def _insurer(insurer_id: int) -> Insurer:
    from ..core.errors import NotFound
    from ..extensions import db

    insurer = db.session.get(Insurer, insurer_id)
    if insurer is None:
        raise NotFound(str(_l("Insurer %(id)s not found.", id=insurer_id)))
    return insurer


# --- claims ---------------------------------------------------------------------------------------
@blp.route("/claims")
class Claims(MethodView):
    @blp.arguments(ClaimQuery, location="query")
    @blp.response(200, page_schema(ClaimOut))
    def get(self, args):
        """Claims of the caller's stores; filters: state, insurer_id, missing_documents, q …"""
        user = require("claims.read")
        return paginate(queries.claim_list(user, args), args)

    @blp.arguments(ClaimIn)
    @blp.response(201, ClaimOut)
    def post(self, data):
        """Report a claim (报案); its document checklist is built from the insurer's list."""
        user = require("claims.create")
        return services.open_claim(user, data)


@blp.route("/claims/<int:claim_id>")
class ClaimItem(MethodView):
    @blp.response(200, ClaimOut)
    def get(self, claim_id):
        user = require("claims.read")
        return get_or_404(Claim, claim_id, user)


register_case_routes(blp, WF, "claims", ClaimOut, "claims.read")


def checklist_payload(claim: Claim) -> dict:
    return {"claim_id": claim.id, "complete": claim.documents_complete,
            "missing": [d.kind for d in claim.missing_documents], "items": claim.checklist,
            "documents": documents.documents_of(claim)}


@blp.route("/claims/<int:claim_id>/documents")
class ClaimDocuments(MethodView):
    @blp.response(200, ClaimChecklistOut)
    def get(self, claim_id):
        """The document checklist (missing / received / verified / rejected, who and when) and the uploads."""
        user = require("claims.read")
        return checklist_payload(get_or_404(Claim, claim_id, user))

    @upload_route(blp, ClaimUploadForm, ClaimUploadOut)
    def post(self, form, files, claim_id):
        """Upload a scan or photo (multipart: `kind`, `file`); the checklist item becomes `received`."""
        user = require("claims.read")
        require("documents.upload", user)
        claim = get_or_404(Claim, claim_id, user, for_update=True)
        return upload(claim, form, files["file"], user)


def upload(claim: Claim, form: dict, file, user) -> dict:
    """Store the file and mark its checklist item received (a new file always needs checking again)."""
    doc = documents.attach_upload(
        claim, WF, "collect_document", form["kind"], file, user,
        {"status": "received", "note": form.get("note")},
        closed=str(_l("The claim is %(state)s; no more documents are taken.", state=claim.state)))
    return {"document": doc, "item": claim.checklist_item(form["kind"]), "claim_version": claim.version}


class ClaimReceivablesOut(Schema):
    class ClaimReceivablesInsurer(Schema):
        insurer_id = fields.Integer()
        insurer = fields.String()
        claims = fields.Integer()
        claimed = fields.Decimal(places=2, as_string=True)
        paid = fields.Decimal(places=2, as_string=True)
        outstanding = fields.Decimal(places=2, as_string=True)
        buckets = fields.Dict(keys=fields.String(), values=fields.Decimal(places=2, as_string=True))
        oldest_days = fields.Integer()

    class ClaimReceivablesRow(Schema):
        claim_id = fields.Integer()
        number = fields.String()
        insurer_id = fields.Integer()
        submitted_at = fields.DateTime(allow_none=True)
        days = fields.Integer()
        claimed = fields.Decimal(places=2, as_string=True)
        paid = fields.Decimal(places=2, as_string=True)
        outstanding = fields.Decimal(places=2, as_string=True)

    by_insurer = fields.List(fields.Nested(ClaimReceivablesInsurer))
    claims = fields.List(fields.Nested(ClaimReceivablesRow))
    outstanding = fields.Decimal(places=2, as_string=True)


def bucket_names() -> list[str]:
    return [f"{low}-{high}" if high else f"{low}+" for low, high in queries.AGEING_BUCKETS]


@blp.route("/claims/receivables")
class Receivables(MethodView):
    @blp.arguments(ClaimReceivablesQuery, location="query")
    @blp.response(200, ClaimReceivablesOut)
    def get(self, args):
        """Submitted claims not fully paid: outstanding per insurer, aged in days since submission."""
        user = require("claims.read")
        data = queries.receivables(user, args.get("insurer_id"), args.get("store_id"))
        names = bucket_names()
        return {
            "by_insurer": [{"insurer_id": a["insurer"].id, "insurer": a["insurer"].name, "claims": a["claims"],
                            "claimed": a["claimed"], "paid": a["paid"], "outstanding": a["outstanding"],
                            "buckets": dict(zip(names, a["buckets"])), "oldest_days": a["oldest_days"]}
                           for a in data["by_insurer"]],
            "claims": [{"claim_id": r["claim"].id, "number": r["claim"].number,
                        "insurer_id": r["claim"].insurer_id, "submitted_at": r["claim"].submitted_at,
                        "days": r["days"], "claimed": r["claimed"], "paid": r["paid"],
                        "outstanding": r["outstanding"]} for r in data["rows"]],
            "outstanding": data["totals"]["outstanding"],
        }
