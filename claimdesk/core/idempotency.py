"""Idempotent POSTs: the same request sent twice acts once.

An API client sends `Idempotency-Key: <its own unique string>` with a POST; an HTML form carries a
one-time token (hidden field `once_token`, rendered by the `csrf()` macro). The first request with a
key inserts a row for (user, key) in the request's own transaction, and the response is written into
that row just before the boundary commits; so the row exists exactly when the request's effect does
(a refused or rolled-back request stores nothing and the key can be used again).

A repeat — sequential, or concurrent: its insert waits on the unique key until the first transaction
ends — finds the committed row and gets the first response replayed (header `Idempotent-Replayed:
true`). The same key with another method, path or body is a 422. Rows expire after
IDEMPOTENCY_TTL_SECONDS (auth/jobs.py purges them).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Response, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import ImmutableMultiDict

from ..extensions import db
from .clock import now
from .errors import Conflict, ValidationFailed
from .types import JSONType, UTCDateTime

HEADER = "Idempotency-Key"
FORM_FIELD = "once_token"
MAX_KEY = 255
#: response headers worth replaying (the rest is rebuilt by the app on the way out)
KEPT_HEADERS = ("Content-Type", "Location")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class IdempotencyKey(db.Model):
    """One POST's key and, once it succeeded, its response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY), nullable=False)
    method_path: Mapped[str] = mapped_column(sa.String(400), nullable=False)
    body_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status: Mapped[int | None] = mapped_column(sa.Integer)
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


def _request_key() -> str | None:
    if request.path.startswith("/api/"):
        return request.headers.get(HEADER)
    if request.mimetype in FORM_TYPES and FORM_FIELD in request.form:
        token = request.form.get(FORM_FIELD) or None
        # The views hand their form to schemas that refuse unknown fields: the token is ours alone.
        request.form = ImmutableMultiDict([(k, v) for k, v in request.form.items(multi=True)
                                           if k != FORM_FIELD])
        return token
    return None


def _body_hash() -> str:
    """SHA-256 of what the request asks for: JSON canonically (key order and spacing do not matter),
    forms by their fields and files' contents (a multipart boundary differs on every send)."""
    h = hashlib.sha256()
    if request.mimetype in FORM_TYPES:
        # a part without a usable name comes back as None: sort by text
        for name, value in sorted(request.form.items(multi=True), key=lambda item: (str(item[0]), item[1])):
            if name not in ("csrf_token", FORM_FIELD):
                h.update(json.dumps([name, value]).encode())
        for name, f in sorted(request.files.items(multi=True), key=lambda item: str(item[0])):
            content = f.stream.read()
            f.stream.seek(0)
            h.update(json.dumps([name, f.filename, hashlib.sha256(content).hexdigest()]).encode())
        return h.hexdigest()
    raw = request.get_data(cache=True)
    if request.is_json and raw:
        raw = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    h.update(raw)
    return h.hexdigest()


def _insert_if_absent(values: dict):
    """INSERT … ON CONFLICT (user_id, key) DO NOTHING RETURNING id: None if the key exists. On
    PostgreSQL it waits for a concurrent transaction holding the same key and then sees its outcome."""
    table = IdempotencyKey.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values).on_conflict_do_nothing(
        index_elements=["user_id", "key"]).returning(table.c.id)
    return db.session.execute(stmt).scalar()


def begin():
    """before_request: claim the key, or answer with the first response (or 422) if it is taken."""
    if request.method != "POST":
        return None
    key = _request_key()
    if key is None or not current_user.is_authenticated:
        return None
    if not 0 < len(key) <= MAX_KEY or not key.isprintable():
        raise ValidationFailed(_("Some fields are invalid."), fields={HEADER: [
            _("1 to %(n)s printable characters.", n=MAX_KEY)]})
    values = {"user_id": current_user.id, "key": key, "method_path": f"POST {request.path}"[:400],
              "body_hash": _body_hash(), "created_at": now()}
    row_id = _insert_if_absent(values)
    if row_id is not None:
        g.idempotency_row = row_id
        return None
    row = db.session.execute(sa.select(IdempotencyKey).where(
        IdempotencyKey.user_id == values["user_id"], IdempotencyKey.key == key)).scalar_one()
    if (row.method_path, row.body_hash) != (values["method_path"], values["body_hash"]):
        raise ValidationFailed(_("Some fields are invalid."), fields={HEADER: [
            _("This key was used for another request; send a new key for a new request.")]})
    if row.status is None:  # cannot be committed this way; kept as a guard
        raise Conflict(_("The first request with this key has not finished; try again."))
    resp = Response(row.response_body or "", status=row.status, headers=row.response_headers or {})
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def complete(rv):
    """Just before the boundary commits: write the response into the key's row (only a response the
    boundary commits, < 400; otherwise the row goes). Returns the response to send."""
    row_id = g.pop("idempotency_row", None)
    if row_id is None:
        return rv
    resp = current_app.make_response(rv)
    table = IdempotencyKey.__table__
    if resp.status_code >= 400 or resp.direct_passthrough:
        db.session.execute(sa.delete(table).where(table.c.id == row_id))
        return resp
    headers = {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
    db.session.execute(sa.update(table).where(table.c.id == row_id).values(
        status=resp.status_code, response_body=resp.get_data(as_text=True), response_headers=headers))
    return resp


def purge_expired() -> int:
    cutoff = now() - timedelta(seconds=current_app.config.get("IDEMPOTENCY_TTL_SECONDS", 86400))
    table = IdempotencyKey.__table__
    return db.session.execute(sa.delete(table).where(table.c.created_at < cutoff)).rowcount


def form_token() -> str:
    """A fresh one-time token for an HTML form (template global `once_token()`)."""
    import secrets

    return secrets.token_urlsafe(18)


def init_app(app) -> None:
    app.before_request(begin)
    app.jinja_env.globals["once_token"] = form_token
