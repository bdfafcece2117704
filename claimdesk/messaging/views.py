"""Staff pages of customer messaging: the outbox (every message and its delivery status), one case's
messages and status links, the customer's contact preference, and the admins' template editor."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..auth.permissions import can, get_or_404, scoped
from ..core.errors import Forbidden, NotFound, ValidationFailed
from ..core.http import paginate
from ..core.templating import nav_item
from ..core.web import CUSTOMER_PANELS, case_url, local_url, refuse, staff_blueprint
from ..core.workflow import REGISTRY
from ..customers import views as customer_views
from ..customers.models import Customer
from ..extensions import db
from . import providers, services, templates
from .models import CHANNELS, KINDS, STATES, LinkAction, Message, MessageTemplate, StatusLink

bp = staff_blueprint("messaging", __name__, url_prefix="/messaging")

OUTBOX_ROLES = frozenset({"admin", "manager", "advisor", "front_desk_supervisor", "customer_relations"})
#: who may send, make links, retry and change a customer's contact preference (admins only read)
WRITE_ROLES = OUTBOX_ROLES - {"admin"}
#: how many of the customer's latest messages the customer page's card lists
CARD_MESSAGES = 5


def case_messages_url(case_type: str, case_id: int) -> str | None:
    """The case's messages page for staff who may see it (template global: the case pages link to it)."""
    if getattr(current_user, "role", None) not in OUTBOX_ROLES:
        return None
    return url_for("messaging.case_messages", case_type=case_type, case_id=case_id)
TEMPLATE_ROLES = frozenset({"admin", "manager"})
STATE_LABELS = {"queued": _l("queued"), "held": _l("held"), "retrying": _l("retrying"), "sent": _l("sent"),
                "failed": _l("failed"), "skipped": _l("not sent")}
REASON_LABELS = {"quiet_hours": _l("quiet hours (until morning)"), "daily_cap": _l("daily limit reached"),
                 "opted_out": _l("customer opted out"), "no_consent": _l("no consent"),
                 "provider_busy": _l("provider busy, will retry"), "provider_error": _l("provider refused"),
                 "send_error": _l("error while sending"),
                 "delivered": _l("delivered"), "undelivered": _l("not delivered")}
CHANNEL_LABELS = {"sms": _l("SMS"), "wechat": _l("WeChat"), "email": _l("E-mail")}
LOCALE_LABELS = {"zh": "中文", "en": "English"}  # each language in its own words
OPT_OUT_LABELS = {"sms_reply": _l("replied TD to an SMS")}


def _need(roles) -> None:
    if current_user.role not in roles:
        raise Forbidden(_("Your role may not do this."))


def _labels() -> dict:
    return {"states": STATE_LABELS, "reasons": REASON_LABELS, "channels": CHANNEL_LABELS,
            "kinds": templates.KIND_LABELS, "locales": LOCALE_LABELS, "opt_out": OPT_OUT_LABELS}


def _form_values(pref, submitted=None) -> dict:
    """What the preference form shows: the stored preference, or the refused form as it was sent."""
    if submitted is not None:
        return {k: submitted.get(k, "") for k in ("consent", "channel", "locale", "wechat_openid", "email")}
    if pref is None:
        return {"consent": "", "channel": "sms", "locale": services.locale_of(None),
                "wechat_openid": "", "email": ""}
    consent = "" if pref.consent is None else ("yes" if pref.consent else "no")
    return {"consent": consent, "channel": pref.channel, "locale": services.locale_of(pref),
            "wechat_openid": pref.wechat_openid or "", "email": pref.email or ""}


@bp.route("/outbox")
def outbox():
    """Every message of the stores the user sees, newest first; the local outbox shows the text as sent."""
    _need(OUTBOX_ROLES)
    stmt = scoped(sa.select(Message), Message)
    state = request.args.get("state")
    if state in STATES:
        stmt = stmt.where(Message.state == state)
    channel = request.args.get("channel")
    if channel in CHANNELS:
        stmt = stmt.where(Message.channel == channel)
    args = {"page": max(request.args.get("page", 1, type=int), 1), "per_page": 50}
    page = paginate(stmt.order_by(Message.id.desc()), args)
    numbers = _case_numbers(page["items"])
    return render_template("messaging/outbox.html", page=page, L=_labels(), numbers=numbers, state=state,
                           channel=channel, states=STATES, channels=CHANNELS)


