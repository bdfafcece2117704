"""Read side of the call lists: the due list of a store the user sees (filtered), the call list, the
campaigns and their contacts."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import Store
from ..auth.permissions import scoped, sees_store
from ..extensions import db
from . import services
from .models import NO_REMINDER, Campaign, CampaignContact, ServiceReminder


def due_entries(user, args: dict) -> list[services.Due]:
    """The due list of the store asked for (the user's own by default; a store the user does not see
    has none) within the due window, filtered by the reminder's state and channel."""
    store_id = args.get("store_id") or user.store_id
    store = db.session.get(Store, store_id) if sees_store(user, store_id) else None
    if store is None:
        return []
    entries = services.due_list(store, services.due_window(store, args.get("days")))
    state, channel = args.get("state"), args.get("channel")
    if state:
        entries = [d for d in entries if (d.reminder.state if d.reminder else NO_REMINDER) == state]
    if channel:
        entries = [d for d in entries if d.reminder is not None and d.reminder.channel == channel]
    return entries


def call_list(user, limit: int = 200) -> list[ServiceReminder]:
    """Reminders still to call: on the call list (no message could go) or unreachable last time."""
    return list(db.session.scalars(scoped(sa.select(ServiceReminder), ServiceReminder, user).where(
        ServiceReminder.state.in_(("open", "unreachable")),
        sa.or_(ServiceReminder.channel == "call", ServiceReminder.state == "unreachable"))
        .order_by(ServiceReminder.due_date, ServiceReminder.id).limit(limit)))


def campaign_list(user, args: dict):
    stmt = scoped(sa.select(Campaign), Campaign, user)
    if args.get("store_id"):
        stmt = stmt.where(Campaign.store_id == args["store_id"])
    if args.get("kind"):
        stmt = stmt.where(Campaign.kind == args["kind"])
    return stmt.order_by(Campaign.id.desc())


def contact_list(campaign: Campaign, args: dict):
    stmt = sa.select(CampaignContact).where(CampaignContact.campaign_id == campaign.id)
    if args.get("state"):
        stmt = stmt.where(CampaignContact.state == args["state"])
    return stmt.order_by(CampaignContact.id)
