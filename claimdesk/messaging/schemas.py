"""Input and output schemas of the messaging API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..core.http import PageArgs, page_schema
from .models import CHANNELS, KINDS, LOCALES, STATES


class MessageQuery(PageArgs):
    case_type = fields.String(validate=validate.OneOf(("work_order", "claim", "complaint")))
    case_id = fields.Integer()
    customer_id = fields.Integer()
    state = fields.String(validate=validate.OneOf(STATES))
    kind = fields.String(validate=validate.OneOf(KINDS))


class MessageOut(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    customer_id = fields.Integer()
    case_type = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    kind = fields.String()
    channel = fields.String()
    locale = fields.String()
    recipient = fields.Method("_masked", metadata={"description": "masked: 138****5678"})
    body = fields.String()
    template_code = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "queued | held | retrying | sent | failed | skipped"})
    reason = fields.String(allow_none=True)
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    provider = fields.String(allow_none=True)
    provider_ref = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)

    def _masked(self, msg) -> str:
        from .providers import mask_recipient

        return mask_recipient(msg.channel, msg.recipient)


MessagePage = page_schema(MessageOut)


class ContactPreferenceIn(Schema):
    consent = fields.Boolean(allow_none=True)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    locale = fields.String(validate=validate.OneOf(LOCALES), metadata={
        "description": "the language of the customer's messages and status page: zh (default) | en"})
    wechat_openid = fields.String(allow_none=True, validate=validate.Length(max=64))
    email = fields.Email(allow_none=True, validate=validate.Length(max=255))


class ContactPreferenceOut(Schema):
    customer_id = fields.Integer()
    consent = fields.Boolean(allow_none=True)
    consent_at = fields.DateTime(allow_none=True)
    channel = fields.String()
    locale = fields.String(metadata={"description": "zh | en: the language of the customer's messages"})
    wechat_openid = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    opted_out_at = fields.DateTime(allow_none=True)
    opt_out_source = fields.String(allow_none=True)


class StatusLinkOut(Schema):
    id = fields.Integer()
    case_type = fields.String()
    case_id = fields.Integer()
    url = fields.String()
    state = fields.String(metadata={"description": "ok | revoked | expired"})
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
