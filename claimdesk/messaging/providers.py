"""Who carries a message: the local outbox (the default: stored, nothing sent), Alibaba Cloud SMS,
WeChat Official Account template messages, and e-mail. Each answers sent / retry later / failed.

The SMS and WeChat providers speak the vendors' documented HTTP APIs with `requests` (endpoint
configurable), so tests run them against a local server answering in the vendors' formats. The
official SDKs are not used: they cannot be pointed at such a server and add nothing but transport.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

import requests
from flask import current_app

log = logging.getLogger(__name__)


@dataclass
class Result:
    outcome: str  # sent | retry | failed
    ref: str | None = None
    error: str | None = None


def mask_phone(phone: str | None) -> str:
    """138****5678: how a phone number appears in logs."""
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "***"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_recipient(channel: str, recipient: str | None) -> str:
    if channel == "sms":
        return mask_phone(recipient)
    if channel == "email" and recipient and "@" in recipient:
        name, domain = recipient.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return f"{(recipient or '')[:4]}***"


class Outbox:
    """Stores the message and sends nothing: the demo, tests and any channel not configured."""

    name = "outbox"

    def send(self, message) -> Result:
        return Result("sent", ref=f"outbox-{message.id}")


def _pe(value: str) -> str:
    """Alibaba Cloud's percent-encoding (RFC 3986: space %20, * %2A, ~ kept)."""
    return quote(str(value), safe="~")


def aliyun_signature(params: dict, secret: str, method: str = "GET") -> str:
    """The RPC signature (HMAC-SHA1, SignatureVersion 1.0) of a query's parameters."""
    canonical = "&".join(f"{_pe(k)}={_pe(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{_pe('/')}&{_pe(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Alibaba Cloud SMS `SendSms` (API version 2017-05-25)."""

    name = "aliyun"
    RETRY_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling", "ServiceUnavailable",
                   "InternalError", "isp.RAM_PERMISSION_DENY_TIMEOUT"}

    def __init__(self, config):
        self.endpoint = config["ALIYUN_SMS_ENDPOINT"]
        self.key_id = config["ALIYUN_SMS_ACCESS_KEY_ID"]
        self.secret = config["ALIYUN_SMS_ACCESS_KEY_SECRET"]
        self.sign_name = config["ALIYUN_SMS_SIGN_NAME"]
        self.timeout = config["MESSAGING_TIMEOUT_SECONDS"]

    def send(self, message) -> Result:
        if not message.template_code:
            return Result("failed", error="no_template_code")
        params = {
            "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "AccessKeyId": self.key_id,
            "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "PhoneNumbers": message.recipient, "SignName": self.sign_name, "TemplateCode": message.template_code,
            "TemplateParam": json.dumps({k: str(v) for k, v in (message.params or {}).items() if v not in (None, "")},
                                        ensure_ascii=False, sort_keys=True),
            "OutId": str(message.id),
        }
        params["Signature"] = aliyun_signature(params, self.secret)
        try:
            resp = requests.get(self.endpoint, params=params, timeout=self.timeout)
        except requests.Timeout:
            return Result("retry", error="timeout")
        except requests.RequestException as exc:
            return Result("retry", error=f"connection: {type(exc).__name__}")
        try:
            body = resp.json()
        except ValueError:
            return Result("retry" if resp.status_code >= 500 else "failed", error=f"http_{resp.status_code}")
        code = str(body.get("Code", ""))
        if code == "OK":
            return Result("sent", ref=body.get("BizId"))
        if code in self.RETRY_CODES or resp.status_code >= 500:
            return Result("retry", error=code or f"http_{resp.status_code}")
        return Result("failed", error=code or f"http_{resp.status_code}")


_wechat_tokens: dict[str, tuple[str, float]] = {}
_wechat_lock = threading.Lock()


class WeChatTemplate:
    """WeChat Official Account template message (`/cgi-bin/message/template/send`)."""

    name = "wechat"
    RETRY_CODES = {-1, 45009, 45011}  # system busy, API frequency limit
    TOKEN_CODES = {40001, 40014, 42001}  # the access token is invalid or expired: fetch a new one

    def __init__(self, config):
        self.base = config["WECHAT_API_BASE"].rstrip("/")
        self.app_id = config["WECHAT_APP_ID"]
        self.secret = config["WECHAT_APP_SECRET"]
        self.timeout = config["MESSAGING_TIMEOUT_SECONDS"]

    def _token(self, refresh: bool = False) -> str:
        with _wechat_lock:
            cached = _wechat_tokens.get(self.base + self.app_id)
            if cached and not refresh and cached[1] > time.monotonic():
                return cached[0]
        resp = requests.get(f"{self.base}/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.app_id, "secret": self.secret}, timeout=self.timeout)
        body = resp.json()
        if "access_token" not in body:
            raise _WeChatError(int(body.get("errcode", -1)))
        with _wechat_lock:  # renew five minutes early
            _wechat_tokens[self.base + self.app_id] = (
                body["access_token"], time.monotonic() + int(body.get("expires_in", 7200)) - 300)
        return body["access_token"]

    def send(self, message) -> Result:
        if not message.template_code:
            return Result("failed", error="no_template_code")
        payload = {"touser": message.recipient, "template_id": message.template_code,
                   "data": {k: {"value": str(v)} for k, v in (message.params or {}).items() if v not in (None, "")}}
        if message.params.get("link"):
            payload["url"] = message.params["link"]
        try:
            for attempt in (0, 1):
                token = self._token(refresh=attempt == 1)
                resp = requests.post(f"{self.base}/cgi-bin/message/template/send", params={"access_token": token},
                                     data=json.dumps(payload, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"}, timeout=self.timeout)
                body = resp.json()
                code = int(body.get("errcode", -1))
                if code == 0:
                    return Result("sent", ref=str(body.get("msgid")))
                if code in self.TOKEN_CODES and attempt == 0:
                    continue
                break
        except requests.Timeout:
            return Result("retry", error="timeout")
        except requests.RequestException as exc:
            return Result("retry", error=f"connection: {type(exc).__name__}")
        except ValueError:
            return Result("retry", error="bad_response")
        except _WeChatError as exc:
            code = exc.code
        return Result("retry" if code in self.RETRY_CODES else "failed", error=f"errcode_{code}")


class _WeChatError(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Email:
    """The existing SMTP setting (CLAIMDESK_SMTP_URL)."""

    name = "email"

    def __init__(self, config):
        self.url = config["SMTP_URL"]
        self.sender = config["MAIL_FROM"]

    def send(self, message) -> Result:
        import smtplib
        from email.message import EmailMessage

        from ..notifications.services import smtp_send

        msg = EmailMessage()
        msg["From"], msg["To"] = self.sender, message.recipient
        msg["Subject"] = message.params.get("subject") or message.body.split("，", 1)[0][:60]
        msg.set_content(message.body)
        try:
            smtp_send(self.url, msg)
        except smtplib.SMTPRecipientsRefused:
            return Result("failed", error="recipient_refused")
        except (smtplib.SMTPException, OSError) as exc:
            return Result("retry", error=type(exc).__name__)
        return Result("sent", ref=msg.get("Message-ID"))


def for_channel(channel: str):
    """The provider configured for a channel; the outbox when none is."""
    cfg = current_app.config
    if channel == "sms" and cfg.get("SMS_PROVIDER") == "aliyun":
        return AliyunSms(cfg)
    if channel == "wechat" and cfg.get("WECHAT_PROVIDER") == "wechat":
        return WeChatTemplate(cfg)
    if channel == "email" and cfg.get("SMTP_URL"):
        return Email(cfg)
    return Outbox()
