"""The customer status link of a case: issued with its messages, valid until revoked, until it expires
and at most N days after the case closes (an unguessable 32-byte token)."""
from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core import events
from ..core.clock import now, utc
from ..core.errors import NotFound
from ..core.workflow import REGISTRY
from ..extensions import db
from .models import StatusLink


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