def _case_numbers(messages) -> dict:
    out = {}
    for m in messages:
        if m.case_type and (m.case_type, m.case_id) not in out:
            wf = REGISTRY.get(m.case_type)
            case = db.session.get(wf.model, m.case_id) if wf else None
            out[(m.case_type, m.case_id)] = case.number if case else ""
    return out


def _case(case_type: str, case_id: int):
    wf = REGISTRY.get(case_type)
    if wf is None:
        raise NotFound(_("Not found."))
    return get_or_404(wf.model, case_id)


@bp.route("/cases/<case_type>/<int:case_id>")
def case_messages(case_type: str, case_id: int):
    _need(OUTBOX_ROLES)
    case = _case(case_type, case_id)
    customer = db.session.get(Customer, case.customer_id)
    links = services.links_of(case)
    actions = list(db.session.scalars(sa.select(LinkAction).where(
        LinkAction.case_type == case_type, LinkAction.case_id == case.id).order_by(LinkAction.id)))
    pref = services.preference(customer.id)
    return render_template("messaging/case.html", case=case, case_type=case_type, customer=customer,
                           pref=pref, locale_of_customer=services.locale_of(pref), form=_form_values(pref),
                           locales=templates.LOCALES, messages=services.messages_of(case),
                           links=[(ln, services.link_state(ln, case), services.link_url(ln)) for ln in links],
                           actions=actions, L=_labels(), kinds=KINDS, channels=CHANNELS,
                           case_link=case_url(case_type, case.id))


def _back(case_type, case_id):
    return redirect(url_for("messaging.case_messages", case_type=case_type, case_id=case_id))


@bp.route("/cases/<case_type>/<int:case_id>/send", methods=["POST"])
def send_now(case_type: str, case_id: int):
    """Send the customer one message of a chosen kind about this case (with its status link)."""
    _need(WRITE_ROLES)
    case = _case(case_type, case_id)
    kind = request.form.get("kind")
    if kind not in KINDS:
        flash(_("Choose what to send."), "warning")
        return _back(case_type, case_id)
    from ..core.clock import now

    msg = services.queue_message(case, kind, {}, dedupe=f"manual-{now().timestamp()}", actor=current_user)
    if msg is not None and msg.state == "skipped":
        flash(_("Not sent: %(reason)s.", reason=REASON_LABELS.get(msg.reason, msg.reason)), "warning")
    else:
        flash(_("Message queued."), "success")
    return _back(case_type, case_id)


@bp.route("/cases/<case_type>/<int:case_id>/links", methods=["POST"])
def new_link(case_type: str, case_id: int):
    _need(WRITE_ROLES)
    case = _case(case_type, case_id)
    services.link_for(case)
    flash(_("The status link is ready."), "success")
    return _back(case_type, case_id)


@bp.route("/links/<int:link_id>/revoke", methods=["POST"])
def revoke(link_id: int):
    _need(WRITE_ROLES)
    link = get_or_404(StatusLink, link_id)
    _case(link.case_type, link.case_id)
    services.revoke_link(link, current_user)
    flash(_("The link is revoked: it now shows only that it has ended."), "success")
    return _back(link.case_type, link.case_id)


@bp.route("/messages/<int:message_id>/retry", methods=["POST"])
def retry(message_id: int):
    _need(WRITE_ROLES)
    msg = get_or_404(Message, message_id)
    if msg.state != "failed":
        flash(_("Only a failed message can be sent again."), "warning")
    else:
        msg.state, msg.reason, msg.next_attempt_at, msg.attempts = "queued", None, None, 0
        db.session.flush()
        services.schedule_send(msg)
        flash(_("Message queued."), "success")
    return redirect(request.referrer or url_for("messaging.outbox"))


