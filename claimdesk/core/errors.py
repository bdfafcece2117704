"""Domain errors and their one JSON body (api.md) and one set of HTML error pages."""
from __future__ import annotations

import logging

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class DomainError(Exception):
    """An error the user can act on. Services raise these; the boundary renders them."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None,
                 status: int | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields
        self.extra = extra or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"

    @classmethod
    def on(cls, field: str, message) -> ValidationFailed:
        """One field refused: its message is the error's and the field's (`fields={field: [message]}`)."""
        return cls(str(message), fields={field: [str(message)]})


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Conflict(DomainError):
    """The action is not allowed in this state, or the case moved on (version)."""

    status = 409
    code = "conflict"


class GateBlocked(Conflict):
    """A named business gate stops the action, e.g. 'final_qc_signed'."""

    code = "gate_blocked"

    def __init__(self, gate: str, message: str, **kw):
        super().__init__(message, extra={"gate": gate}, **kw)
        self.gate = gate


def error_body(status: int, code: str, message: str, fields: dict | None = None, extra: dict | None = None):
    body = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    if extra:
        body.update(extra)
    return {"error": body}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def _flatten_webargs(messages) -> dict:
    """webargs nests field errors by location ({"json": {...}}); the contract wants them flat."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict = {}
    for location, errs in messages.items():
        if location in ("json", "form", "query", "files", "headers", "view_args") and isinstance(errs, dict):
            flat.update(errs)
        else:
            flat[location] = errs
    return flat


def _str_keys(value):
    """Field errors keyed by what the client sent: a form part without a usable name comes back from
    webargs as None, which JSON (with sorted keys) cannot take."""
    if isinstance(value, dict):
        return {str(k): _str_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_str_keys(v) for v in value]
    return value


def _respond(status: int, code: str, message: str, fields=None, extra=None, headers=None):
    fields = _str_keys(fields) if fields else fields
    if wants_json():
        resp = jsonify(error_body(status, code, message, fields, extra))
        resp.status_code = status
        if headers:
            resp.headers.extend(headers)
        return resp
    if status in (401,):
        return redirect("/login?next=" + request.full_path)
    if status in (409, 422) and request.method == "POST" and request.referrer:
        # A form action that was refused: go back to the page and say why.
        flash(message, "danger")
        return redirect(request.referrer)
    if status == 413 and request.method == "POST" and request.referrer \
            and not request.headers.get("X-Claimdesk-Progress"):
        # An upload form over the limit sent without app.js (which checks the size first and shows
        # its own message on a 413): back to the page with the limit named, like a refused form.
        flash(message, "danger")
        return redirect(request.referrer)
    return render_template("errors/error.html", status=status, code=code, message=message), status


def register_error_handlers(app: Flask) -> None:
    # Every handler rolls the unit of work back through uow (effects dropped, on_rollback hooks run)
    from . import uow

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        uow.rollback()
        return _respond(err.status, err.code, err.message, err.fields, err.extra)

    @app.errorhandler(StaleDataError)
    def _stale(err):
        uow.rollback()
        return _respond(409, "version_conflict", _("The case was changed by someone else; reload and try again."))

    @app.errorhandler(OperationalError)
    def _db_down(err):
        uow.rollback()
        log.error("database unavailable: %s", err.__class__.__name__)
        return _respond(503, "service_unavailable", _("The database is unavailable; nothing was saved. Try again."))

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(err):
        # The database (or date arithmetic) refused a value the schemas let through, e.g. an id
        # beyond 32 bits (PostgreSQL: "integer out of range"): the caller's input, not our fault.
        uow.rollback()
        log.warning("value out of range on %s %s: %s", request.method, request.path,
                    str(getattr(err, "orig", err)).splitlines()[0][:200])
        return _respond(422, "validation_error", _("A value is out of range or too long."))

    @app.errorhandler(DBAPIError)
    def _db_error(err):
        uow.rollback()
        if getattr(err, "connection_invalidated", False):
            return _respond(503, "service_unavailable", _("The database is unavailable; nothing was saved. Try again."))
        log.exception("database error")
        return _respond(500, "internal_error", _("Internal error; nothing was saved."))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        uow.rollback()
        status = err.code or 500
        data = getattr(err, "data", None) or {}
        fields = None
        message = err.description or ""
        if data.get("messages") is not None:
            fields = _flatten_webargs(data["messages"])
            message = _("Malformed request body.") if status == 400 else _("Some fields are invalid.")
        elif isinstance(data.get("message"), str):
            message = data["message"]
        if status == 400 and not fields:
            message = message or _("Malformed request body.")
        if status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
            message = _("The file is too large (at most %(mb)s MB).", mb=limit // 1048576)
        if status == 429:
            message = _("Too many attempts from your address; wait a minute and try again.")
        headers = None
        if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
            headers = {"Allow": ", ".join(err.valid_methods)}
        return _respond(status, HTTP_CODES.get(status, "error"), message, fields, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        uow.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", _("Internal error; nothing was saved."))
