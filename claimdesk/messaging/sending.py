"""Sending customer messages: one message (`send`) or a batch (`send_due`, the sender job's work) by one
path — load what the messages need once, apply each message's rules (opt-out, quiet hours, daily cap),
hand it to the provider, then write every outcome and timeline line in one flush.

The rules per message are the same for a batch of one and a batch of fifty; only the reads are shared:
`Batch` loads the batch's cases, customers, contact preferences, stores, advisors, vehicles, current status
links, stored templates (the drafts' kinds, every language) and today's sent messages in one query each, so
a batch of 50 makes about a dozen statements instead of 14 per message (`bench/profile_create.py --sender`
measures it).
"""
from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import flag_modified

from .. import jobs
from ..auth.models import Store, User
from ..core import events
from ..core.clock import now, utc
from ..customers.models import Customer, Vehicle
from ..extensions import db
from . import links, providers, services, templates
from .models import WAITING, ContactPreference, Message, StatusLink

log = logging.getLogger(__name__)


# --- quiet hours ---------------------------------------------------------------------------------
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


# --- what a batch reads, once --------------------------------------------------------------------
class Batch:
    """The rows the messages of one send need, each kind read with one query; the timeline lines the
    sends write, inserted together by `finish`."""

    def __init__(self, messages: list[Message]):
        self.t = now()
        by_type: dict[str, set[int]] = defaultdict(set)
        for m in messages:
            if m.case_type:
                by_type[m.case_type].add(m.case_id)
        self.cases: dict[tuple[str, int], object] = {}
        for case_type, ids in by_type.items():
            model = links._case_model(case_type)
            for case in db.session.scalars(sa.select(model).where(model.id.in_(ids))):
                self.cases[(case_type, case.id)] = case
        customer_ids = {m.customer_id for m in messages}
        cases = list(self.cases.values())
        # loaded into the session: `services.case_params` takes them from its identity map, no query each
        _load(Customer, customer_ids)
        _load(Store, {m.store_id for m in messages} | {c.store_id for c in cases})
        _load(User, {c.assignee_id for c in cases if c.assignee_id})
        _load(Vehicle, {v for c in cases if (v := getattr(c, "vehicle_id", None))})
        self.prefs = {p.customer_id: p for p in db.session.scalars(
            sa.select(ContactPreference).where(ContactPreference.customer_id.in_(customer_ids)))}
        self.links: dict[tuple[str, int], StatusLink] = {}
        for case_type, ids in by_type.items():  # newest first: the first seen per case is its current link
            for link in db.session.scalars(sa.select(StatusLink).where(
                    StatusLink.case_type == case_type, StatusLink.case_id.in_(ids), StatusLink.revoked_at.is_(None),
                    StatusLink.expires_at > self.t).order_by(StatusLink.id.desc())):
                self.links.setdefault((case_type, link.case_id), link)
        # the texts the drafts are rendered with, every language (the customer's is known only then)
        self.templates = templates.current_of({m.kind for m in messages if services.is_draft(m)})
        self.sent: dict[int, list[datetime]] = defaultdict(list)
        if current_app.config["MESSAGING_DAILY_CAP"] and customer_ids:
            since = self.t - timedelta(days=1)  # today's local midnight is less than a day ago in any zone
            for customer_id, sent_at in db.session.execute(sa.select(Message.customer_id, Message.sent_at).where(
                    Message.customer_id.in_(customer_ids), Message.state == "sent", Message.sent_at >= since)):
                self.sent[customer_id].append(utc(sent_at))
        self.events: list[dict] = []

    def case_of(self, msg: Message):
        return self.cases.get((msg.case_type, msg.case_id)) if msg.case_type else None

    def preference(self, customer_id: int) -> ContactPreference | None:
        return self.prefs.get(customer_id)

    def template(self, kind: str, locale: str) -> dict:
        """A draft's text in force (`templates.current`), as read for the batch."""
        return self.templates[(kind, locale)]

    def link(self, case) -> StatusLink:
        """As `links.link_for`: the case's current link, or a new one (inserted by `finish`)."""
        link = self.links.get((case.CASE_TYPE, case.id))
        if link is None or links.link_state(link, case) != "ok":
            link = StatusLink(token=secrets.token_urlsafe(32), store_id=case.store_id, customer_id=case.customer_id,
                              case_type=case.CASE_TYPE, case_id=case.id, created_at=self.t,
                              expires_at=self.t + timedelta(days=current_app.config["STATUS_LINK_MAX_DAYS"]))
            db.session.add(link)
            self.links[(case.CASE_TYPE, case.id)] = link
        return link

    def sent_today(self, customer_id: int, local: datetime) -> int:
        midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        return sum(1 for at in self.sent[customer_id] if at >= midnight)

    def record(self, case, action: str, msg: Message, **extra) -> None:
        if case is not None:
            self.events.append(events.values(case, kind="message", action=action,
                                             data=services._event_data(msg, **extra)))

    def finish(self) -> None:
        """Write the sends' outcomes: the messages' and new links' rows (one flush), the timeline lines
        (one insert)."""
        db.session.flush()
        events.record_many(self.events)
        self.events = []


def _load(model, ids: set) -> None:
    ids = {i for i in ids if i is not None}
    if ids:
        db.session.scalars(sa.select(model).where(model.id.in_(ids))).all()


# --- one message ---------------------------------------------------------------------------------
#: a draft's columns that its rendering may leave as they were (a Chinese customer's language, an SMS, no
#: provider template): written anyway, so that every rendered draft's UPDATE sets the same columns and the
#: batch's go out as one executemany — drafts alternating between two languages would otherwise each get
#: their own UPDATE statement
RENDERED = ("locale", "channel", "template_code")


