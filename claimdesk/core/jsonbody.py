"""Reading JSON request bodies: anything that is not sound JSON text is a 400, never a 500.

The standard parser gives up on deep nesting with RecursionError (not ValueError, so neither Flask
nor webargs turn it into a 400), and it accepts escaped lone surrogates ("\\ud800") that are valid
JSON but no text: the string cannot be encoded as UTF-8, and the database driver fails on it. Both
come out of `loads` as `json.JSONDecodeError`; a request whose JSON body fails it is answered 400
"Malformed request body." (the api.md error body) before any view runs.
"""
from __future__ import annotations

import json

from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest


def _check_text(value, doc: str) -> None:
    """Walk the decoded value without recursion; a string that is not encodable text is an error."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings = (item,)
        elif isinstance(item, dict):
            strings = item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        else:
            continue
        for s in strings:
            try:
                s.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise json.JSONDecodeError(f"Not valid text: {exc.reason}", doc, 0) from None


def loads(data: str | bytes, **kw):
    """json.loads for request bodies: JSONDecodeError (a ValueError) for anything unsound."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"Not UTF-8: {exc.reason}", "", exc.start) from None
    try:
        value = json.loads(data, **kw)
    except RecursionError:
        raise json.JSONDecodeError("Nested too deeply", "", 0) from None
    _check_text(value, "")
    return value


class JSONProvider(DefaultJSONProvider):
    """Flask's provider with the safe `loads` (used by request.get_json, e.g. by Flask-WTF)."""

    def loads(self, s, **kw):
        return loads(s, **kw)


def check_request_body() -> None:
    """before_request: a JSON body must be sound before any view or schema reads it (webargs then
    parses it once more with the standard parser, which cannot fail on a body that passed here)."""
    if request.is_json and request.content_length:
        try:
            loads(request.get_data(cache=True))
        except ValueError:
            raise BadRequest(description=_("Malformed request body.")) from None


def init_app(app) -> None:
    app.json = JSONProvider(app)
    app.before_request(check_request_body)
