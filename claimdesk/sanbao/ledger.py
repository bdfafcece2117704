"""A vehicle's 三包 ledger, computed on read: the period, every repair episode with its repair days,
the quality problems and the art.-24 conditions with their levels. No writes here.

Counting rules (docs/sanbao.md):
- an episode runs from the work order's reception (`created_at`: the check-in both sign, diagnosis
  included) to the call telling the customer to collect the car (`customer_notified_at`; else delivery
  or closing); a running one counts up to now;
- its repair days: under 24 hours → 1 day; otherwise the number of calendar days from the start's date
  to the end's date in the store's time zone (the start day is not counted, as for any period in days;
  a repair that crosses midnight therefore counts the days it crossed);
- an episode belongs to the 三包 period when it starts before the period ends by time and the work
  order's mileage is within the period's mileage.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..auth.models import Store
from ..core.clock import now, utc
from ..extensions import db
from ..workorders.models import WorkOrder
from .models import SanbaoEpisode, SanbaoRuleSet
from .rules import rule_set_for

DAY = timedelta(hours=24)


def repair_days(start: datetime | None, end: datetime | None, tz: str) -> int:
    """Repair days of one episode (0 when it has not started)."""
    if start is None:
        return 0
    start, end = utc(start), utc(end)
    if end - start < DAY:
        return 1
    zone = ZoneInfo(tz)
    return max(1, (end.astimezone(zone).date() - start.astimezone(zone).date()).days)


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def episode_times(wo: WorkOrder) -> tuple[datetime | None, datetime | None]:
    """From the reception (the check-in sheet both sign; diagnosis counts) to the call that tells the
    customer to collect the car (`customer_notified_at`); without that call, delivery or closing. A
    cancelled work order ends when it was cancelled. Waiting for parts is not taken out."""
    start = wo.created_at
    end = wo.customer_notified_at or wo.delivered_at or wo.closed_at
    if end is None and wo.state == "cancelled":
        end = wo.updated_at
    return utc(start), utc(end)


@dataclass
class Episode:
    work_order: WorkOrder
    row: SanbaoEpisode | None
    start: datetime | None
    end: datetime | None
    days: int
    in_period: bool
    in_warranty: bool

    @property
    def running(self) -> bool:
        return self.start is not None and self.end is None

    @property
    def quality(self) -> bool:
        return bool(self.row and self.row.quality)

    @property
    def confirmed(self) -> bool:
        return bool(self.row and self.row.confirmed_at)

    @property
    def problem(self) -> str | None:
        if not self.quality:
            return None
        return self.row.problem_key or f"wo:{self.work_order.id}"


@dataclass
class Condition:
    condition: str
    key: str
    value: int
    limit: int
    warn: int
    level: str | None  # None, warning, reached, exceeded
    label: str = ""
    work_order_id: int | None = None


@dataclass
class Ledger:
    vehicle: object
    rules: SanbaoRuleSet | None
    tz: str
    at: datetime
    start: date | None = None
    period_end: date | None = None
    warranty_end: date | None = None
    mileage: int = 0
    ended_by: str | None = None  # time | mileage
    episodes: list[Episode] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return self.rules is not None and self.start is not None

    @property
    def active(self) -> bool:
        return self.covered and self.ended_by is None

    @property
    def days_left(self) -> int | None:
        if not self.covered:
            return None
        return max(0, (self.period_end - self.at.astimezone(ZoneInfo(self.tz)).date()).days)

    @property
    def km_left(self) -> int | None:
        return max(0, self.rules.period_km - self.mileage) if self.covered else None

    @property
    def counted(self) -> list[Episode]:
        return [e for e in self.episodes if e.quality and e.in_period and e.start is not None]

    @property
    def days_used(self) -> int:
        return sum(e.days for e in self.counted)

    @property
    def problems(self) -> dict[str, list[Episode]]:
        out: dict[str, list[Episode]] = {}
        for e in self.counted:
            out.setdefault(e.problem, []).append(e)
        return out

    @property
    def unconfirmed(self) -> list[Episode]:
        return [e for e in self.episodes if e.row is not None and e.row.quality and not e.confirmed]

    @property
    def level(self) -> str | None:
        """The worst level of any condition (the vehicle's risk), or None."""
        order = {None: 0, "warning": 1, "reached": 2, "exceeded": 3}
        return max((c.level for c in self.conditions), key=lambda lv: order[lv], default=None)

    @property
    def substitute_due(self) -> list[Condition]:
        return [c for c in self.conditions if c.condition == "substitute" and c.level == "exceeded"]


def _level(value: int, warn: int, limit: int, *, over: bool) -> str | None:
    """`over`: the condition is met above the limit (days, repeats); else at it (2 repairs / replacements
    after which one more failure gives the right)."""
    if over and value > limit:
        return "exceeded"
    if value >= limit:
        return "reached"
    if warn and value >= warn:
        return "warning"
    return None


def build(vehicle, at: datetime | None = None) -> Ledger:
    at = utc(at) if at else now()
    store = db.session.get(Store, vehicle.store_id)
    tz = store.timezone if store else "Asia/Shanghai"
    rules = rule_set_for(vehicle.purchase_date, vehicle.store_id)
    led = Ledger(vehicle, rules, tz, at)
    orders = list(db.session.scalars(sa.select(WorkOrder).where(WorkOrder.vehicle_id == vehicle.id)
                                      .order_by(WorkOrder.created_at, WorkOrder.id)))
    rows = {r.work_order_id: r for r in db.session.scalars(
        sa.select(SanbaoEpisode).where(SanbaoEpisode.vehicle_id == vehicle.id))}
    led.mileage = max([vehicle.mileage_km or 0] + [w.mileage_km or 0 for w in orders])
    if rules is None or vehicle.purchase_date is None:
        led.episodes = [Episode(w, rows.get(w.id), *episode_times(w), 0, False, False) for w in orders]
        return led
    zone = ZoneInfo(tz)
    led.start = vehicle.purchase_date
    led.period_end = add_years(led.start, rules.period_years)
    led.warranty_end = add_years(led.start, rules.warranty_years)
    if at.astimezone(zone).date() >= led.period_end:
        led.ended_by = "time"
    elif led.mileage > rules.period_km:
        led.ended_by = "mileage"
    for w in orders:
        start, end = episode_times(w)
        local = start.astimezone(zone).date() if start else None
        in_period = bool(local and led.start <= local < led.period_end and w.mileage_km <= rules.period_km)
        in_warranty = bool(local and led.start <= local < led.warranty_end and w.mileage_km <= rules.warranty_km)
        led.episodes.append(Episode(w, rows.get(w.id), start, end, repair_days(start, end or at, tz),
                                    in_period, in_warranty))
    led.conditions = _conditions(led, rules)
    return led


def _conditions(led: Ledger, r: SanbaoRuleSet) -> list[Condition]:
    out = [Condition("repair_days", "", led.days_used, r.max_repair_days, r.warn_repair_days,
                     _level(led.days_used, r.warn_repair_days, r.max_repair_days, over=True))]
    for key, eps in led.problems.items():
        n = len(eps)
        out.append(Condition("same_problem", key, n, r.max_same_problem, r.warn_same_problem,
                             _level(n, r.warn_same_problem, r.max_same_problem, over=True),
                             label=_problem_label(eps)))
    safety = [e for e in led.counted if e.row.serious_safety]
    out.append(Condition("safety", "", len(safety), r.max_safety_repairs, r.warn_safety_repairs,
                         _level(len(safety), r.warn_safety_repairs, r.max_safety_repairs, over=False)))
    assemblies: dict[str, int] = {}
    components: dict[str, tuple[int, str]] = {}
    for e in led.counted:
        system = e.row.system or "other"
        if e.row.replacement == "assembly" and system in (r.assemblies or []):
            assemblies[system] = assemblies.get(system, 0) + 1
        elif e.row.replacement == "component" and system in (r.component_systems or []):
            name = (e.row.component or "").strip()
            key = f"{system}:{name.casefold()}"
            components[key] = (components.get(key, (0, ""))[0] + 1, name)
    for system, n in sorted(assemblies.items()):
        out.append(Condition("assembly", system, n, r.max_replacements, r.warn_replacements,
                             _level(n, r.warn_replacements, r.max_replacements, over=False), label=system))
    for key, (n, name) in sorted(components.items()):
        out.append(Condition("component", key, n, r.max_replacements, r.warn_replacements,
                             _level(n, r.warn_replacements, r.max_replacements, over=False), label=name))
    for e in led.episodes:  # the duty of a long repair, while the car is in the workshop (包修期, quality problem)
        if e.quality and e.in_warranty and e.running:
            out.append(Condition("substitute", str(e.work_order.id), e.days, r.substitute_after_days,
                                 r.warn_substitute_days,
                                 _level(e.days, r.warn_substitute_days, r.substitute_after_days, over=True),
                                 label=e.work_order.number, work_order_id=e.work_order.id))
    return out


def _problem_label(eps: list[Episode]) -> str:
    row = next((e.row for e in eps if e.row and (e.row.system or e.row.fault_code)), None)
    if row is None:
        return eps[0].work_order.number
    return " · ".join(x for x in (row.system, row.fault_code) if x)
