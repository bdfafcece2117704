"""Advisors' claim pages: the board by stage and insurer, the claim page (timeline, documents, money and
the one next step), waiting on documents, receivables, the printable list for the owner, insurers."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from ..auth.models import User
from ..auth.permissions import can, get_or_404, may_edit_group_wide, require, require_group_wide
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
from ..customers.models import Customer
from ..documents import services as documents
from ..documents.views import upload_from_form
from ..extensions import db
from . import presenters, queries, repair, services
from .api import upload as api_upload
from .insurers import create_insurer, insurer_history, update_insurer
from .models import (
    DOCUMENT_KINDS,
    DOCUMENT_LABELS,
    LIABILITIES,
    PAYER_ROUTES,
    PRESENT_PARTIES,
    Claim,
    Insurer,
)
from .schemas import ClaimIn, InsurerIn, InsurerPatch
from .workflow import ACTION_LABELS, STATE_LABELS, STATES, WF

bp = staff_blueprint("claims", __name__, url_prefix="/claims")

LIABILITY_LABELS = {"full": _l("Full (全责)"), "major": _l("Major (主责)"), "equal": _l("Equal (同责)"),
                    "minor": _l("Minor (次责)"), "none": _l("None (无责)")}
PAYER_ROUTE_LABELS = {"own_damage": _l("Own damage cover (本车车损险)"),
                      "third_party": _l("Other party's insurer (对方保险)"),
                      "subrogation": _l("Subrogation (代位求偿)")}
PRESENT_LABELS = {"owner": _l("Owner or authorised person"), "advisor": _l("Service advisor"),
                  "assessor": _l("Insurer's assessor")}
DOC_STATUS_LABELS = {"missing": _l("missing"), "received": _l("received"), "verified": _l("verified"),
                     "rejected": _l("rejected")}
SUPPLEMENT_LABELS = {"requested": _l("waiting for the insurer"), "approved": _l("approved"),
                     "rejected": _l("rejected")}


@bp.context_processor
def _labels():
    return {"STATE_LABELS": STATE_LABELS, "ACTION_LABELS": ACTION_LABELS, "DOCUMENT_LABELS": DOCUMENT_LABELS,
            "LIABILITY_LABELS": LIABILITY_LABELS, "PAYER_ROUTE_LABELS": PAYER_ROUTE_LABELS,
            "PRESENT_LABELS": PRESENT_LABELS, "DOC_STATUS_LABELS": DOC_STATUS_LABELS,
            "SUPPLEMENT_LABELS": SUPPLEMENT_LABELS, "DOCUMENT_KINDS": DOCUMENT_KINDS,
            "case_url": case_url, "next_step": presenters.next_step, "options": _options}


def _options(items, key: str, label: str) -> list[tuple]:
    """(value, text) pairs for the select macro."""
    return [(getattr(i, key), getattr(i, label)) for i in items]


def _user():
    return current_user._get_current_object()


def _insurer_filter():
    value = request.args.get("insurer_id", type=int)
    return value or None


# --- lists ----------------------------------------------------------------------------------------
@bp.route("/")
def board():
    user = require("claims.read")
    insurer_id = _insurer_filter()
    return render_template("claims/board.html", columns=queries.board(user, insurer_id),
                           insurers=queries.insurer_counts(user), insurer_id=insurer_id)


@bp.route("/list")
def index():
    user = require("claims.read")
    args = {"page": max(request.args.get("page", 1, type=int), 1), "per_page": 50,
            "state": request.args.get("state") or None, "insurer_id": _insurer_filter(),
            "q": request.args.get("q", "").strip() or None}
    if request.args.get("missing_documents") == "1":
        args["missing_documents"] = True
    page = paginate(queries.claim_list(user, args), args)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    insurers = db.session.scalars(db.select(Insurer).order_by(Insurer.name)).all()
    return render_template("claims/index.html", page=page, filters=filters, insurers=insurers, states=STATES)


@bp.route("/waiting-documents")
def waiting_documents():
    user = require("claims.read")
    insurer_id = _insurer_filter()
    return render_template("claims/waiting_documents.html", claims=queries.waiting_documents(user, insurer_id),
                           insurers=queries.insurer_counts(user), insurer_id=insurer_id)


@bp.route("/receivables")
def receivables():
    user = require("claims.read")
    insurer_id = _insurer_filter()
    from .api import bucket_names

    return render_template("claims/receivables.html", data=queries.receivables(user, insurer_id),
                           buckets=bucket_names(), insurers=queries.insurer_counts(user), insurer_id=insurer_id)


# --- report a claim ----------------------------------------------------------------------------------
def _local_to_iso(value: str) -> str:
    """A datetime-local form value (store time) to ISO 8601 with offset; anything else is passed on."""
    value = (value or "").strip()
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value
    if naive.tzinfo is not None:
        return value
    return naive.replace(tzinfo=ZoneInfo(_user().store.timezone)).isoformat()


def _lines(text: str) -> list[dict]:
    """Textarea lines "description ; amount" (amount optional) to damage items."""
    items = []
    for raw in (text or "").splitlines():
        if not raw.strip():
            continue
        description, _sep, amount = raw.rpartition(";") if ";" in raw else (raw, "", "")
        item = {"description": description.strip()}
        if amount.strip():
            item["amount"] = amount.strip().replace(",", "").replace("¥", "")
        items.append(item)
    return items


def form_data(form) -> dict:
    """Form fields to the action's JSON shape: empty fields left out, times in the store's zone."""
    data = {}
    for key in form:
        if key in ("csrf_token", "anchor"):  # "anchor": where on the page to come back to, not a field
            continue
        values = [v for v in form.getlist(key) if v.strip() != ""]
        if not values:
            continue
        if key in ("present",):
            data[key] = values
        elif key in ("damage_items_text", "lines_text"):
            data[key.removesuffix("_text")] = _lines(values[0])
        elif key.endswith("_at"):
            data[key] = _local_to_iso(values[0])
        else:
            data[key] = values[0].strip()
    return data


@bp.route("/new", methods=["GET", "POST"])
def new():
    user = require("claims.create")
    customer = None
    customer_id = request.values.get("customer_id", type=int)
    if customer_id:
        customer = get_or_404(Customer, customer_id, user)
    insurers = db.session.scalars(db.select(Insurer).where(Insurer.active.is_(True)).order_by(Insurer.name)).all()
    errors, values = {}, request.form
    if request.method == "POST" and customer is not None:
        try:
            data = ClaimIn().load(form_data(request.form))
            claim = services.open_claim(user, data)
        except ValidationError as err:
            errors = err.messages
        except DomainError as err:
            errors = refuse(err)
        else:
            flash(_("Claim %(number)s reported.", number=claim.number), "success")
            return redirect(url_for("claims.detail", case_id=claim.id))
    return render_template("claims/new.html", customer=customer, insurers=insurers, errors=errors, values=values,
                           liabilities=LIABILITIES, payer_routes=PAYER_ROUTES), (422 if errors else 200)


# --- the claim page ------------------------------------------------------------------------------------
def _claim(case_id: int) -> Claim:
    return get_or_404(Claim, case_id, require("claims.read"))


@bp.route("/<int:case_id>")
def detail(case_id: int):
    claim = _claim(case_id)
    user = _user()
    available = {a.name for a in WF.available(claim, user)}
    colleagues = db.session.scalars(store_staff(claim.store_id, ("advisor", "manager"),
                                                order_by=User.full_name)).all()
    return render_template("claims/detail.html", claim=claim, available=available,
                           history=events.timeline("claim", claim.id), files=documents.documents_of(claim),
                           can_upload=can(user, "documents.upload") and claim.state not in WF.final_states,
                           colleagues=colleagues, release_blocker=repair.release_blocker(claim),
                           liabilities=LIABILITIES, payer_routes=PAYER_ROUTES, present_parties=PRESENT_PARTIES,
                           insurers=db.session.scalars(db.select(Insurer).order_by(Insurer.name)).all())


@bp.route("/<int:case_id>/actions/<action>", methods=["POST"])
def act(case_id: int, action: str):
    claim = _claim(case_id)
    if action not in WF.actions:
        abort(404)
    back = url_for("claims.detail", case_id=claim.id) + request.form.get("anchor", "")
    return run_form_action(WF, claim, action, form_data(request.form), redirect_to=back,
                           success=_("Done: %(action)s.", action=ACTION_LABELS.get(action, action)))


@bp.route("/<int:case_id>/documents", methods=["POST"])
def upload(case_id: int):
    return upload_from_form(
        _claim(case_id), kinds=DOCUMENT_KINDS, field="note", upload=api_upload,
        back=url_for("claims.detail", case_id=case_id) + "#documents",
        choose=_("Choose the document kind and a file."),
        done=lambda kind: _("%(doc)s uploaded; please check it and mark it verified.",
                            doc=DOCUMENT_LABELS[kind]))


@bp.route("/<int:case_id>/documents/print")
def print_documents(case_id: int):
    claim = _claim(case_id)
    return render_template("claims/print_documents.html", claim=claim)


# --- insurers ----------------------------------------------------------------------------------------------
@bp.route("/insurers")
def insurers():
    require("insurers.read")
    rows = db.session.scalars(db.select(Insurer).order_by(Insurer.active.desc(), Insurer.name)).all()
    return render_template("claims/insurers.html", insurers=rows, can_add=can(_user(), "insurers.write"),
                           can_edit=may_edit_group_wide(_user(), "insurers.edit"))


def _insurer_form_data(form) -> dict:
    data = {k: v.strip() for k, v in form.items() if k not in ("csrf_token", "required_documents", "active")
            and not k.startswith("contact_") and v.strip()}
    data["required_documents"] = form.getlist("required_documents")
    data["active"] = form.get("active") == "1"
    contacts = []
    for i in range(5):
        name = form.get(f"contact_name_{i}", "").strip()
        if name:
            contacts.append({k: v for k, v in {
                "name": name, "role": form.get(f"contact_role_{i}", "").strip() or None,
                "phone": form.get(f"contact_phone_{i}", "").strip() or None,
                "email": form.get(f"contact_email_{i}", "").strip() or None}.items() if v is not None})
    data["contacts"] = contacts
    return data


@bp.route("/insurers/new", methods=["GET", "POST"], defaults={"insurer_id": None})
@bp.route("/insurers/<int:insurer_id>/edit", methods=["GET", "POST"])
def insurer_form(insurer_id):
    user = require_group_wide("insurers.edit") if insurer_id else require("insurers.write")
    insurer = db.session.get(Insurer, insurer_id) if insurer_id else None
    if insurer_id and insurer is None:
        abort(404)
    errors = {}
    if request.method == "POST":
        try:
            raw = _insurer_form_data(request.form)
            if insurer is None:
                create_insurer(InsurerIn().load(raw), user)
            else:
                update_insurer(insurer, InsurerPatch().load(raw), user)
        except ValidationError as err:
            errors = err.messages
        except DomainError as err:
            errors = refuse(err)
        else:
            flash(_("Insurer saved."), "success")
            return redirect(url_for("claims.insurers"))
    return render_template("claims/insurer_form.html", insurer=insurer, errors=errors, form=request.form,
                           history=insurer_history(insurer) if insurer else []), \
        (422 if errors else 200)


# --- registrations: case pages, search, customer history, home panel, menu --------------------------------------
CASE_ENDPOINTS[Claim.CASE_TYPE] = "claims.detail"


def _lookup(number: str, user):
    if not number.startswith("CL-") or not can(user, "claims.read"):
        return None
    claim = queries.by_number(number, user)
    return url_for("claims.detail", case_id=claim.id) if claim else None


def _history(customer_id: int, user) -> list[dict]:
    if not can(user, "claims.read"):
        return []
    return [{"case_type": "claim", "number": c.number, "state": str(STATE_LABELS.get(c.state, c.state)),
             "created_at": c.created_at, "url": url_for("claims.detail", case_id=c.id), "vehicle_id": c.vehicle_id,
             "title": _("Insurance claim · %(insurer)s · accident %(date)s", insurer=c.insurer.label,
                        date=c.accident_at.date().isoformat())}
            for c in queries.customer_claims(customer_id, user)]


def _home_panel(user):
    if user.role not in ("advisor", "front_desk_supervisor", "manager"):
        return None
    claims = queries.my_open_claims(user)
    rows = []
    for c in claims:
        step = presenters.next_step(c)
        rows.append({"url": url_for("claims.detail", case_id=c.id), "number": c.number,
                     "title": f"{c.vehicle.plate} · {c.insurer.label} · {STATE_LABELS[c.state]}",
                     "next": str(step.label), "due": None, "overdue": bool(step.blocked_by)})
    return {"title": _("Insurance claims: next steps"), "rows": rows, "more_url": url_for("claims.board"),
            "empty": _("No open claims.")}


if _lookup not in NUMBER_LOOKUPS:
    NUMBER_LOOKUPS.append(_lookup)
    HISTORY_PROVIDERS.append(_history)
    HOME_PANELS.append(_home_panel)
nav_item("claims.board", _l("Claims"),
         roles={"advisor", "front_desk_supervisor", "manager", "customer_relations"})
