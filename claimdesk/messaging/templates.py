"""The message texts: a default per kind and language, an admin's edit (MessageTemplate) over it, and
rendering with named placeholders such as {number} and {link}."""
from __future__ import annotations

import string

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from .models import KINDS, LOCALES, MessageTemplate

KIND_LABELS = {
    "car_ready": _l("Car ready for pickup"),
    "promised_time_revised": _l("Promised time revised"),
    "extra_work_approval": _l("Extra work awaiting approval"),
    "documents_missing": _l("Claim documents still missing"),
    "payout_received": _l("Payout received"),
    "complaint_received": _l("Complaint received"),
    "follow_up_coming": _l("Follow-up call coming"),
    "service_reminder": _l("Service reminder"),
}

#: placeholders a template may use (the same for every kind; unknown names are refused on save)
PLACEHOLDERS = ("store", "customer", "number", "plate", "link", "advisor", "advisor_phone", "promised_at",
                "documents", "amount", "handler", "service_date")

DEFAULTS: dict[tuple[str, str], str] = {
    ("car_ready", "zh"): "【{store}】{customer}您好，您的爱车{plate}已完工，可以取车了。服务顾问{advisor} {advisor_phone}。"
                         "进度与结算：{link} 回复TD退订",
    ("car_ready", "en"): "{store}: Dear {customer}, your car {plate} is ready for pickup. Your advisor: {advisor} "
                         "{advisor_phone}. Status: {link} Reply TD to opt out",
    ("promised_time_revised", "zh"): "【{store}】{customer}您好，您的爱车{plate}预计完工时间调整为{promised_at}。"
                                     "详情：{link} 回复TD退订",
    ("promised_time_revised", "en"): "{store}: Dear {customer}, the promised time for {plate} is now {promised_at}. "
                                     "Details: {link} Reply TD to opt out",
    ("extra_work_approval", "zh"): "【{store}】{customer}您好，维修中发现需增加项目，等待您确认（未经您同意不会施工）。"
                                   "请点击查看并确认：{link} 回复TD退订",
    ("extra_work_approval", "en"): "{store}: Dear {customer}, we found additional work on {plate}. Nothing is done "
                                   "without your approval; please review it: {link} Reply TD to opt out",
    ("documents_missing", "zh"): "【{store}】{customer}您好，您的理赔{number}还缺少以下单证：{documents}。"
                                 "可直接用手机拍照上传：{link} 回复TD退订",
    ("documents_missing", "en"): "{store}: Dear {customer}, claim {number} still needs: {documents}. You can upload "
                                 "photos from your phone: {link} Reply TD to opt out",
    ("payout_received", "zh"): "【{store}】{customer}您好，您的理赔{number}保险公司已赔付{amount}元。详情：{link} 回复TD退订",
    ("payout_received", "en"): "{store}: Dear {customer}, the insurer paid {amount} CNY on claim {number}. "
                               "Details: {link} Reply TD to opt out",
    ("complaint_received", "zh"): "【{store}】{customer}您好，您的意见我们已收到，由{handler}负责处理，我们会尽快与您联系。"
                                  "进度：{link} 回复TD退订",
    ("complaint_received", "en"): "{store}: Dear {customer}, we have received your complaint; {handler} is handling "
                                  "it and will contact you soon. Progress: {link} Reply TD to opt out",
    ("follow_up_coming", "zh"): "【{store}】{customer}您好，感谢您的光临。我们将在3天内回访，您可选择方便的时间并评价服务：{link} "
                                "回复TD退订",
    ("follow_up_coming", "en"): "{store}: Dear {customer}, thank you for your visit. We will call you within 3 days; "
                                "choose a convenient time and rate our service: {link} Reply TD to opt out",
    ("service_reminder", "zh"): "【{store}】{customer}您好，您的爱车{plate}将于{service_date}到期保养，欢迎预约。回复TD退订",
    ("service_reminder", "en"): "{store}: Dear {customer}, {plate} is due for service on {service_date}. "
                                "Book a visit any time. Reply TD to opt out",
}
assert all((k, loc) in DEFAULTS for k in KINDS for loc in LOCALES)


#: what the template editor's preview fills in
EXAMPLE = {"store": "北京朝阳4S店", "customer": "王先生", "number": "WO-2026-000123", "plate": "京A·12345",
           "link": "https://example.invalid/s/preview", "advisor": "李顾问", "advisor_phone": "13800000000",
           "promised_at": "2026-12-08 17:00", "documents": "行驶证、驾驶证", "amount": "12800.00", "handler": "张经理",
           "service_date": "2027-03-01"}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def placeholders_in(body: str) -> list[str]:
    """Names used in `body`; raises ValueError on a malformed template ("{" without "}")."""
    return [name for _lit, name, _spec, _conv in string.Formatter().parse(body) if name is not None]


def unknown_placeholders(body: str) -> list[str]:
    return [n for n in placeholders_in(body) if n not in PLACEHOLDERS]


def render_body(body: str, params: dict) -> str:
    return body.format_map(_Blank({k: "" if v is None else str(v) for k, v in params.items()}))


def stored(kind: str, locale: str) -> MessageTemplate | None:
    return db.session.scalar(sa.select(MessageTemplate).where(MessageTemplate.kind == kind,
                                                              MessageTemplate.locale == locale))


def _in_force(kind: str, locale: str, row: MessageTemplate | None) -> dict:
    if row is not None:
        return {"body": row.body, "sms_template_code": row.sms_template_code,
                "wechat_template_id": row.wechat_template_id, "edited": True}
    return {"body": DEFAULTS[(kind, locale)], "sms_template_code": None, "wechat_template_id": None,
            "edited": False}


def current(kind: str, locale: str) -> dict:
    """The body and provider template codes in force for one kind and language."""
    return _in_force(kind, locale, stored(kind, locale))


def current_of(kinds: set[str]) -> dict[tuple[str, str], dict]:
    """`current` of these kinds in every language, read with one query (the batch sender's)."""
    if not kinds:
        return {}
    rows = {(r.kind, r.locale): r for r in db.session.scalars(
        sa.select(MessageTemplate).where(MessageTemplate.kind.in_(sorted(kinds))))}
    return {(kind, loc): _in_force(kind, loc, rows.get((kind, loc))) for kind in kinds for loc in LOCALES}
