"""Verbs of customer messaging: queue a message for a case (consent, opt-out and channel decided here),
send it (quiet hours, daily cap, retries with backoff, delivery status on the case timeline), opt out,
and the case's status link."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..auth.models import Store, User
from ..core import events
from ..core.clock import now, utc
from ..core.errors import NotFound, ValidationFailed
from ..core.workflow import REGISTRY
from ..customers.models import Customer, Vehicle
from ..extensions import db
from . import providers, templates
from .models import WAITING, ContactPreference, Message, StatusLink

log = logging.getLogger(__name__)

OPT_OUT_WORDS = {"TD", "T", "N", "退订", "STOP", "UNSUBSCRIBE"}
#: kinds that are marketing rather than about a case the customer has open: need explicit consent
NEEDS_CONSENT = {"service_reminder"}


# --- preferences and opt-out ---------------------------------------------------------------------
def preference(customer_id: int) -> ContactPreference | None:
    return db.session.get(ContactPreference, customer_id)


def set_preference(customer: Customer, data: dict) -> ContactPreference:
    pref = preference(customer.id) or ContactPreference(customer_id=customer.id)
    db.session.add(pref)
    if "consent" in data and data["consent"] != pref.consent:
        pref.consent = data["consent"]
        pref.consent_at = now()
        if data["consent"]:
            pref.opted_out_at = None
            pref.opt_out_source = None
    for key in ("channel", "wechat_openid", "email"):
        if key in data:
            setattr(pref, key, data[key] or (None if key != "channel" else "sms"))
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


# --- status links --------------------------------------------------------------------------------
def _case_model(case_type: str):
    wf = REGISTRY.get(case_type)
    if wf is None:
        raise NotFound(str(_l("Not found.")))
    return wf.model


def link_for(case) -> StatusLink:
    """The case's current link (one that is neither revoked nor expired), or a new one."""
    t = now()
    link = db.session.scalar(sa.select(StatusLink).where(
        StatusLink.case_type == case.CASE_TYPE, StatusLink.case_id == case.id, StatusLink.revoked_at.is_(None),
        StatusLink.expires_at > t).order_by(StatusLink.id.desc()).limit(1))
    if link is not None and link_state(link, case) == "ok":
        return link
    link = StatusLink(token=secrets.token_urlsafe(32), store_id=case.store_id, customer_id=case.customer_id,
                      case_type=case.CASE_TYPE, case_id=case.id, created_at=t,
                      expires_at=t + timedelta(days=current_app.config["STATUS_LINK_MAX_DAYS"]))
    db.session.add(link)
    db.session.flush()
    return link


def link_url(link: StatusLink) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{link.token}"


def link_state(link: StatusLink, case) -> str:
    """ok, revoked or expired (also N days after the case closed)."""
    t = now()
    if link.revoked_at is not None:
        return "revoked"
    if utc(link.expires_at) <= t:
        return "expired"
    closed = utc(getattr(case, "closed_at", None))
    if closed is not None and t >= closed + timedelta(days=current_app.config["STATUS_LINK_DAYS_AFTER_CLOSE"]):
        return "expired"
    return "ok"


def resolve_link(token: str):
    """(link, case, state) for a token; NotFound when no such link exists."""
    if not token or len(token) > 64:
        raise NotFound(str(_l("Not found.")))
    link = db.session.scalar(sa.select(StatusLink).where(StatusLink.token == token))
    if link is None:
        raise NotFound(str(_l("Not found.")))
    case = db.session.get(_case_model(link.case_type), link.case_id)
    if case is None:
        raise NotFound(str(_l("Not found.")))
    return link, case, link_state(link, case)


def revoke_link(link: StatusLink, actor) -> None:
    if link.revoked_at is None:
        link.revoked_at = now()
        link.revoked_by_id = getattr(actor, "id", None)
        case = db.session.get(_case_model(link.case_type), link.case_id)
        events.record(case, kind="message", action="status_link_revoked", actor=actor, data={"link_id": link.id})
        db.session.flush()


def links_of(case) -> list[StatusLink]:
    return list(db.session.scalars(sa.select(StatusLink).where(
        StatusLink.case_type == case.CASE_TYPE, StatusLink.case_id == case.id).order_by(StatusLink.id.desc())))


# --- queueing ------------------------------------------------------------------------------------
def _channel_and_recipient(customer: Customer, pref: ContactPreference | None) -> tuple[str, str]:
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


def queue_message(case, kind: str, params: dict | None = None, *, dedupe: str, actor=None,
                  with_link: bool = True) -> Message | None:
    """Write one message about `case` in the current transaction and enqueue its sending after commit.

    A message with the same dedupe key exists already: nothing (None). No consent or opted out: the
    message is kept as `skipped` (the timeline says why) and nothing is enqueued.
    """
    key = f"{kind}:{case.CASE_TYPE}:{case.id}:{dedupe}"[:120]
    if db.session.scalar(sa.select(Message.id).where(Message.dedupe_key == key)) is not None:
        return None
    customer = db.session.get(Customer, case.customer_id)
    pref = preference(customer.id)
    channel, recipient = _channel_and_recipient(customer, pref)
    locale = "zh"
    values = case_params(case)
    if with_link:
        values["link"] = link_url(link_for(case))
    values.update(params or {})
    tpl = templates.current(kind, locale)
    code = tpl["wechat_template_id"] if channel == "wechat" else tpl["sms_template_code"]
    msg = Message(store_id=case.store_id, customer_id=customer.id, case_type=case.CASE_TYPE, case_id=case.id,
                  kind=kind, channel=channel, locale=locale, recipient=recipient, template_code=code,
                  params={k: v for k, v in values.items() if k in templates.PLACEHOLDERS},
                  body=templates.render_body(tpl["body"], values), dedupe_key=key, created_at=now())
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
        _enqueue(msg)
    return msg


