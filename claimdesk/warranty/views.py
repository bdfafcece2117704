"""Warranty claim pages: the list with filters, the claim page (lines and decisions, evidence, old parts,
money, the one next step, timeline), the printable claim sheet, opening a claim from a work order, the
receivables by brand and the brand rules (managers)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from ..auth.permissions import can, get_or_404, require, visible_store_ids
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
from ..documents import services as documents
from ..documents.views import upload_from_form
from ..extensions import db
from ..workorders.models import WorkOrder
from . import evidence, money, presenters, queries, rules, services
from .api import bucket_names, upload as api_upload
from .labels import LINE_STATUS_LABELS, PREAUTH_LABELS
from .models import EVIDENCE_KINDS, EVIDENCE_LABELS, REJECTION_LABELS, REJECTION_REASONS, WarrantyBrandRule, \
    WarrantyClaim
from .schemas import WarrantyBrandRuleIn, WarrantyBrandRulePatch
from .workflow import ACTION_LABELS, STATE_LABELS, STATES, WF

bp = staff_blueprint("warranty", __name__, url_prefix="/warranty")


@bp.context_processor
def _labels():
    return {"STATE_LABELS": STATE_LABELS, "ACTION_LABELS": ACTION_LABELS, "EVIDENCE_LABELS": EVIDENCE_LABELS,
            "EVIDENCE_KINDS": EVIDENCE_KINDS,
            "EVIDENCE_OPTIONS": [(k, EVIDENCE_LABELS[k]) for k in EVIDENCE_KINDS], "REJECTION_LABELS": REJECTION_LABELS,
            "REJECTION_REASONS": REJECTION_REASONS, "LINE_STATUS_LABELS": LINE_STATUS_LABELS,
            "PREAUTH_LABELS": PREAUTH_LABELS, "case_url": case_url, "next_step": presenters.next_step}


def _user():
    from flask_login import current_user

    return current_user._get_current_object()


# --- lists ----------------------------------------------------------------------------------------------
@bp.route("/")
def index():
    user = require("warranty.read")
    args = {"page": max(request.args.get("page", 1, type=int), 1), "per_page": 50,
            "state": request.args.get("state") or None, "make": request.args.get("make") or None,
            "q": request.args.get("q", "").strip() or None, "open_only": request.args.get("open") == "1"}
    page = paginate(queries.claim_list(user, args), args)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("warranty/index.html", page=page, filters=filters, states=STATES,
                           makes=queries.makes(user))


@bp.route("/receivables")
def receivables():
    user = require("warranty.read")
    ids = visible_store_ids(user)
    return render_template("warranty/receivables.html", data=queries.receivables(ids),
                           rejections=queries.rejections(ids), buckets=bucket_names())


# --- opening a claim from a work order ---------------------------------------------------------------------
@bp.route("/work-orders/<int:work_order_id>/new", methods=["GET", "POST"])
def new(work_order_id: int):
    user = require("warranty.create")
    wo = get_or_404(WorkOrder, work_order_id, user)
    lines = money.warranty_lines(wo)
    existing = services.open_claims_of(wo.id)
    if request.method == "POST":
        try:
            claim = services.open_claim(user, {"work_order_id": wo.id})
        except DomainError as err:
            return refuse(err, back=url_for("warranty.new", work_order_id=wo.id))
        flash(_("Warranty claim %(number)s opened.", number=claim.number), "success")
        return redirect(url_for("warranty.detail", case_id=claim.id))
    return render_template("warranty/new.html", wo=wo, lines=lines, existing=existing,
                           share=money.manufacturer_share(wo), rule=rules.rule_for(wo.vehicle.make))


# --- the claim page --------------------------------------------------------------------------------------------
def _claim(case_id: int) -> WarrantyClaim:
    return get_or_404(WarrantyClaim, case_id, require("warranty.read"))


@bp.route("/<int:case_id>")
def detail(case_id: int):
    claim = _claim(case_id)
    user = _user()
    available = {a.name for a in WF.available(claim, user)}
    return render_template("warranty/detail.html", claim=claim, available=available,
                           history=events.timeline("warranty", claim.id), files=documents.documents_of(claim),
                           missing=evidence.missing(claim), required=evidence.required_kinds(claim),
                           provided=lambda kind: evidence.provided(claim, kind),
                           rule=rules.rule_for(claim.make), problems=money.reconciliation(claim),
                           can_upload=can(user, "documents.upload") and claim.state not in WF.final_states)


def form_data(action: str, form) -> dict:
    """Form fields to the action's JSON shape (empty fields left out)."""
    data = {k: v.strip() for k, v in form.items() if k not in ("csrf_token", "once_token", "anchor") and v.strip()}
    if action == "record_preauth_decision":
        data["approved"] = form.get("approved") == "1"
    elif action == "record_decision":
        lines = []
        for key in form:
            if key.startswith("decision-") and form.get(key):
                line_id = key.removeprefix("decision-")
                item = {"line_id": int(line_id), "decision": form[key]}
                for field in ("approved_amount", "reason_code", "reason_text"):
                    if form.get(f"{field}-{line_id}", "").strip():
                        item[field] = form[f"{field}-{line_id}"].strip()
                lines.append(item)
        data = {"lines": lines}
    elif action == "resubmit":
        data = {"line_ids": [int(v) for v in form.getlist("line_ids") if v.isdigit()],
                "evidence": [{"kind": form.get("evidence_kind") or "photos",
                              "value": form.get("evidence_value", "").strip() or None}]
                if form.get("evidence_value", "").strip() else []}
    return data