def _hold(msg: Message, reason: str, until: datetime, case, batch: Batch) -> str:
    changed = msg.state != "held" or msg.reason != reason
    msg.state, msg.reason, msg.next_attempt_at = "held", reason, until
    if changed:
        batch.record(case, "message_held", msg, reason=reason, due_at=until)
    services.schedule_send(msg)
    return f"held ({reason})"


def _send_claimed(msg: Message, batch: Batch) -> str:
    """Re-check the message's rules, hand it to the provider, record the outcome (in `batch`).

    The provider's failure never touches the case: the message is marked retrying (and sent again after
    the next backoff interval) or failed, and the timeline shows it.
    """
    t = batch.t
    if msg.next_attempt_at is not None and utc(msg.next_attempt_at) > t:
        return "not yet"
    case = batch.case_of(msg)
    pref = batch.preference(msg.customer_id)
    if services.is_draft(msg):
        if case is None:
            raise LookupError(f"the case of draft message {msg.id} is gone")
        msg.locale = services.locale_of(pref)  # the customer's language as the message goes out
        services._fill(msg, case, db.session.get(Customer, msg.customer_id), pref, dict(msg.params or {}),
                       batch.link(case), batch.template(msg.kind, msg.locale))
        for key in RENDERED:
            flag_modified(msg, key)
    if pref is not None and (pref.opted_out_at is not None or pref.consent is False):
        msg.state, msg.reason = "skipped", "opted_out" if pref.opted_out_at else "no_consent"
        batch.record(case, "message_skipped", msg, reason=msg.reason)
        return "skipped"
    local = t.astimezone(ZoneInfo(db.session.get(Store, msg.store_id).timezone))
    if msg.channel == "sms":
        until = next_allowed(local)
        if until is not None:
            return _hold(msg, "quiet_hours", until, case, batch)
    cap = current_app.config["MESSAGING_DAILY_CAP"]
    if cap and batch.sent_today(msg.customer_id, local) >= cap:
        start, end = _quiet_hours()
        tomorrow = datetime.combine(local.date() + timedelta(days=1), time(end if start > end else 0),
                                    tzinfo=local.tzinfo)
        return _hold(msg, "daily_cap", tomorrow, case, batch)
    provider = providers.for_channel(msg.channel)
    result = provider.send(msg)
    msg.attempts += 1
    msg.provider = provider.name
    delays = current_app.config["MESSAGING_RETRY_SECONDS"]
    if result.outcome == "sent":
        msg.state, msg.reason, msg.sent_at, msg.provider_ref = "sent", None, t, (result.ref or "")[:128] or None
        msg.next_attempt_at = None
        batch.sent[msg.customer_id].append(t)
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
    batch.record(case, action, msg, provider=provider.name, attempt=msg.attempts,
                 error=result.error if action != "message_sent" else None, due_at=msg.next_attempt_at)
    if msg.state == "retrying":
        services.schedule_send(msg)
    return msg.state


def _send_all(claimed: list[Message]) -> list[str]:
    """Send each claimed message with the batch's reads; an unexpected error fails that message alone
    (`send_error`, logged; its timeline lines dropped) and keeps the others' outcomes — a message the
    provider took is never handed over again because a later one broke. Nothing is written to the
    database until every message is done (no statement per message), then all of it in one flush."""
    batch = Batch(claimed)
    outcomes = []
    for msg in claimed:
        mark = len(batch.events)
        try:
            outcomes.append(_send_claimed(msg, batch))
        except Exception as exc:  # noqa: BLE001 — one message's bug must not resend the batch
            log.exception("message %s could not be sent", msg.id)
            del batch.events[mark:]
            msg.state, msg.reason, msg.next_attempt_at = "failed", "send_error", None
            msg.last_error = f"{type(exc).__name__}: {exc}"[:255]
            outcomes.append("failed")
    batch.finish()
    return outcomes


def send(message_id: int) -> str:
    """Send one message now if it is due (tests, and send jobs queued before the batch sender): lock it,
    then as `send_due` does for each message it claims."""
    stmt = sa.select(Message).where(Message.id == message_id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # this and a batch sender never send the same message twice
    msg = db.session.scalar(stmt)
    if msg is None or msg.state not in WAITING:
        return "nothing to do"
    batch = Batch([msg])
    outcome = _send_claimed(msg, batch)
    batch.finish()
    return outcome


# --- the sender job's work -----------------------------------------------------------------------
def _due(t: datetime):
    return sa.and_(Message.state.in_(WAITING),
                   sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= t))


def send_due(limit: int) -> int:
    """The batch sender's work: claim up to `limit` due messages, oldest first, and send them, all in the
    caller's one transaction. Returns how many it claimed.

    On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`: two senders (two workers, a kicked run and the
    sweep's) take different messages and never send one twice; elsewhere (SQLite: one writer) a plain
    read.
    """
    stmt = sa.select(Message).where(_due(now())).order_by(Message.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = db.session.scalars(stmt).all()
    if claimed:
        _send_all(claimed)
    return len(claimed)


def dispatch_due(limit: int = 500) -> int:
    """The safety net (every minute): if messages are due (a kick lost with Redis, a worker that died
    holding them, a held message's time come), enqueue a sender run. Returns how many are due (≤ limit)."""
    due = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(Message.id).where(_due(now())).limit(limit).subquery())) or 0
    if due:
        jobs.enqueue_now(services.SENDER, job_id="messages-sweep", queue="mail", retry=False)
    return due