def _job_id(msg: Message) -> str:
    stamp = int(msg.next_attempt_at.timestamp()) if msg.next_attempt_at else 0
    return f"message-{msg.id}-{msg.attempts}-{stamp}"


def _enqueue(msg: Message) -> None:
    at = utc(msg.next_attempt_at)
    jobs.enqueue("claimdesk.messaging.jobs.send_message", msg.id, job_id=_job_id(msg), queue="mail",
                 retry=False, **({"at": at} if at and at > now() else {}))


# --- sending -------------------------------------------------------------------------------------
def _quiet_hours() -> tuple[int, int]:
    start, end = current_app.config["MESSAGING_QUIET_HOURS"].split("-")
    return int(start), int(end)


def next_allowed(local: datetime) -> datetime | None:
    """None if an SMS may go at this local time, else the local time the quiet hours end."""
    start, end = _quiet_hours()
    hour = local.hour
    quiet = (hour >= start or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=local.tzinfo)


def _sent_today(msg: Message, local: datetime) -> int:
    midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.customer_id == msg.customer_id, Message.state == "sent", Message.sent_at >= midnight,
        Message.id != msg.id)) or 0


def _case_of(msg: Message):
    if not msg.case_type:
        return None
    return db.session.get(_case_model(msg.case_type), msg.case_id)


def _hold(msg: Message, reason: str, until: datetime, case) -> str:
    changed = msg.state != "held" or msg.reason != reason
    msg.state, msg.reason, msg.next_attempt_at = "held", reason, until
    if changed and case is not None:
        events.record(case, kind="message", action="message_held", data=_event_data(msg, reason=reason, due_at=until))
    db.session.flush()
    _enqueue(msg)
    return f"held ({reason})"


def send(message_id: int) -> str:
    """The send job: re-read the message and its rules, hand it to the provider, record the outcome.

    The provider's failure never touches the case: the message is marked retrying (and sent again after
    the next backoff interval) or failed, and the timeline shows it.
    """
    stmt = sa.select(Message).where(Message.id == message_id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # a job and the sweep's copy of it never send twice
    msg = db.session.scalar(stmt)
    if msg is None or msg.state not in WAITING:
        return "nothing to do"
    t = now()
    if msg.next_attempt_at is not None and utc(msg.next_attempt_at) > t:
        return "not yet"
    case = _case_of(msg)
    pref = preference(msg.customer_id)
    if pref is not None and (pref.opted_out_at is not None or pref.consent is False):
        msg.state, msg.reason = "skipped", "opted_out" if pref.opted_out_at else "no_consent"
        if case is not None:
            events.record(case, kind="message", action="message_skipped", data=_event_data(msg, reason=msg.reason))
        db.session.flush()
        return "skipped"
    store = db.session.get(Store, msg.store_id)
    local = t.astimezone(ZoneInfo(store.timezone))
    if msg.channel == "sms":
        until = next_allowed(local)
        if until is not None:
            return _hold(msg, "quiet_hours", until, case)
    cap = current_app.config["MESSAGING_DAILY_CAP"]
    if cap and _sent_today(msg, local) >= cap:
        start, end = _quiet_hours()
        tomorrow = datetime.combine(local.date() + timedelta(days=1), time(end if start > end else 0),
                                    tzinfo=local.tzinfo)
        return _hold(msg, "daily_cap", tomorrow, case)
    provider = providers.for_channel(msg.channel)
    result = provider.send(msg)
    msg.attempts += 1
    msg.provider = provider.name
    delays = current_app.config["MESSAGING_RETRY_SECONDS"]
    if result.outcome == "sent":
        msg.state, msg.reason, msg.sent_at, msg.provider_ref = "sent", None, t, (result.ref or "")[:128] or None
        msg.next_attempt_at = None
        action = "message_sent"
    elif result.outcome == "retry" and msg.attempts <= len(delays):
        msg.state, msg.reason, msg.last_error = "retrying", "provider_busy", (result.error or "")[:255]
        msg.next_attempt_at = t + timedelta(seconds=delays[msg.attempts - 1])
        action = "message_retrying"
    else:
        msg.state, msg.reason, msg.last_error = "failed", "provider_error", (result.error or "")[:255]
        msg.next_attempt_at = None
        action = "message_failed"
    log.info("message %s (%s, %s to %s) via %s: %s %s", msg.id, msg.kind, msg.channel,
             providers.mask_recipient(msg.channel, msg.recipient), provider.name, result.outcome, result.error or "")
    if case is not None:
        events.record(case, kind="message", action=action, data=_event_data(
            msg, provider=provider.name, attempt=msg.attempts, error=result.error if action != "message_sent" else None,
            due_at=msg.next_attempt_at))
    db.session.flush()
    if msg.state == "retrying":
        _enqueue(msg)
    return msg.state


def dispatch_due(limit: int = 500) -> int:
    """The safety net: enqueue every waiting message whose time has come (Redis may have lost its job)."""
    t = now()
    rows = db.session.scalars(sa.select(Message).where(
        Message.state.in_(WAITING),
        sa.or_(Message.next_attempt_at <= t,
               sa.and_(Message.next_attempt_at.is_(None), Message.created_at <= t - timedelta(seconds=30))))
        .order_by(Message.id).limit(limit)).all()
    for msg in rows:
        jobs.enqueue_now("claimdesk.messaging.jobs.send_message", msg.id, job_id=_job_id(msg), queue="mail",
                         retry=False)
    return len(rows)


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
