"""The customer status page behind a message's link (no login): where the case stands, who handles it,
the next step, and what the customer can do from the phone. Every action runs the case's own
workflow action (as the system, with the customer's consent recorded) so clocks, rules and the
timeline stay in the case engine."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext as _
from flask_babel import refresh
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from ..auth.models import Store, User
from ..core import events, uow
from ..core.clock import now, utc
from ..core.errors import DomainError
from ..core.workflow import REGISTRY
from ..customers.models import Customer, Vehicle
from ..documents import services as documents
from ..extensions import db, limiter
from . import services
from .models import LOCALES, LinkAction

bp = Blueprint("portal", __name__, url_prefix="/s")
limiter.limit(lambda: current_app.config["STATUS_LINK_RATE_LIMIT"])(bp)

NEXT_STEPS = {
    ("work_order", "reception"): _l("We are checking your car and preparing the estimate."),
    ("work_order", "estimated"): _l("The estimate is ready; your advisor will go through it with you."),
    ("work_order", "authorised"): _l("Your car is waiting for the workshop."),
    ("work_order", "in_repair"): _l("Your car is being repaired."),
    ("work_order", "quality_check"): _l("Repair done; the final quality checks are under way."),
    ("work_order", "ready"): _l("Your car is ready: please come and pick it up."),
    ("work_order", "delivered"): _l("Delivered. We will call you within 3 days to ask how it went."),
    ("work_order", "closed"): _l("Finished. Thank you for your visit."),
    ("work_order", "cancelled"): _l("This work order was cancelled."),
    ("claim", "reported"): _l("Your claim is recorded; we wait for the car and the insurer's assessor."),
    ("claim", "assessment"): _l("The insurer's assessor is assessing the damage."),
    ("claim", "repair"): _l("Your car is being repaired."),
    ("claim", "documents"): _l("We need the documents listed below to claim from the insurer."),
    ("claim", "payout"): _l("The claim is with the insurer; we wait for the payout."),
    ("claim", "closed"): _l("The claim is settled."),
    ("claim", "rejected"): _l("The insurer rejected the claim; your advisor will explain."),
    ("claim", "withdrawn"): _l("The claim was withdrawn."),
    ("complaint", "listen"): _l("We have your complaint and will contact you very soon."),
    ("complaint", "apologise"): _l("We are looking into what happened."),
    ("complaint", "resolve"): _l("We are working on a resolution with you."),
    ("complaint", "follow_up"): _l("We will call you to check that you are satisfied."),
    ("complaint", "closed"): _l("Closed. Thank you for telling us."),
}
CASE_TITLES = {"work_order": _l("Your car's service"), "claim": _l("Your insurance claim"),
               "complaint": _l("Your feedback")}
UPLOAD_KINDS_OPEN = ("missing", "rejected")


#: the session key of the language the customer chose with the page's switch (the staff pages' own
#: choice, session["lang"], is another: a link opened in a staff browser still reads as the customer's)
CHOSEN = "portal_lang"


@bp.before_request
def _language():
    """The page reads in the language the customer chose here, else (once the link is resolved, `_load`)
    in their preferred one; `app.select_locale` takes `g.page_locale` first."""
    lang = request.args.get("lang")
    if lang in LOCALES:
        session[CHOSEN] = lang
    g.page_locale = session.get(CHOSEN) if session.get(CHOSEN) in LOCALES else LOCALES[0]


def _customer_language(case) -> None:
    if session.get(CHOSEN) not in LOCALES:
        g.page_locale = services.customer_locale(case.customer_id)
        refresh()  # forget a locale looked up before the link was resolved


class LinkEnded(Exception):
    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


def _load(token: str):
    link, case, state = services.resolve_link(token)
    if state != "ok":
        raise LinkEnded(state)
    link.last_used_at = now()
    _customer_language(case)
    return link, case


@bp.errorhandler(LinkEnded)
def _ended(exc: LinkEnded):
    """A revoked or expired link: a clear page (410), and nothing of the case."""
    uow.rollback()
    resp = current_app.make_response((render_template("messaging/link_ended.html", state=exc.state), 410))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def fingerprint(line) -> str:
    """What the customer was shown of a line: if it changed since the page loaded, the decision is refused."""
    raw = f"{line.id}|{line.description}|{line.quantity}|{line.unit_price}|{line.pay_type}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _line_as_shown(line) -> dict:
    return {"line_id": line.id, "description": line.description, "kind": line.kind,
            "quantity": f"{line.quantity:.2f}", "unit_price": f"{line.unit_price:.2f}",
            "amount": f"{line.amount:.2f}", "pay_type": line.pay_type, "safety_related": line.safety_related}


def _consent(link, case, action: str, data: dict) -> None:
    db.session.add(LinkAction(link_id=link.id, case_type=link.case_type, case_id=case.id, action=action, at=now(),
                              ip=(request.remote_addr or "")[:45] or None,
                              user_agent=(request.user_agent.string or "")[:255] or None, data=data))


def _customer_name(case) -> str:
    customer = db.session.get(Customer, case.customer_id)
    return customer.name if customer else ""


def _summary(link, case) -> dict:
    wf = REGISTRY[link.case_type]
    store = db.session.get(Store, case.store_id)
    tz = ZoneInfo(store.timezone)
    advisor = db.session.get(User, case.assignee_id) if case.assignee_id else None
    vehicle_id = getattr(case, "vehicle_id", None)
    vehicle = db.session.get(Vehicle, vehicle_id) if vehicle_id else None
    promised = utc(getattr(case, "promised_at", None))
    work_order = getattr(case, "work_order", None)
    if promised is None and work_order is not None:
        promised = utc(work_order.promised_at)
    extra = [(ln, fingerprint(ln)) for ln in getattr(case, "pending_extra_lines", [])]
    checklist = list(getattr(case, "checklist", []) or [])
    closed = utc(case.closed_at)
    return {
        "case": case, "title": CASE_TITLES[link.case_type], "state_label": wf.state_label(case.state),
        "next_step": NEXT_STEPS.get((link.case_type, case.state), ""), "store": store,
        "advisor_name": advisor.display_name if advisor else store.name,
        "advisor_phone": (advisor.phone if advisor and advisor.phone else store.phone) or "",
        "vehicle": vehicle, "promised_at": promised.astimezone(tz) if promised else None,
        "extra_lines": extra, "decided_extra": [ln for ln in getattr(case, "lines", []) if ln.is_extra
                                                and ln.decision != "proposed"],
        "checklist": checklist if link.case_type == "claim" else [],
        "can_upload": link.case_type == "claim" and case.state not in wf.final_states and any(
            d.status in UPLOAD_KINDS_OPEN for d in checklist),
        "can_rate": (link.case_type == "work_order" and case.state in ("delivered", "closed"))
        or (link.case_type == "complaint" and case.state in ("follow_up", "closed")),
        "can_callback": case.state not in wf.final_states,
        "notes": events.timeline(link.case_type, case.id, customer_visible_only=True),
        "ends_at": (closed + timedelta(days=current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"])).astimezone(tz)
        if closed else None,
        "tz": tz,
    }


@bp.route("/<token>")
def status(token: str):
    link, case = _load(token)
    resp = current_app.make_response(render_template("messaging/status.html", token=token, s=_summary(link, case)))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


def _back(token: str):
    return redirect(url_for("portal.status", token=token))


def _refused(token: str, err: DomainError):
    uow.rollback()
    flash(err.message, "danger")
    return _back(token)


@bp.route("/<token>/extra-work", methods=["POST"])
def extra_work(token: str):
    """Approve or decline each proposed extra-work line, as shown; runs decide_extra_work."""
    link, case = _load(token)
    if link.case_type != "work_order":
        abort(404)
    pending = {str(ln.id) for ln in case.pending_extra_lines}
    asked = {key.removeprefix("decision_") for key in request.form if key.startswith("decision_")}
    if asked - pending:  # a line of another case (or one already decided): this link does not reach it
        abort(404)
    decisions, shown = [], []
    for line in case.pending_extra_lines:
        choice = request.form.get(f"decision_{line.id}")
        if choice not in ("approve", "decline"):
            continue
        if request.form.get(f"shown_{line.id}") != fingerprint(line):
            flash(_("This item changed since you opened the page; please check it again."), "warning")
            return _back(token)
        decisions.append({"line_id": line.id, "approved": choice == "approve"})
        shown.append((line, choice))
    if not decisions:
        flash(_("Choose approve or decline for at least one item."), "warning")
        return _back(token)
    name = _customer_name(case)
    for line, choice in shown:
        _consent(link, case, "approve_line" if choice == "approve" else "decline_line",
                 {**_line_as_shown(line), "decision": choice, "shown": fingerprint(line), "url_token_id": link.id})
    try:
        # validated=True: the data is built here, not typed by anyone; channel "link" names this page.
        REGISTRY["work_order"].perform(case, "decide_extra_work", {
            "decisions": decisions, "decided_by": f"{name} ({_staff_text('status link')})", "channel": "link"},
            None, system=True, validated=True)
    except DomainError as err:
        return _refused(token, err)
    flash(_("Thank you: your decision is recorded and your advisor can see it."), "success")
    return _back(token)


def _staff_text(text: str) -> str:
    """A phrase written into the staff's timeline: in the staff's default language, not the customer's."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        return {"status link": _("status link"), "callback": _("The customer asks to be called back at"),
                "rating": _("The customer rated the service")}[text]


