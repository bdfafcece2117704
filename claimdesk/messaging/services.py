"""Verbs of customer messaging: queue a message for a case (consent, opt-out and channel decided here),
send it (quiet hours, daily cap, retries with backoff, delivery status on the case timeline), opt out,
and the case's status link."""
from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..auth.models import Store, User
from ..core import events
from ..core.clock import now, utc
from ..core.errors import ValidationFailed
from ..core.workflow import REGISTRY
from ..customers.models import Customer, Vehicle
from ..extensions import db
from . import links, providers, templates
from .models import LOCALES, ContactPreference, Message, StatusLink

log = logging.getLogger(__name__)

OPT_OUT_WORDS = {"TD", "T", "N", "退订", "STOP", "UNSUBSCRIBE"}
#: kinds that are marketing rather than about a case the customer has open: need explicit consent
NEEDS_CONSENT = {"service_reminder"}


# --- preferences and opt-out ---------------------------------------------------------------------
def preference(customer_id: int) -> ContactPreference | None:
    return db.session.get(ContactPreference, customer_id)


def locale_of(pref: ContactPreference | None) -> str:
    """The language the customer's messages and status page are written in (no preference: Chinese)."""
    return pref.locale if pref is not None and pref.locale in LOCALES else LOCALES[0]


def customer_locale(customer_id: int) -> str:
    return locale_of(preference(customer_id))


def set_preference(customer: Customer, data: dict) -> ContactPreference:
    if data.get("locale") not in (None, *LOCALES):
        raise ValidationFailed(str(_l("Unknown language.")),
                               fields={"locale": [str(_l("Choose one of: %(names)s.", names=", ".join(LOCALES)))]})
    pref = preference(customer.id) or ContactPreference(customer_id=customer.id, locale=LOCALES[0])
    db.session.add(pref)
    if "consent" in data and data["consent"] != pref.consent:
        pref.consent = data["consent"]
        pref.consent_at = now()
        if data["consent"]:
            pref.opted_out_at = None
            pref.opt_out_source = None
    for key, blank in (("channel", "sms"), ("locale", LOCALES[0]), ("wechat_openid", None), ("email", None)):
        if key in data:
            setattr(pref, key, data[key] or blank)
    if pref.channel == "wechat" and not pref.wechat_openid:
        raise ValidationFailed(str(_l("WeChat needs the customer's OpenID.")),
                               fields={"wechat_openid": [str(_l("Required for WeChat."))]})
    if pref.channel == "email" and not pref.email:
        raise ValidationFailed(str(_l("E-mail needs an address.")), fields={"email": [str(_l("Required for e-mail."))]})
    db.session.flush()
    return pref


def opt_out(customer_id: int, source: str) -> ContactPreference:
    pref = preference(customer_id)
    if pref is None:
        pref = ContactPreference(customer_id=customer_id)
        db.session.add(pref)
    if pref.opted_out_at is None:
        pref.opted_out_at = now()
        pref.opt_out_source = source[:32]
    db.session.flush()
    return pref


def is_opt_out_text(text: str) -> bool:
    return (text or "").strip().upper() in OPT_OUT_WORDS


def inbound_sms(phone: str, text: str) -> int:
    """A customer's reply: 回复TD退订 opts out every customer record with that number. Returns how many."""
    if not is_opt_out_text(text):
        return 0
    phone = (phone or "").strip()
    if len(phone) > 11 and phone.lstrip("+").startswith("86"):
        phone = phone.lstrip("+")[2:]
    ids = list(db.session.scalars(sa.select(Customer.id).where(
        sa.or_(Customer.phone == phone, Customer.alt_phone == phone))))
    for cid in ids:
        opt_out(cid, "sms_reply")
    log.info("opt-out by SMS reply from %s: %s customer record(s)", providers.mask_phone(phone), len(ids))
    return len(ids)


def delivery_report(message_id: int, delivered: bool, error: str | None) -> bool:
    """The provider's delivery receipt (SMS status report): the final status of a sent message."""
    msg = db.session.get(Message, message_id)
    if msg is None or msg.state not in ("sent",):
        return False
    msg.reason = "delivered" if delivered else "undelivered"
    if not delivered:
        msg.last_error = (error or "undelivered")[:255]
    case = _case_of(msg)
    if case is not None:
        events.record(case, kind="message", action="message_delivered" if delivered else "message_undelivered",
                      data=_event_data(msg, error=None if delivered else msg.last_error))
    db.session.flush()
    return True


