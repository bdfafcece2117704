"""Verbs of the inbox: deliver notices (deduplicated per recipient and key), read them, mark them read,
and send the optional e-mail copy as a job with retries."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Callable
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from flask import current_app

from .. import jobs
from ..core import bulk
from ..core.clock import now
from ..core.errors import NotFound
from flask_babel import lazy_gettext as _l
from ..extensions import db
from .models import Notification

log = logging.getLogger(__name__)

#: kind -> function(notification) -> (title, body), in the current locale
RENDERERS: dict[str, Callable] = {}


def register_renderer(kind: str):
    def deco(fn):
        RENDERERS[kind] = fn
        return fn

    return deco


def render(n: Notification) -> tuple[str, str]:
    fn = RENDERERS.get(n.kind)
    if fn is None:
        return n.data.get("title", n.kind), n.data.get("body", "")
    return fn(n)


def deliver(rows: list[dict]) -> list[int]:
    """Insert notices; a (user, dedupe_key) that exists already is skipped. Returns the new ids.
    E-mail copies go out after commit when SMTP is configured and the user has an address."""
    if not rows:
        return []
    t = Notification.__table__
    rows = [{"case_type": None, "case_id": None, "data": {}, "created_at": now(), **r} for r in rows]
    created = bulk.insert_many(t, rows, conflict=("user_id", "dedupe_key"), returning=("id", "user_id"))
    if created and current_app.config.get("SMTP_URL"):
        from ..auth.models import User

        with_email = set(db.session.scalars(sa.select(User.id).where(
            User.id.in_({r.user_id for r in created}), User.email.is_not(None), User.email != "")))
        for r in created:
            if r.user_id in with_email:
                jobs.enqueue("claimdesk.notifications.jobs.send_email", r.id, job_id=f"mail-notification-{r.id}",
                             queue="mail")
    return [r.id for r in created]


def notify(user_ids, kind: str, dedupe_key: str, *, data: dict | None = None, case_type=None, case_id=None):
    """One notice to each user (other domains call this)."""
    return deliver([{"user_id": uid, "kind": kind, "dedupe_key": dedupe_key, "data": data or {},
                     "case_type": case_type, "case_id": case_id, "created_at": now()} for uid in user_ids])


def inbox(user_id: int, *, unread_only: bool = False):
    stmt = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def get_own(user_id: int, notification_id: int) -> Notification:
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        raise NotFound(str(_l("Notification not found.")))
    return n


def mark_read(user_id: int, notification_id: int) -> Notification:
    n = get_own(user_id, notification_id)
    if n.read_at is None:
        n.read_at = now()
        db.session.flush()
    return n


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(sa.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now()))
    return result.rowcount or 0


def case_link(n: Notification) -> str | None:
    from ..core.web import case_url

    if not n.case_type or not n.case_id:
        return None
    try:
        return case_url(n.case_type, n.case_id)
    except Exception:  # noqa: BLE001 — the case module is not installed in this app
        return None


# --- e-mail ---------------------------------------------------------------------------------------
def smtp_send(url: str, msg: EmailMessage) -> None:
    """smtp://user:pass@host:25, smtp+starttls://…:587 or smtps://…:465."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port
    if parts.scheme == "smtps":
        server = smtplib.SMTP_SSL(host, port or 465, timeout=15)
    else:
        server = smtplib.SMTP(host, port or 25, timeout=15)
    try:
        if parts.scheme == "smtp+starttls":
            server.starttls()
        if parts.username:
            server.login(unquote(parts.username), unquote(parts.password or ""))
        server.send_message(msg)
    finally:
        try:
            server.quit()
        except Exception:  # noqa: BLE001
            pass


def send_email(notification_id: int) -> str:
    """Send a notice's e-mail copy once; raises on SMTP trouble so RQ retries with backoff."""
    from flask_babel import force_locale

    from ..auth.models import User

    n = db.session.get(Notification, notification_id)
    if n is None:
        return "gone"
    if n.email_state == "sent":
        return "already sent"
    user = db.session.get(User, n.user_id)
    url = current_app.config.get("SMTP_URL")
    if user is None or not user.email or not url:
        return "no address"
    with force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        title, body = render(n)
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = current_app.config.get("MAIL_FROM", "claimdesk@localhost")
    msg["To"] = user.email
    msg.set_content(body)
    smtp_send(url, msg)
    n.email_state = "sent"
    n.emailed_at = now()
    return "sent"