def strip_metadata(data: bytes, mime: str) -> bytes:
    """Re-encode a photo without EXIF (GPS position, phone model …), turned upright first; PDFs pass."""
    if mime not in ("image/jpeg", "image/png"):
        return data
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        out = io.BytesIO()
        if mime == "image/jpeg":
            img.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
        else:
            clean = Image.new(img.mode, img.size)
            clean.paste(img)
            clean.save(out, format="PNG", optimize=True)
        return out.getvalue()


@bp.route("/<token>/documents", methods=["POST"])
def upload_document(token: str):
    """A missing claim document from the phone: checked by content, size-limited, EXIF stripped; the
    checklist item becomes "received" (the advisor still verifies it)."""
    link, case = _load(token)
    if link.case_type != "claim":
        abort(404)
    kind = request.form.get("kind", "")
    item = case.checklist_item(kind) if kind else None
    upload = request.files.get("file")
    if item is None or item.status not in UPLOAD_KINDS_OPEN:
        flash(_("Choose which document this is."), "warning")
        return _back(token)
    if upload is None or not upload.filename:
        flash(_("Choose a photo or a PDF file."), "warning")
        return _back(token)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    data = upload.read() if limit is None else upload.read(limit + 1)
    mime = documents.detect_type(data)
    if limit is not None and len(data) > limit:
        flash(_("The file is too large."), "danger")
        return _back(token)
    if mime is None:
        flash(_("Only photos (JPEG, PNG) and PDF files are accepted."), "danger")
        return _back(token)
    try:
        clean = strip_metadata(data, mime)
    except Exception:  # noqa: BLE001 — a damaged image: refuse it rather than keep its metadata
        flash(_("The photo could not be read; please take it again."), "danger")
        return _back(token)
    try:
        if case.state in REGISTRY["claim"].final_states:
            raise DomainError(_("This claim is closed; no more documents are taken."), status=409)
        doc = documents.save_upload(None, case, kind, FileStorage(io.BytesIO(clean), filename=upload.filename,
                                                                   content_type=mime))
        _consent(link, case, "upload_document", {"kind": kind, "document_id": doc.id, "size": doc.size,
                                                 "content_type": mime, "exif_stripped": mime != "application/pdf"})
        REGISTRY["claim"].perform(case, "collect_document", {
            "kind": kind, "status": "received", "document_id": doc.id,
            "note": f"{_customer_name(case)} ({_staff_text('status link')})"}, None, system=True)
    except DomainError as err:
        return _refused(token, err)
    flash(_("Received, thank you. Your advisor will check it."), "success")
    return _back(token)