# --- status links (links.py; re-exported: the views, the API and the portal use them from here) ---
_case_model, link_for, link_url, link_state = links._case_model, links.link_for, links.link_url, links.link_state
resolve_link, revoke_link, links_of = links.resolve_link, links.revoke_link, links.links_of


def _case_of(msg: Message):
    if not msg.case_type:
        return None
    return db.session.get(_case_model(msg.case_type), msg.case_id)


# --- queueing ------------------------------------------------------------------------------------
def channel_and_recipient(customer: Customer, pref: ContactPreference | None) -> tuple[str, str]:
    if pref is not None and pref.channel == "wechat" and pref.wechat_openid:
        return "wechat", pref.wechat_openid
    if pref is not None and pref.channel == "email" and pref.email:
        return "email", pref.email
    return "sms", customer.phone


def case_params(case) -> dict:
    """What every template may say about a case (the names in templates.PLACEHOLDERS)."""
    store = db.session.get(Store, case.store_id)
    customer = db.session.get(Customer, case.customer_id)
    advisor = db.session.get(User, case.assignee_id) if case.assignee_id else None
    vehicle_id = getattr(case, "vehicle_id", None)
    vehicle = db.session.get(Vehicle, vehicle_id) if vehicle_id else None
    promised = utc(getattr(case, "promised_at", None))
    tz = ZoneInfo(store.timezone)
    return {
        "store": store.name, "customer": customer.name, "number": case.number,
        "plate": vehicle.plate if vehicle else "",
        "advisor": advisor.display_name if advisor else store.name,
        "advisor_phone": (advisor.phone if advisor and advisor.phone else store.phone) or "",
        "handler": advisor.display_name if advisor else store.name,
        "promised_at": promised.astimezone(tz).strftime("%Y-%m-%d %H:%M") if promised else "",
    }


def _event_data(msg: Message, **extra) -> dict:
    data = {"message_id": msg.id, "kind": msg.kind, "channel": msg.channel,
            "recipient": providers.mask_recipient(msg.channel, msg.recipient), "state": msg.state}
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


#: the batch sender (messaging.jobs): kicked after a commit that left a message to send now
SENDER = "claimdesk.messaging.jobs.send_due_messages"


def _fill(msg: Message, case, customer: Customer, pref: ContactPreference | None, params: dict | None,
          link: StatusLink | None, tpl: dict) -> None:
    """The message's channel, recipient, template and text, from the case and the customer as they are
    (`tpl`: `templates.current` of the message's kind and language; `link`: the case's status link, if the
    message carries one)."""
    msg.channel, msg.recipient = channel_and_recipient(customer, pref)
    values = case_params(case)
    if link is not None:
        values["link"] = link_url(link)
    values.update(params or {})
    msg.template_code = tpl["wechat_template_id"] if msg.channel == "wechat" else tpl["sms_template_code"]
    msg.params = {k: v for k, v in values.items() if k in templates.PLACEHOLDERS}
    msg.body = templates.render_body(tpl["body"], values)


def queue_message(case, kind: str, params: dict | None = None, *, dedupe: str, actor=None,
                  with_link: bool = True) -> Message | None:
    """Write one message about `case` in the current transaction and kick the sender after commit.

    A message with the same dedupe key exists already: nothing (None). No consent or opted out: the
    message is kept as `skipped` (the timeline says why) and nothing is sent.
    """
    key = f"{kind}:{case.CASE_TYPE}:{case.id}:{dedupe}"[:120]
    if db.session.scalar(sa.select(Message.id).where(Message.dedupe_key == key)) is not None:
        return None
    customer = db.session.get(Customer, case.customer_id)
    pref = preference(customer.id)
    msg = Message(store_id=case.store_id, customer_id=customer.id, case_type=case.CASE_TYPE, case_id=case.id,
                  kind=kind, locale=locale_of(pref), dedupe_key=key, created_at=now())
    _fill(msg, case, customer, pref, params, link_for(case) if with_link else None,
          templates.current(kind, msg.locale))
    reason = None
    if pref is not None and pref.opted_out_at is not None:
        reason = "opted_out"
    elif pref is not None and pref.consent is False:
        reason = "no_consent"
    elif kind in NEEDS_CONSENT and (pref is None or pref.consent is not True):
        reason = "no_consent"
    if reason:
        msg.state, msg.reason = "skipped", reason
    db.session.add(msg)
    db.session.flush()
    if reason:
        events.record(case, kind="message", action="message_skipped", actor=actor,
                      data=_event_data(msg, reason=reason))
    else:
        # The timeline gets the message when it goes out (or is held, retried, fails) — seconds later;
        # a "queued" line before each "sent" one would only double the timeline.
        schedule_send(msg)
    return msg