@bp.route("/customers/<int:customer_id>/preference", methods=["POST"])
def preference(customer_id: int):
    """The one handler of the preference form (the case's messages page and the customer page): goes back
    where it came from (`next`, else the Referer; local addresses only). Refused from the customer page,
    that page answers 422 with the form as sent and why; from elsewhere, the message is flashed there."""
    _need(WRITE_ROLES)
    customer = get_or_404(Customer, customer_id)
    consent = request.form.get("consent")
    data = {"consent": {"yes": True, "no": False}.get(consent), "channel": request.form.get("channel", "sms"),
            "wechat_openid": (request.form.get("wechat_openid") or "").strip() or None,
            "email": (request.form.get("email") or "").strip() or None}
    if data["channel"] not in CHANNELS:
        data["channel"] = "sms"
    if "locale" in request.form:  # an unknown one is refused by set_preference
        data["locale"] = request.form["locale"]
    back = local_url(request.form.get("next")) or local_url(request.referrer) or url_for("messaging.outbox")
    try:
        services.set_preference(customer, data)
    except ValidationFailed as err:
        user = current_user._get_current_object()
        if back == url_for("customers.detail", customer_id=customer.id) and can(user, "customers.read"):
            g.refused_preference = {"message": err.message, "errors": refuse(err), "values": request.form}
            return customer_views.detail_page(customer, user), 422
        return refuse(err, back=back)
    flash(_("Contact preference saved."), "success")
    return redirect(back)


def customer_card(customer: Customer, user) -> Markup | None:
    """The customer page's "Messages" card (`core.web.CUSTOMER_PANELS`): how the customer is reached, the
    opt-out, the latest messages, and the preference form for those who may change it."""
    if user.role not in OUTBOX_ROLES:
        return None
    pref = services.preference(customer.id)
    channel, recipient = services.channel_and_recipient(customer, pref)
    latest = list(db.session.scalars(scoped(sa.select(Message), Message, user).where(
        Message.customer_id == customer.id).order_by(Message.id.desc()).limit(CARD_MESSAGES)))
    refused = g.get("refused_preference")
    return Markup(render_template(
        "messaging/customer_card.html", customer=customer, pref=pref, channel=channel,
        recipient=providers.mask_recipient(channel, recipient), locale_of_customer=services.locale_of(pref),
        messages=[(m, url_for("messaging.case_messages", case_type=m.case_type, case_id=m.case_id)
                   if m.case_type else None) for m in latest],
        may_edit=user.role in WRITE_ROLES, refused=refused,
        form=_form_values(pref, refused["values"] if refused else None), L=_labels(), channels=CHANNELS,
        locales=templates.LOCALES, next_url=url_for("customers.detail", customer_id=customer.id)))


CUSTOMER_PANELS.append(customer_card)


# --- templates -----------------------------------------------------------------------------------
@bp.route("/templates")
def template_list():
    _need(TEMPLATE_ROLES)
    rows = [(kind, loc, templates.current(kind, loc)) for kind in KINDS for loc in templates.LOCALES]
    return render_template("messaging/templates.html", rows=rows, L=_labels())


@bp.route("/templates/<kind>/<locale>", methods=["GET", "POST"])
def template_edit(kind: str, locale: str):
    """Edit one kind's text in one language; "Preview" renders it with an example case and saves nothing."""
    _need(TEMPLATE_ROLES)
    if kind not in KINDS or locale not in templates.LOCALES:
        abort(404)
    tpl = templates.current(kind, locale)
    form = {"body": tpl["body"], "sms_template_code": tpl["sms_template_code"] or "",
            "wechat_template_id": tpl["wechat_template_id"] or ""}
    errors: dict = {}
    preview = None
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in form}
        try:
            unknown = templates.unknown_placeholders(form["body"])
        except ValueError:
            unknown = None
        if not form["body"]:
            errors["body"] = [_("Write the message.")]
        elif unknown is None:
            errors["body"] = [_("A { has no matching }.")]
        elif unknown:
            errors["body"] = [_("Unknown placeholders: %(names)s.", names=", ".join(unknown))]
        if not errors:
            preview = templates.render_body(form["body"], templates.EXAMPLE)
            if request.form.get("save"):
                row = templates.stored(kind, locale) or MessageTemplate(kind=kind, locale=locale)
                row.body = form["body"]
                row.sms_template_code = form["sms_template_code"] or None
                row.wechat_template_id = form["wechat_template_id"] or None
                row.updated_by_id = current_user.id
                db.session.add(row)
                db.session.flush()
                flash(_("Template saved."), "success")
                return redirect(url_for("messaging.template_list"))
    elif tpl["body"]:
        preview = templates.render_body(tpl["body"], templates.EXAMPLE)
    return render_template("messaging/template_form.html", kind=kind, lang=locale, form=form, errors=errors,
                           preview=preview, L=_labels(), placeholders=templates.PLACEHOLDERS,
                           default=templates.DEFAULTS[(kind, locale)])


nav_item("messaging.outbox", _l("Messages"), roles=tuple(OUTBOX_ROLES))