@bp.route("/<token>/callback", methods=["POST"])
def callback(token: str):
    from datetime import datetime

    link, case = _load(token)
    store = db.session.get(Store, case.store_id)
    raw = request.form.get("callback_at", "")
    try:
        local = datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(store.timezone))
    except ValueError:
        flash(_("Choose a date and time."), "warning")
        return _back(token)
    at = local.astimezone(ZoneInfo("UTC"))
    if at <= now() or at > now() + timedelta(days=30):
        flash(_("Choose a time within the next 30 days."), "warning")
        return _back(token)
    _consent(link, case, "callback_time", {"callback_at": at.isoformat()})
    try:
        REGISTRY[link.case_type].perform(case, "note", {
            "text": f"{_staff_text('callback')} {local.strftime('%Y-%m-%d %H:%M')} ({_staff_text('status link')})",
            "visibility": "internal"}, None, system=True)
    except DomainError as err:
        return _refused(token, err)
    flash(_("Thank you: we will call you at the time you chose."), "success")
    return _back(token)


@bp.route("/<token>/rating", methods=["POST"])
def rating(token: str):
    link, case = _load(token)
    score = request.form.get("rating", type=int)
    comment = (request.form.get("comment") or "").strip()[:1000]
    if score not in (1, 2, 3, 4, 5):
        flash(_("Choose 1 to 5 stars."), "warning")
        return _back(token)
    _consent(link, case, "rating", {"rating": score, "comment": comment})
    text = f"{_staff_text('rating')}: {score}/5" + (f" — {comment}" if comment else "")
    try:
        REGISTRY[link.case_type].perform(case, "note", {"text": text, "visibility": "internal"}, None, system=True)
    except DomainError as err:
        return _refused(token, err)
    flash(_("Thank you for your rating."), "success")
    return _back(token)