def draft_for_new_case(case, kind: str, params: dict | None = None, *, dedupe: str) -> Message:
    """The message about a case being created, as a row that needs nothing but the case: queued, with
    no text yet (`is_draft`). The sender fills in its language, channel, recipient, text and status link
    from the customer and the case as they are then (`sending._send_claimed`) and applies the same rules
    as to any message (consent, opt-out, quiet hours, cap). So the creation makes no round trip for it
    (not even for the customer's language: `locale` here is provisional): the caller lists the row in
    `ctx.new_rows`, and the creation's numbering statement writes it; a rollback leaves none."""
    msg = Message(store_id=case.store_id, customer_id=case.customer_id, case_type=case.CASE_TYPE,
                  case_id=case.id, kind=kind, channel="sms", locale=LOCALES[0], recipient="", body="",
                  params=dict(params or {}), state="queued", attempts=0, created_at=now(),
                  dedupe_key=f"{kind}:{case.CASE_TYPE}:{case.id}:{dedupe}"[:120])
    db.session.add(msg)
    kick_sender()
    return msg


def is_draft(msg: Message) -> bool:
    """Written by a case's creation and not rendered yet (every rendered message has a text)."""
    return msg.body == ""


def schedule_send(msg: Message) -> None:
    """After commit: a message due now kicks the batch sender (one job for a burst of them); one due later
    (held until morning, a retry's backoff) gets a sender run at that second, shared by every message
    due then. The minute sweep (`dispatch_due`) is the safety net for both."""
    at = utc(msg.next_attempt_at)
    if at is not None and at > now():
        jobs.enqueue(SENDER, job_id=f"messages-due-{int(at.timestamp())}", at=at, queue="mail", retry=False)
    else:
        kick_sender()


def kick_sender() -> None:
    """After commit: a sender run MESSAGING_SEND_DELAY_SECONDS from now (one for every message due by then)."""
    jobs.kick(SENDER, queue="mail", delay=current_app.config["MESSAGING_SEND_DELAY_SECONDS"])


def service_reminders(days_ahead: int = 7) -> int:
    """Remind customers who consented that a vehicle's service is due in `days_ahead` days (by date only).
    The reminders package's daily job (its due list, mileage projected too) calls `service_reminder_for`."""
    due = (now() + timedelta(days=days_ahead)).date()
    rows = db.session.execute(sa.select(Vehicle.id, Vehicle.next_service_date).join(
        ContactPreference, ContactPreference.customer_id == Vehicle.customer_id).where(
        Vehicle.next_service_date == due, ContactPreference.consent.is_(True),
        ContactPreference.opted_out_at.is_(None))).all()
    return sum(service_reminder_for(vehicle_id, date) is not None for vehicle_id, date in rows)


def may_remind(customer_id: int) -> bool:
    """The customer said yes to service reminders and has not opted out."""
    pref = preference(customer_id)
    return pref is not None and pref.consent is True and pref.opted_out_at is None


def service_reminder_for(vehicle_id: int, due_date) -> Message | None:
    """The consent-based service reminder of one vehicle due on `due_date`, queued now. It hangs off the
    vehicle's latest work order (its timeline shows it); once per vehicle and due date. None when it
    cannot go (no consent, no work order to hang it on) or went already: the caller calls instead."""
    wf = REGISTRY.get("work_order")
    vehicle = db.session.get(Vehicle, vehicle_id)
    if wf is None or vehicle is None or not may_remind(vehicle.customer_id):
        return None
    wo = db.session.scalar(sa.select(wf.model).where(wf.model.vehicle_id == vehicle_id)
                           .order_by(wf.model.id.desc()).limit(1))
    if wo is None:
        return None
    msg = queue_message(wo, "service_reminder", {"service_date": due_date.isoformat()},
                        dedupe=f"vehicle{vehicle_id}:{due_date.isoformat()}", with_link=False)
    return msg if msg is not None and msg.state != "skipped" else None


def messages_of(case) -> list[Message]:
    return list(db.session.scalars(sa.select(Message).where(
        Message.case_type == case.CASE_TYPE, Message.case_id == case.id).order_by(Message.id)))
