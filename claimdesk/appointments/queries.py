"""Read side of the diary: the store-scoped appointment list and today's arrivals."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..auth.models import Store
from ..auth.permissions import scoped
from ..extensions import db
from .models import Appointment


def appointment_list(user, args: dict):
    stmt = scoped(sa.select(Appointment), Appointment, user)
    if args.get("store_id"):
        stmt = stmt.where(Appointment.store_id == args["store_id"])
    if args.get("date"):
        store = db.session.get(Store, args.get("store_id") or user.store_id)
        start = datetime.combine(args["date"], time(0), tzinfo=ZoneInfo(store.timezone))
        stmt = stmt.where(Appointment.starts_at >= start, Appointment.starts_at < start + timedelta(days=1))
    if args.get("advisor_id"):
        stmt = stmt.where(Appointment.advisor_id == args["advisor_id"])
    if args.get("state"):
        stmt = stmt.where(Appointment.state == args["state"])
    return stmt.order_by(Appointment.starts_at, Appointment.id)
