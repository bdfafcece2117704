"""How a campaign is shown through the API: its fields and its progress (counted by campaigns.py)."""
from __future__ import annotations

from marshmallow import Schema, fields

from . import campaigns
from .schemas import ProgressOut


class _Progress(fields.Nested):
    """The campaign's progress (a Nested field, so the spec names ProgressOut): counted with the list when
    `listed` gave it, else counted for this one campaign."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj["progress"] if isinstance(obj, dict) else campaigns.progress(obj)


class CampaignOut(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    vins = fields.List(fields.String())
    model_filter = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    progress = _Progress(ProgressOut, dump_only=True, metadata={"description": "contacts per outcome"})


class CampaignCreatedOut(Schema):
    campaign = fields.Nested(CampaignOut)
    unknown_vins = fields.List(fields.String(), metadata={"description": "listed VINs not of this store"})


def listed(rows) -> list[dict]:
    """A page of campaigns as CampaignOut dumps them, their progress counted with one query for the page."""
    counts = campaigns.progress_of(c.id for c in rows)
    names = [n for n in CampaignOut._declared_fields if n != "progress"]
    return [{**{n: getattr(c, n) for n in names}, "progress": counts[c.id]} for c in rows]
