"""JSON API of warranty claims: /api/v1/warranty-claims, its actions, evidence uploads and receivables;
/api/v1/warranty-brand-rules (the brands' claim rules)."""
from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.permissions import get_or_404, require, visible_store_ids
from ..cases.api import register_case_routes
from ..core.http import page_schema, paginate
from ..documents import services as documents
from ..documents.api import upload_route
from ..documents.schemas import DocumentOut
from . import queries, rules, services
from .models import WarrantyBrandRule, WarrantyClaim
from .presenters import WarrantyClaimOut
from .schemas import (
    WarrantyBrandRuleIn,
    WarrantyBrandRuleOut,
    WarrantyBrandRulePatch,
    WarrantyBrandRuleQuery,
    WarrantyEvidenceUploadForm,
    WarrantyReceivablesOut,
    WarrantyReceivablesQuery,
    WarrantyClaimIn,
    WarrantyQuery,
)
from .workflow import WF

blp = Blueprint("warranty_api", __name__, url_prefix="/api/v1",
                description="Manufacturer warranty claims (厂家索赔) and the brands' claim rules")


# --- brand rules --------------------------------------------------------------------------------------
@blp.route("/warranty-brand-rules")
class BrandRules(MethodView):
    @blp.arguments(WarrantyBrandRuleQuery, location="query")
    @blp.response(200, page_schema(WarrantyBrandRuleOut))
    def get(self, args):
        """Each brand's warranty claim rules: deadlines, pre-authorisation threshold, required evidence."""
        require("warranty.read")
        stmt = sa.select(WarrantyBrandRule)
        if args.get("active") is not None:
            stmt = stmt.where(WarrantyBrandRule.active.is_(args["active"]))
        return paginate(stmt.order_by(WarrantyBrandRule.make), args)

    @blp.arguments(WarrantyBrandRuleIn)
    @blp.response(201, WarrantyBrandRuleOut)
    def post(self, data):
        """Add a brand's rules (managers)."""
        return rules.create_rule(data, require("warranty.rules"))


@blp.route("/warranty-brand-rules/<int:rule_id>")
class BrandRuleItem(MethodView):
    @blp.response(200, WarrantyBrandRuleOut)
    def get(self, rule_id):
        require("warranty.read")
        return rules.get_rule(rule_id)

    @blp.arguments(WarrantyBrandRulePatch)
    @blp.response(200, WarrantyBrandRuleOut)
    def patch(self, data, rule_id):
        """Change a brand's rules (managers); claims opened from now on follow them."""
        user = require("warranty.rules")
        return rules.update_rule(rules.get_rule(rule_id), data, user)


# --- claims ---------------------------------------------------------------------------------------------
@blp.route("/warranty-claims")
class WarrantyClaims(MethodView):
    @blp.arguments(WarrantyQuery, location="query")
    @blp.response(200, page_schema(WarrantyClaimOut))
    def get(self, args):
        """Warranty claims of the caller's stores; filters: state, make, work_order_id, q …"""
        user = require("warranty.read")
        return paginate(queries.claim_list(user, args), args)

    @blp.arguments(WarrantyClaimIn)
    @blp.response(201, WarrantyClaimOut)
    def post(self, data):
        """Open the warranty claim of a work order's approved warranty lines (one open claim per work order);
        the amount is the work order's manufacturer share, the deadlines come from the brand's rules."""
        user = require("warranty.create")
        return services.open_claim(user, data)


@blp.route("/warranty-claims/<int:claim_id>")
class WarrantyClaimItem(MethodView):
    @blp.response(200, WarrantyClaimOut)
    def get(self, claim_id):
        user = require("warranty.read")
        return get_or_404(WarrantyClaim, claim_id, user)


register_case_routes(blp, WF, "warranty-claims", WarrantyClaimOut, "warranty.read")


class EvidenceUploadOut(Schema):
    document = fields.Nested(DocumentOut)
    claim_version = fields.Integer()
    missing_evidence = fields.List(fields.String())


@blp.route("/warranty-claims/<int:claim_id>/evidence")
class WarrantyEvidenceUpload(MethodView):
    @upload_route(blp, WarrantyEvidenceUploadForm, EvidenceUploadOut)
    def post(self, form, files, claim_id):
        """Upload a photo or scan as evidence (multipart: `kind`, optional `value`, `file`)."""
        user = require("warranty.read")
        require("documents.upload", user)
        claim = get_or_404(WarrantyClaim, claim_id, user, for_update=True)
        return upload(claim, form, files["file"], user)


def upload(claim: WarrantyClaim, form: dict, file, user) -> dict:
    from . import evidence

    doc = documents.attach_upload(claim, WF, "attach_evidence", form["kind"], file, user,
                                  {"value": form.get("value")},
                                  closed=f"{claim.number}: {WF.state_label(claim.state)}")
    return {"document": doc, "claim_version": claim.version, "missing_evidence": evidence.missing(claim)}


def receivables_payload(store_ids) -> dict:
    data = queries.receivables(store_ids)
    rej = queries.rejections(store_ids)
    names = bucket_names()
    return {"brands": [{**r, "buckets": dict(zip(names, r["buckets"]))} for r in data["brands"]],
            "outstanding": data["totals"]["outstanding"], "decided_lines": rej["decided_lines"],
            "rejected_lines": rej["rejected_lines"], "rejection_rate": rej["rate"],
            "rejected_amount": rej["rejected_amount"], "top_rejection_reasons": rej["reasons"]}


def bucket_names() -> list[str]:
    return [f"{low}-{high}" if high else f"{low}+" for low, high in queries.AGEING_BUCKETS]


@blp.route("/warranty-claims/receivables")
class WarrantyReceivables(MethodView):
    @blp.arguments(WarrantyReceivablesQuery, location="query")
    @blp.response(200, WarrantyReceivablesOut)
    def get(self, args):
        """Warranty receivables by brand (claimed, approved, reimbursed, written off, outstanding aged since
        submission), the rejection rate and the top rejection reasons."""
        user = require("warranty.read")
        ids = visible_store_ids(user)
        if args.get("store_id") is not None:
            ids = [args["store_id"]] if ids is None or args["store_id"] in ids else []
        return receivables_payload(ids)
