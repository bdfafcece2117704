"""Verbs of the auth domain: stores, users, passwords, browser sessions, bearer tokens and the login throttle."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.clock import now
from ..core.errors import Conflict, ValidationFailed
from ..extensions import db
from .models import ROLES, ApiToken, LoginThrottle, Store, User, UserSession

#: the password policy: at least this long, and at least this zxcvbn score (0–4; 3 = "safely
#: unguessable: moderate protection from offline slow-hash scenario")
PASSWORD_MIN_LENGTH = 10
PASSWORD_MIN_SCORE = 3


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
    check_password_policy(password, username, full_name)
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(str(_l("User %(name)s exists already.", name=username)), code="duplicate")
    user = User(username=username, role=role, store_id=store.id, is_group=group, full_name=full_name, **extra)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def password_problem(password: str, *user_inputs: str | None) -> str | None:
    """Why `password` is refused (a translated sentence), or None. zxcvbn estimates how many guesses it
    takes (common-password lists, dictionary words, names, keyboard patterns, dates, the user's own name)."""
    from zxcvbn import zxcvbn

    policy = str(_l("Use at least 10 characters, and no common password, word, name or pattern."))
    if len(password) < PASSWORD_MIN_LENGTH:
        return policy
    # zxcvbn refuses more than 72 characters (its cost grows with the length); the first 72 decide
    score = zxcvbn(password[:72], user_inputs=[u for u in user_inputs if u])["score"]
    return policy if score < PASSWORD_MIN_SCORE else None


def check_password_policy(password: str, *user_inputs: str | None) -> None:
    problem = password_problem(password, *user_inputs)
    if problem:
        raise ValidationFailed(str(_l("The password is too weak.")), fields={"password": [problem]})


def set_password(user: User, password: str, *, keep_session: UserSession | None = None) -> None:
    """A new password (own change, or an administrator's reset): every token and every other session
    of the user ends; `keep_session` is the one that made the change (it just proved the old password)."""
    check_password_policy(password, user.username, user.full_name)
    user.set_password(password)
    end_access(user, keep_session=keep_session)


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        end_access(user)


def end_access(user: User, *, keep_session: UserSession | None = None) -> None:
    """End every browser session and bearer token of `user` ("log out everywhere", a password change or
    reset, deactivation), except `keep_session`."""
    db.session.flush()  # the caller's pending changes (new hash, inactive) land before everything is expired
    t = now()
    sessions = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep_session is not None:
        sessions = sessions.where(UserSession.id != keep_session.id)
    db.session.execute(sessions.values(ended_at=t), execution_options={"synchronize_session": False})
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=t), execution_options={"synchronize_session": False})
    db.session.expire_all()  # rows loaded before the bulk updates must not answer from memory


# --- browser sessions -----------------------------------------------------------------------------
def start_session(user: User) -> tuple[str, UserSession]:
    """A new server-side session; the returned secret goes into the (signed) session cookie."""
    secret = secrets.token_urlsafe(32)
    t = now()
    row = UserSession(user_id=user.id, token_hash=_hash(secret), created_at=t, last_seen_at=t)
    db.session.add(row)
    db.session.flush()
    return secret, row


def end_session(secret: str | None) -> None:
    if secret:
        db.session.execute(sa.update(UserSession).where(UserSession.token_hash == _hash(secret),
                                                        UserSession.ended_at.is_(None)).values(ended_at=now()))


#: how stale `last_seen_at` may get before a request writes it (one UPDATE a minute, not one a request)
SEEN_RESOLUTION = timedelta(seconds=60)


def session_alive(row: UserSession) -> bool:
    """Not ended, used within the idle lifetime and younger than the absolute one; notes the use."""
    cfg, t = current_app.config, now()
    if row.ended_at is not None or not row.user.active:
        return False
    if t - row.last_seen_at > timedelta(seconds=cfg["SESSION_IDLE_SECONDS"]) \
            or t - row.created_at > timedelta(seconds=cfg["SESSION_MAX_SECONDS"]):
        row.ended_at = t
        return False
    if t - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = t
    return True


