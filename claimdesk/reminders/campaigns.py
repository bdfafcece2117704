"""Campaign lists (召回 / 免费检测): a manager names the vehicles by VIN list or model; the store's
matching vehicles become contacts with the same outcomes as a reminder. Never commits."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.permissions import get_or_404, require, store_for_new
from ..core.clock import now
from ..core.errors import NotFound, ValidationFailed
from ..customers.models import Vehicle
from ..extensions import db
from .models import CAMPAIGN_KINDS, OUTCOMES, Campaign, CampaignContact


def _s(msg) -> str:
    return str(msg)


def parse_vins(text: str | list | None) -> list[str]:
    """VINs pasted one per line (or separated by commas, spaces, semicolons), upper-cased, unique, in order."""
    items = text if isinstance(text, list) else re.split(r"[\s,;，；]+", text or "")
    out = []
    for item in items:
        vin = item.strip().upper()
        if vin and vin not in out:
            out.append(vin)
    return out


def matching_vehicles(store_id: int, vins: list[str], model_filter: str | None) -> list[Vehicle]:
    """The store's vehicles whose VIN is listed, or whose model (or make + model) contains the filter."""
    conditions = []
    if vins:
        conditions.append(Vehicle.vin.in_(vins))
    if model_filter:
        like = f"%{model_filter.strip().lower()}%"
        conditions.append(sa.or_(sa.func.lower(Vehicle.model).like(like),
                                 sa.func.lower(sa.func.coalesce(Vehicle.make, "") + " " + Vehicle.model).like(like)))
    if not conditions:
        return []
    return list(db.session.scalars(sa.select(Vehicle).where(Vehicle.store_id == store_id, sa.or_(*conditions))
                                   .order_by(Vehicle.plate)))


def create_campaign(actor, data: dict) -> tuple[Campaign, list[str]]:
    """Make the campaign and its contacts. Returns it and the listed VINs that are not this store's."""
    require("campaigns.manage", actor)
    errors = {}
    kind = data.get("kind")
    if kind not in CAMPAIGN_KINDS:
        errors["kind"] = [_s(_l("Recall or free inspection."))]
    title = (data.get("title") or "").strip()
    if not 1 <= len(title) <= 200:
        errors["title"] = [_s(_l("Between 1 and 200 characters."))]
    vins = parse_vins(data.get("vins"))
    bad = [v for v in vins if len(v) != 17]
    if bad:
        errors["vins"] = [_s(_l("Not a 17-character VIN: %(vins)s", vins=", ".join(bad[:5])))]
    model_filter = (data.get("model_filter") or "").strip() or None
    if not vins and not model_filter and "vins" not in errors:
        errors["vins"] = [_s(_l("Paste VINs or give a model."))]
    days = {}
    for key in ("starts_on", "ends_on"):
        value = data.get(key)
        try:
            days[key] = value if isinstance(value, date) else date.fromisoformat(value or "")
        except ValueError:
            errors[key] = [_s(_l("A date (YYYY-MM-DD)."))]
    if not errors and days["ends_on"] < days["starts_on"]:
        errors["ends_on"] = [_s(_l("On or after the start."))]
    if errors:
        raise ValidationFailed(_s(_l("Some fields are invalid.")), fields=errors)
    store_id = store_for_new(actor, data.get("store_id"))
    campaign = Campaign(store_id=store_id, kind=kind, title=title, vins=vins, model_filter=model_filter,
                        starts_on=days["starts_on"], ends_on=days["ends_on"], created_by_id=actor.id,
                        created_at=now())
    db.session.add(campaign)
    db.session.flush()
    found = matching_vehicles(store_id, vins, model_filter)
    for vehicle in found:
        db.session.add(CampaignContact(campaign_id=campaign.id, vehicle_id=vehicle.id, state="open"))
    db.session.flush()
    known = {v.vin for v in found}
    return campaign, [v for v in vins if v not in known]


def progress_of(campaign_ids) -> dict[int, dict]:
    """Per campaign: how many contacts, reached (booked or declined), booked, declined, unreachable, still open
    — every campaign of a list with one grouped query."""
    ids = list(campaign_ids)
    counts: dict[int, dict] = {cid: {} for cid in ids}
    if ids:
        for cid, state, n in db.session.execute(sa.select(
                CampaignContact.campaign_id, CampaignContact.state, sa.func.count()).where(
                CampaignContact.campaign_id.in_(ids)).group_by(CampaignContact.campaign_id, CampaignContact.state)):
            counts[cid][state] = n
    out = {}
    for cid, by_state in counts.items():
        row = {state: by_state.get(state, 0) for state in ("open",) + OUTCOMES}
        row["total"] = sum(row.values())
        row["reached"] = row["booked"] + row["declined"]
        row["percent_booked"] = round(100 * row["booked"] / row["total"]) if row["total"] else 0
        out[cid] = row
    return out


def progress(campaign: Campaign) -> dict:
    """One campaign's progress (`progress_of`)."""
    return progress_of([campaign.id])[campaign.id]


def contact_or_404(contact_id: int, user, *, for_update: bool = False) -> CampaignContact:
    """A contact of a campaign the user sees (its campaign's store); anything else is the same 404."""
    stmt = sa.select(CampaignContact).where(CampaignContact.id == contact_id)
    if for_update and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=CampaignContact)
    row = db.session.scalar(stmt)
    if row is None:
        raise NotFound(_s(_l("Not found.")))
    get_or_404(Campaign, row.campaign_id, user)
    return row
