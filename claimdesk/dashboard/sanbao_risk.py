"""The dashboard's list of vehicles at 三包 risk, per store: the ledger's own figures (`sanbao.queries`,
`sanbao.ledger`) as one dashboard Section, so the page, the CSV and the XLSX show the same cells."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import Store
from ..extensions import db
from ..sanbao.labels import LEVEL_LABELS
from ..sanbao.queries import at_risk_in
from .queries_base import Filters
from .sections import Column, Section, label


def at_risk(f: Filters, vehicle_url=None) -> Section:
    """Vehicles whose 三包 period still runs and that passed a warning threshold, worst first."""
    s = Section("sanbao_at_risk", _l("Vehicles at 三包 risk (repair, replacement and return rules)"), [
        Column("plate", _l("Plate")), Column("store", _l("Store")), Column("vehicle", _l("Vehicle")),
        Column("level", _l("Level")), Column("days_used", _l("Repair days used"), "int"),
        Column("max_days", _l("Repair-day limit"), "int"),
        Column("repeats", _l("Most repairs of one problem"), "int"),
        Column("max_repeats", _l("Repeat limit"), "int"),
        Column("days_left", _l("Period left (days)"), "int"),
        Column("km_left", _l("Period left (km)"), "int")],
        note=_l("Counted as docs/sanbao.md describes; each vehicle's page has its repair history."))
    ledgers = at_risk_in(f.store_ids)
    ids = {led.vehicle.store_id for led in ledgers}
    stores = {st.id: f"{st.code} {st.name}"
              for st in db.session.scalars(sa.select(Store).where(Store.id.in_(ids)))} if ids else {}
    for led in ledgers:
        v = led.vehicle
        repeats = max((len(eps) for eps in led.problems.values()), default=0)
        name = " ".join(p for p in (v.make, v.model) if p)
        s.rows.append([v.plate, stores.get(v.store_id, str(v.store_id)), name,
                       label(LEVEL_LABELS, led.level), led.days_used, led.rules.max_repair_days, repeats,
                       led.rules.max_same_problem, led.days_left, led.km_left])
        s.links.append(vehicle_url(v.id) if vehicle_url else None)
    return s
