"""Read side: the vehicles at 三包 risk in the caller's stores, the rule sets."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.permissions import scoped, visible_store_ids
from ..customers.models import Vehicle
from ..extensions import db
from . import ledger as ledgers
from .models import SanbaoAlert, SanbaoRuleSet

LIMIT = 200


def at_risk(user, store_id: int | None = None) -> list[ledgers.Ledger]:
    """Vehicles with an alert whose 三包 period still runs, worst first (the store's list)."""
    stmt = scoped(sa.select(SanbaoAlert.vehicle_id, sa.func.max(SanbaoAlert.fired_at).label("last"))
                  .group_by(SanbaoAlert.vehicle_id), SanbaoAlert, user)
    if store_id:
        stmt = stmt.where(SanbaoAlert.store_id == store_id)
    return _ledgers_at_risk(stmt)


def at_risk_in(store_ids: tuple[int, ...] | None) -> list[ledgers.Ledger]:
    """The same list for the given stores (None: every store), as the dashboard filters them."""
    stmt = sa.select(SanbaoAlert.vehicle_id, sa.func.max(SanbaoAlert.fired_at).label("last")) \
        .group_by(SanbaoAlert.vehicle_id)
    if store_ids is not None:
        stmt = stmt.where(SanbaoAlert.store_id.in_(store_ids))
    return _ledgers_at_risk(stmt)


def _ledgers_at_risk(stmt) -> list[ledgers.Ledger]:
    ids = [r.vehicle_id for r in db.session.execute(stmt.order_by(sa.desc("last")).limit(LIMIT))]
    vehicles = db.session.scalars(sa.select(Vehicle).where(Vehicle.id.in_(ids))).all() if ids else []
    order = {None: 0, "warning": 1, "reached": 2, "exceeded": 3}
    out = [led for led in (ledgers.build(v) for v in vehicles) if led.active and led.level]
    return sorted(out, key=lambda led: (-order[led.level], -led.days_used, led.vehicle.plate))


def rule_sets(user=None) -> list[SanbaoRuleSet]:
    """The group-wide sets and the store sets the user sees (every set without a user), oldest first, each
    group-wide set before the stores' copies of it."""
    stmt = sa.select(SanbaoRuleSet)
    ids = visible_store_ids(user) if user is not None else None
    if ids is not None:
        stmt = stmt.where(sa.or_(SanbaoRuleSet.store_id.is_(None), SanbaoRuleSet.store_id.in_(ids)))
    return list(db.session.scalars(stmt.order_by(SanbaoRuleSet.valid_from, SanbaoRuleSet.store_id.is_not(None),
                                                 SanbaoRuleSet.store_id)))
