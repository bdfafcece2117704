"""Stores of the dealer group, staff users and their API tokens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.models import TimestampMixin
from ..core.types import JSONType, UTCDateTime
from ..extensions import db

#: qc_inspector (质检员) signs the final QC; info_clerk (信息员) reads dashboards, reports and exports and
#: runs follow-up calls, and changes nothing else
#: front_desk_supervisor (前台主管) runs the service reception: every advisor's work of the store, its front-desk
#: reports, no administration
ROLES = ("customer_relations", "advisor", "front_desk_supervisor", "workshop", "qc_inspector", "info_clerk",
         "manager", "admin")


class Store(TimestampMixin, db.Model):
    """One 4S store of the dealer group; every case belongs to exactly one."""

    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="Asia/Shanghai")
    address: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    # Where a claim's payout goes (the dealer's account), printed on claim forms.
    bank_account: Mapped[str | None] = mapped_column(sa.String(64))
    settings: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(
        "role in ('customer_relations','advisor','front_desk_supervisor','workshop','qc_inspector','info_clerk',"
        "'manager','admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    full_name: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    role: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    # A group-wide manager sees every store's cases.
    is_group: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Store manager (店长) as opposed to after-sales manager: the top of the escalation ladder.
    is_store_manager: Mapped[bool] = mapped_column(nullable=False, default=False)
    team: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    store: Mapped[Store] = relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(db.Model):
    """A bearer token. Only its SHA-256 is stored; it expires and can be revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(db.Model):
    """A browser's login, kept on the server: the cookie holds a random id whose SHA-256 is stored here,
    so logout, "log out everywhere", a password change or deactivation end it for good, and it has an
    idle and an absolute lifetime (SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(db.Model):
    """Failed logins under one key: an account from one address, an account from anywhere, or an address
    (services.login_keys). Successful logins are never counted; a key waits `blocked_until` after too many."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(nullable=False, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
