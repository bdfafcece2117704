"""The OpenAPI document's error side: the api.md error body, documented on every status an operation
can answer, so that a client (and the fuzzer in tests/fuzz) can rely on the spec for errors too."""
from __future__ import annotations

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import INCLUDE, Schema, fields

#: status -> (component name, description); the wording follows api.md
ERRORS = {
    400: ("BadRequest", "Malformed request body (not JSON, or not the documented shape)."),
    401: ("Unauthenticated", "Not authenticated: send `Authorization: Bearer <token>` (POST /api/v1/auth/tokens)."),
    403: ("Forbidden", "Not allowed for the caller's role or store."),
    404: ("NotFound", "Unknown id, or a record of another store."),
    409: ("Conflict", "Not allowed in the current state, a named gate blocks it, a duplicate, "
                      "or the version moved on."),
    413: ("PayloadTooLarge", "The request or upload is larger than the limit."),
    415: ("UnsupportedMediaType", "Unsupported media type (send JSON; uploads: PDF, JPEG or PNG by content)."),
    422: ("ValidationError", "Invalid fields; `error.fields` names each one."),
    429: ("TooManyRequests", "Too many attempts from this address; wait and try again."),
    503: ("ServiceUnavailable", "The database is unavailable; nothing was saved."),
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
BODY_LOCATIONS = {"form", "formData"}


#: every authenticated POST takes it (core/idempotency.py)
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
    "description": "A unique string of the client's choosing (a UUID, say). Sending the same request "
                   "again with the same key does not act twice: the first response is replayed (with "
                   "`Idempotent-Replayed: true`); the same key with another body or path is a 422. A "
                   "request that failed stores nothing, so it may be retried with its key. Keys are "
                   "kept for 24 hours.",
}


class ErrorSchema(Schema):
    """{"error": {"status", "code", "message", ["fields"], [details such as "gate"]}} (api.md)."""

    class ErrorBody(Schema):
        class Meta:
            unknown = INCLUDE  # details beyond the four keys, e.g. the blocking "gate" of a 409

        status = fields.Integer(required=True, metadata={"description": "the HTTP status again"})
        code = fields.String(required=True, metadata={"description": "machine-readable, e.g. validation_error"})
        message = fields.String(required=True, metadata={"description": "for people, in the caller's language"})
        fields_ = fields.Dict(keys=fields.String(), data_key="fields",
                              metadata={"description": "field name -> list of problems (422)"})

    error = fields.Nested(ErrorBody, required=True)


class ErrorResponsesPlugin(BasePlugin):
    """Documents, per operation, the error statuses the boundary can answer (instead of one 'default'):

    401 (unless the operation declares `security: []`), 403, 404 where ids can be given, 400/413/415 for
    requests with a body, 409 for writes, 422 for operations with parameters or a body, 503 always.
    Error responses an endpoint declares itself keep their description and get the error body.
    It also folds form fields that flask-smorest leaves as `in: formData` parameters into the
    multipart body (flask-smorest documents one body location; uploads have form fields and files).
    """

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec
        for status, (name, description) in ERRORS.items():
            spec.components.response(name, {
                "description": description,
                "content": {"application/json": {"schema": ErrorSchema}},
            })
        for plugin in spec.plugins:
            if isinstance(plugin, MarshmallowPlugin):
                plugin.converter.add_attribute_function(money_properties)
        # the marshmallow plugin turned ErrorSchema into a reference; reuse it for inline responses
        self.error_ref = spec.components.responses[ERRORS[400][0]]["content"]["application/json"]["schema"]

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, op in (operations or {}).items():
            if method not in WRITE_METHODS | {"get"}:
                continue
            self._fold_form_parameters(op)
            responses = {str(code): resp for code, resp in op.get("responses", {}).items()}
            responses.pop("default", None)
            op["responses"] = responses
            wanted = {503}
            if op.get("security") != []:
                wanted |= {401, 403}
            if "{" in (path or "") or "requestBody" in op or op.get("parameters"):
                wanted.add(404)  # an unknown id in the path, a filter or the body
            if method in WRITE_METHODS and op.get("security") != []:
                wanted |= {409}
            if "requestBody" in op or method in {"post", "put", "patch"}:
                wanted |= {400, 413, 415}
            if "requestBody" in op or any(p.get("in") == "query" for p in op.get("parameters", [])
                                          if isinstance(p, dict)):
                wanted.add(422)
            if method == "post" and op.get("security") != []:
                op.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                wanted.add(422)  # an unusable key, or a key reused for another request
            for status in wanted:
                responses.setdefault(str(status), ERRORS[status][0])
            for code, resp in list(responses.items()):
                if code.isdigit() and int(code) >= 400:
                    if isinstance(resp, dict) and not resp.get("content"):
                        resp["content"] = {"application/json": {"schema": dict(self.error_ref)}}
                    elif not isinstance(resp, dict) and int(code) in ERRORS:
                        responses[code] = ERRORS[int(code)][0]

    def _fold_form_parameters(self, op: dict) -> None:
        params = op.get("parameters") or []
        form = [p for p in params if isinstance(p, dict) and p.get("in") in BODY_LOCATIONS]
        if not form:
            return
        op["parameters"] = [p for p in params if p not in form]
        if not op["parameters"]:
            del op["parameters"]
        body = op.setdefault("requestBody", {"required": True, "content": {}})
        media = body["content"].setdefault("multipart/form-data", {})
        merged = {"type": "object", "properties": {}, "required": []}
        files = media.get("schema") or {}
        if "$ref" in files:
            files = self.spec.components.schemas[files["$ref"].rsplit("/", 1)[-1]]
        merged["properties"].update(files.get("properties", {}))
        merged["required"] += files.get("required", [])
        for p in form:
            merged["properties"][p["name"]] = p.get("schema", {})
            if p.get("required"):
                merged["required"].append(p["name"])
        if not merged["required"]:
            del merged["required"]
        media["schema"] = merged


def money_properties(self, field, ret, **kwargs) -> dict:
    """Money is a decimal string in api.md ("1280.00"); apispec would call a Decimal a number and put
    its Range bounds in `minimum`/`maximum`, which JSON Schema only allows on numbers."""
    if not isinstance(field, fields.Decimal):
        return {}
    bounds = [f"{name} {ret.pop(key)}" for key, name in (("minimum", "at least"), ("maximum", "at most"))
              if key in ret]
    ret.pop("exclusiveMinimum", None)
    ret.pop("exclusiveMaximum", None)
    out = {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
    if bounds:
        out["description"] = ((ret.get("description") or "") + " (" + ", ".join(bounds) + ")").strip()
    return out