# --- login and its throttle ------------------------------------------------------------------------
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
    """Flood cap on failed login requests per client address (pages and API share it)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_failed(response) -> bool:
    """Flask-Limiter's `deduct_when`: only failed logins count (a page login succeeds with a redirect, a
    token request with 201), so a dealership behind one address is not limited by its own logins."""
    return response.status_code not in (201, 302)


def login_keys(username: str, address: str | None) -> dict[str, str]:
    """The throttle's keys for an attempt, with the config setting naming each one's free failures. The
    account is the name as typed (lower case), whether or not it exists, so the throttle cannot tell."""
    name, addr = username.strip().lower()[:64], (address or "unknown")[:64]
    return {f"pair:{name}|{addr}": "LOGIN_FREE_FAILURES", f"account:{name}": "LOGIN_ACCOUNT_FREE_FAILURES",
            f"address:{addr}": "LOGIN_ADDRESS_FREE_FAILURES"}


def login_wait(username: str, address: str | None) -> int:
    """Seconds until this account may be tried again from this address (0: now)."""
    t = now()
    until = db.session.scalar(sa.select(sa.func.max(LoginThrottle.blocked_until)).where(
        LoginThrottle.key.in_(list(login_keys(username, address))), LoginThrottle.blocked_until > t))
    return max(1, int((until - t).total_seconds() + 0.999)) if until else 0


def record_login_failure(username: str, address: str | None) -> None:
    """Count a failure under every key; past a key's free failures it waits, twice as long each time."""
    cfg, t = current_app.config, now()
    window = timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW_SECONDS"])
    for key, setting in login_keys(username, address).items():
        row = db.session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = _insert_throttle(key, t)
        if t - row.last_failure_at > window:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = t
        over = row.failures - cfg[setting]
        if over >= 0:
            delay = min(cfg["LOGIN_BACKOFF_SECONDS"] * 2 ** min(over, 30), cfg["LOGIN_BACKOFF_MAX_SECONDS"])
            row.blocked_until = t + timedelta(seconds=delay)
    db.session.flush()


def _insert_throttle(key: str, t) -> LoginThrottle:
    """The key's row, created if missing; two first failures at once must not collide."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    db.session.execute(insert(LoginThrottle).values(key=key, failures=0, last_failure_at=t)
                       .on_conflict_do_nothing(index_elements=["key"]))
    return db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)


def record_login_success(username: str, address: str | None) -> None:
    """The account's own counters start again; the address's does not (one good login must not wipe out
    a spray over other accounts)."""
    keys = [k for k in login_keys(username, address) if not k.startswith("address:")]
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


def attempt_login(username: str, password: str, address: str | None) -> tuple[User | None, int]:
    """(user, 0) on success; (None, seconds to wait) while throttled; (None, 0) for a wrong password, an
    unknown or an inactive account alike. Pages and the token endpoint both log in through here."""
    wait = login_wait(username, address)
    if wait:
        return None, wait
    user = authenticate(username, password)
    if user is None:
        record_login_failure(username, address)
        return None, 0
    record_login_success(username, address)
    return user, 0


def authenticate(username: str, password: str) -> User | None:
    """The user if the password is right and the account is active. Unknown, inactive and wrong all take
    the same work and answer None alike (the throttle is checked before, by the caller)."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        # Same work as a real check, so timing does not tell which usernames exist.
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


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
    """The token's user and row, if the token is valid."""
    row = db.session.execute(_TOKEN, {"token_hash": _hash(token)}).scalar()
    if row is None:
        return None
    if row.revoked_at is not None or row.expires_at <= now() or not row.user.active:
        return None
    return row.user, row


_SESSION = sa.select(UserSession).where(UserSession.token_hash == sa.bindparam("token_hash"))


def session_user(user_id: int, secret: str | None) -> tuple[User, UserSession] | None:
    """The user of a session cookie (Flask-Login's loader) and their live server-side session: a web
    request's first query."""
    if not secret:
        return None
    row = db.session.execute(_SESSION, {"token_hash": _hash(secret)}).scalar()
    if row is None:
        return None
    if row.user_id != user_id or not session_alive(row):
        return None
    return row.user, row


def revoke_token(row: ApiToken) -> None:
    row.revoked_at = now()


_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummys$" + "0" * 128
