"""Verbs of the auth domain: stores, users, passwords and bearer tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core import riders
from ..core.clock import now
from ..core.errors import Conflict, ValidationFailed
from ..extensions import db
from .models import ROLES, ApiToken, Store, User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def create_store(code: str, name: str, timezone: str = "Asia/Shanghai", **extra) -> Store:
    code = code.strip().upper()
    if db.session.scalar(sa.select(Store.id).where(Store.code == code)):
        raise Conflict(str(_l("Store %(code)s exists already.", code=code)), code="duplicate")
    store = Store(code=code, name=name, timezone=timezone, **extra)
    db.session.add(store)
    db.session.flush()
    return store


def create_user(username: str, password: str, role: str, store: Store, *, group: bool = False,
                full_name: str | None = None, **extra) -> User:
    if role not in ROLES:
        raise ValidationFailed(str(_l("Unknown role.")), fields={"role": [f"one of {', '.join(ROLES)}"]})
    if len(password) < 8:
        raise ValidationFailed(str(_l("Password too short.")),
                               fields={"password": [str(_l("At least 8 characters."))]})
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(str(_l("User %(name)s exists already.", name=username)), code="duplicate")
    user = User(username=username, role=role, store_id=store.id, is_group=group, full_name=full_name, **extra)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# --- who works in a store: the one home of "active staff in this store" --------------------------------
def active_colleague(user_id: int | None, store_id: int) -> User | None:
    """The user if active and working in the store (a group user works in every store), else None.

    Callers add their own role rule (who may handle a complaint …) and their own field error."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active or (user.store_id != store_id and not user.is_group):
        return None
    return user


def store_staff(store_id: int, roles=None, *, exclude_roles=(), order_by=None) -> sa.Select:
    """Active users of one store (for pickers), optionally of some roles, by username."""
    stmt = sa.select(User).where(User.active.is_(True), User.store_id == store_id)
    if roles:
        stmt = stmt.where(User.role.in_(tuple(roles)))
    if exclude_roles:
        stmt = stmt.where(User.role.not_in(tuple(exclude_roles)))
    return stmt.order_by(order_by if order_by is not None else User.username)


def login_rate_limit() -> str:
    """Throttle for login attempts per client address (pages and API share it)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def authenticate(username: str, password: str) -> User | None:
    """The user if the password is right and the account is neither inactive nor locked."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    t = now()
    if user is None:
        # Same work as a real check, so timing does not tell which usernames exist.
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if user.locked_until and user.locked_until > t:
        return None
    if not user.active or not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = t + LOCKOUT
            user.failed_logins = 0
        return None
    user.failed_logins = 0
    user.locked_until = None
    return user


def is_locked(username: str) -> bool:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    return bool(user and user.locked_until and user.locked_until > now())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    t = now()
    row = ApiToken(user_id=user.id, token_hash=_hash(token), created_at=t,
                   expires_at=t + timedelta(seconds=current_app.config["TOKEN_TTL_SECONDS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


_TOKEN = sa.select(ApiToken).where(ApiToken.token_hash == sa.bindparam("token_hash"))


def token_user(token: str) -> tuple[User, ApiToken] | None:
    """The token's user and row, if the token is valid; the request's first query (it carries the riders)."""
    found = db.session.execute(riders.attach(_TOKEN), {"token_hash": _hash(token)}).first()
    if found is None:
        return None
    riders.deliver(found, 1)
    row = found[0]
    if row.revoked_at is not None or row.expires_at <= now() or not row.user.active:
        return None
    return row.user, row


_USER = sa.select(User).where(User.id == sa.bindparam("user_id"))


def session_user(user_id: int) -> User | None:
    """The user of a session cookie (Flask-Login's loader): a web request's first query, with the riders."""
    found = db.session.execute(riders.attach(_USER), {"user_id": user_id}).first()
    if found is None:
        return None
    riders.deliver(found, 1)
    return found[0]


def revoke_token(row: ApiToken) -> None:
    row.revoked_at = now()


_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummys$" + "0" * 128