@bp.route("/<int:case_id>/actions/<action>", methods=["POST"])
def act(case_id: int, action: str):
    claim = _claim(case_id)
    if action not in WF.actions:
        abort(404)
    back = url_for("warranty.detail", case_id=claim.id) + request.form.get("anchor", "")
    return run_form_action(WF, claim, action, form_data(action, request.form), redirect_to=back,
                           success=_("Done: %(action)s.", action=ACTION_LABELS.get(action, action)))


@bp.route("/<int:case_id>/evidence", methods=["POST"])
def upload(case_id: int):
    return upload_from_form(
        _claim(case_id), kinds=EVIDENCE_KINDS, field="value", upload=api_upload,
        back=url_for("warranty.detail", case_id=case_id) + "#evidence",
        choose=_("Choose the evidence kind and a file."),
        done=lambda kind: _("%(kind)s uploaded.", kind=EVIDENCE_LABELS[kind]))


@bp.route("/<int:case_id>/print")
def print_sheet(case_id: int):
    claim = _claim(case_id)
    return render_template("warranty/print.html", claim=claim, required=evidence.required_kinds(claim),
                           provided=lambda kind: evidence.provided(claim, kind))


# --- brand rules ------------------------------------------------------------------------------------------------
@bp.route("/rules")
def rules_index():
    user = require("warranty.read")
    rows = db.session.scalars(db.select(WarrantyBrandRule).order_by(WarrantyBrandRule.active.desc(),
                                                                    WarrantyBrandRule.make)).all()
    return render_template("warranty/rules.html", rules=rows, can_edit=can(user, "warranty.rules"),
                           default=rules.DEFAULT_RULE)


def _rule_form_data(form) -> dict:
    data = {k: v.strip() for k, v in form.items()
            if k not in ("csrf_token", "once_token", "required_evidence", "active") and v.strip()}
    data["required_evidence"] = form.getlist("required_evidence")
    data["active"] = form.get("active") == "1"
    if "preauth_threshold" not in data:
        data["preauth_threshold"] = None
    return data


@bp.route("/rules/new", methods=["GET", "POST"], defaults={"rule_id": None})
@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def rule_form(rule_id):
    user = require("warranty.rules")
    row = rules.get_rule(rule_id) if rule_id else None
    errors = {}
    if request.method == "POST":
        try:
            raw = _rule_form_data(request.form)
            if row is None:
                rules.create_rule(WarrantyBrandRuleIn().load(raw), user)
            else:
                rules.update_rule(row, WarrantyBrandRulePatch().load(raw), user)
        except ValidationError as err:
            errors = err.messages
        except DomainError as err:
            errors = refuse(err, field="make")
        else:
            flash(_("Brand rule saved."), "success")
            return redirect(url_for("warranty.rules_index"))
    return render_template("warranty/rule_form.html", rule=row, errors=errors, form=request.form,
                           default=rules.DEFAULT_RULE), (422 if errors else 200)


# --- registrations: case pages, search, customer history, home panel, menu ------------------------------------
CASE_ENDPOINTS[WarrantyClaim.CASE_TYPE] = "warranty.detail"


def _lookup(number: str, user):
    if not number.upper().startswith("WC-") or not can(user, "warranty.read"):
        return None
    claim = queries.by_number(number, user)
    return url_for("warranty.detail", case_id=claim.id) if claim else None


def _history(customer_id: int, user) -> list[dict]:
    if not can(user, "warranty.read"):
        return []
    return [{"case_type": "warranty", "number": c.number, "state": str(STATE_LABELS.get(c.state, c.state)),
             "created_at": c.created_at, "url": url_for("warranty.detail", case_id=c.id), "vehicle_id": c.vehicle_id,
             "title": _("Warranty claim · %(make)s · %(amount)s", make=c.make, amount=f"¥{c.claimed_amount:,.2f}")}
            for c in queries.customer_claims(customer_id, user)]


def _home_panel(user):
    if user.role not in ("advisor", "manager"):
        return None
    rows = []
    for c in queries.my_open_claims(user):
        step = presenters.next_step(c)
        rows.append({"url": url_for("warranty.detail", case_id=c.id), "number": c.number,
                     "title": f"{c.vehicle.plate} · {c.make} · {STATE_LABELS[c.state]}",
                     "next": str(step.label), "due": c.submission_due_at if c.submitted_at is None else None,
                     "overdue": bool(step.blocked_by)})
    return {"title": _("Warranty claims: next steps"), "rows": rows, "more_url": url_for("warranty.index"),
            "empty": _("No open warranty claims.")}


if _lookup not in NUMBER_LOOKUPS:
    NUMBER_LOOKUPS.append(_lookup)
    HISTORY_PROVIDERS.append(_history)
    HOME_PANELS.append(_home_panel)
nav_item("warranty.index", _l("Warranty"), roles={"advisor", "manager", "info_clerk"})
