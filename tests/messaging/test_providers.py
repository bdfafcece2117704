"""The providers against a local server that answers in the vendors' documented formats."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from claimdesk.messaging import providers
from claimdesk.messaging.providers import AliyunSms, Result, WeChatTemplate, aliyun_signature


def test_aliyun_signature_matches_the_documented_example():
    """The example request and signature in Alibaba Cloud's SendSms signing documentation."""
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert aliyun_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def message(**kw):
    base = {"id": 7, "recipient": "13812345678", "template_code": "SMS_123", "params": {"customer": "王先生",
            "link": "https://x.invalid/s/abc", "empty": ""}, "body": "…"}
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.mark.parametrize("answer, expected", [
    ("ok", "sent"), ("rate_limited", "retry"), ("invalid_number", "failed"), ("timeout", "retry"),
])
def test_aliyun_outcomes(app, aliyun, answer, expected):
    aliyun.script = [answer]
    result = AliyunSms(app.config).send(message())
    assert result.outcome == expected
    [req] = aliyun.requests
    assert req["PhoneNumbers"] == "13812345678" and req["SignName"] == "测试4S店"
    assert req["TemplateParam"] == '{"customer": "王先生", "link": "https://x.invalid/s/abc"}'
    if expected == "sent":
        assert result.ref.startswith("900619746936498440")
    if answer == "rate_limited":
        assert result.error == "isv.BUSINESS_LIMIT_CONTROL"


def test_aliyun_wrong_secret_is_a_permanent_failure(app, aliyun, monkeypatch):
    monkeypatch.setitem(app.config, "ALIYUN_SMS_ACCESS_KEY_SECRET", "wrong")
    assert AliyunSms(app.config).send(message()) == Result("failed", error="SignatureDoesNotMatch")


def test_aliyun_without_template_code_fails_without_calling(app, aliyun):
    assert AliyunSms(app.config).send(message(template_code=None)).error == "no_template_code"
    assert aliyun.requests == []


@pytest.mark.parametrize("answer, expected", [
    ("ok", "sent"), ("rate_limited", "retry"), ("invalid_number", "failed"), ("timeout", "retry"),
])
def test_wechat_outcomes(app, wechat, answer, expected):
    wechat.script = [answer]
    result = WeChatTemplate(app.config).send(message(recipient="oUser123", template_code="TPL-1"))
    assert result.outcome == expected
    [req] = [r for r in wechat.requests if r["api"] == "wechat"]
    assert req["touser"] == "oUser123" and req["template_id"] == "TPL-1"
    assert req["url"] == "https://x.invalid/s/abc" and req["data"]["customer"] == {"value": "王先生"}
    assert "empty" not in req["data"]


def test_wechat_token_is_cached_and_renewed_when_expired(app, wechat):
    provider = WeChatTemplate(app.config)
    assert provider.send(message(recipient="o1")).outcome == "sent"
    assert provider.send(message(recipient="o2")).outcome == "sent"
    assert wechat.token_requests == 1
    wechat.script = ["expire_token"]
    assert provider.send(message(recipient="o3")).outcome == "sent"  # 42001: new token, sent again
    assert wechat.token_requests == 2


def test_wechat_bad_app_secret_fails(app, wechat, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_APP_SECRET", "wrong")
    result = WeChatTemplate(app.config).send(message(recipient="o1"))
    assert result == Result("failed", error="errcode_40001")


def test_unconfigured_channels_use_the_outbox(app):
    for channel in ("sms", "wechat", "email"):
        assert isinstance(providers.for_channel(channel), providers.Outbox)


def test_masking():
    assert providers.mask_phone("13812345678") == "138****5678"
    assert providers.mask_recipient("email", "wang@example.com") == "w***@example.com"
