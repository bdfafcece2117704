"""What the SMS provider pushes back: replies (回复TD退订 opts the customer out) and delivery receipts.

Alibaba Cloud SMS posts JSON arrays (SmsUp: phone_number, content …; SmsReport: success, err_code,
out_id …) to a URL set in its console and expects {"code": 0, "msg": "成功"}. The URL carries a shared
secret (CLAIMDESK_MESSAGING_HOOK_TOKEN); without one configured the hooks do not exist. They live under
/api/v1 (no cookies, no CSRF) and need no bearer token: the provider's server has none.
"""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, abort, current_app, jsonify, request

from . import services

log = logging.getLogger(__name__)
bp = Blueprint("messaging_hooks", __name__, url_prefix="/api/v1/messaging/hooks")


def _check(token: str) -> None:
    expected = current_app.config.get("MESSAGING_HOOK_TOKEN")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        abort(404)


def _items() -> list[dict]:
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        abort(400)
    return body


@bp.route("/<token>/aliyun/sms-up", methods=["POST"])
def aliyun_sms_up(token: str):
    _check(token)
    opted = sum(services.inbound_sms(str(i.get("phone_number", "")), str(i.get("content", ""))) for i in _items())
    log.info("SMS replies processed: %s opt-out(s)", opted)
    return jsonify(code=0, msg="成功")


@bp.route("/<token>/aliyun/sms-report", methods=["POST"])
def aliyun_sms_report(token: str):
    _check(token)
    for item in _items():
        try:
            message_id = int(item.get("out_id") or 0)
        except (TypeError, ValueError):
            continue
        ok = item.get("success") in (True, "true", "True")
        services.delivery_report(message_id, ok, None if ok else f"{item.get('err_code')} {item.get('err_msg', '')}")
    return jsonify(code=0, msg="成功")
