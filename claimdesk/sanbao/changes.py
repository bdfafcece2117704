"""Which work orders changed a fact the 三包 check reads, in this transaction — so that a work-order
action that changed none of them (a customer-paid line, a dispatch, a note …) skips the check.

The check (`services.on_work_order_moved`) reads of a work order: its vehicle, reception
(`created_at`), the end of the repair (`customer_notified_at`, else delivery or closing; a cancelled
order's last change), mileage, parent (a comeback), pay type, whether it is still in reception; of
its lines only those that make it a quality repair or a serious safety fault (warranty pay,
covered / pending cover, safety-related warranty work); of the vehicle the purchase date and store
(its period and rule set). Every flush compares those facts before and after from the ORM's
attribute history and marks the work order (or the vehicle) when they differ. The marks live in
the flushing session's `info` for one transaction: a commit or rollback of the session's
transaction drops them (a savepoint does not). Anything the history cannot tell (an attribute set
without its old value loaded) counts as changed.

What changes with the clock alone (a running repair's days) is the hourly sweep's (`jobs.sweep`).
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..customers.models import Vehicle
from ..workorders.models import WorkOrder, WorkOrderLine

_KEY = "claimdesk.sanbao.changed"
_NOT_LOADED = object()  # neither read nor written in this transaction: the same before and after
_UNKNOWN = object()  # written without its old value loaded: assume it changed

ORDER_FACTS = ("vehicle_id", "created_at", "customer_notified_at", "delivered_at", "closed_at", "updated_at",
               "state", "mileage_km", "parent_id", "pay_type")
LINE_FACTS = ("work_order_id", "pay_type", "warranty_status", "safety_related")
VEHICLE_FACTS = ("purchase_date", "store_id")


def _before_after(obj, names) -> tuple[dict, dict]:
    state = inspect(obj)
    old, new = {}, {}
    for name in names:
        h = state.attrs[name].history
        if h.added:
            new[name] = h.added[0]
            old[name] = h.deleted[0] if h.deleted else _UNKNOWN
        elif h.unchanged:
            old[name] = new[name] = h.unchanged[0]
        elif h.deleted:
            old[name], new[name] = h.deleted[0], None
        else:
            old[name] = new[name] = _NOT_LOADED
    return old, new


def _order_of(line: WorkOrderLine):
    """The line's work order id, from what is in memory (no load inside a flush); "?" when unknown."""
    d = inspect(line).dict
    wid = d.get("work_order_id")
    if wid is None:
        wid = getattr(d.get("work_order"), "id", None)
    return wid if isinstance(wid, int) else "?"


def order_facts(v: dict) -> tuple:
    """What the check reads of a work order (`ledger.episode_times`, `ledger.build`, `propose_episode`)."""
    ends = (v["customer_notified_at"], v["delivered_at"], v["closed_at"])
    if any(t is _NOT_LOADED or t is _UNKNOWN for t in ends):
        end = ends  # cannot tell which one ends the repair: compare them all
    else:
        end = next((t for t in ends if t is not None), None)
    state = v["state"]
    if state is not _NOT_LOADED and state is not _UNKNOWN:
        state = state if state in ("reception", "cancelled") else "other"
    # a cancelled order with no other end ends at its last change (ledger.episode_times)
    last_change = v["updated_at"] if end is None and state in ("cancelled", _UNKNOWN, _NOT_LOADED) else None
    return (v["vehicle_id"], v["created_at"], end, state, last_change, v["mileage_km"], v["parent_id"],
            v["pay_type"])


def line_facts(v: dict) -> tuple:
    """What the check reads of a line (`is_quality_repair`, the proposal's serious-safety flag)."""
    pay, cover, safety = v["pay_type"], v["warranty_status"], v["safety_related"]
    if any(x is _NOT_LOADED or x is _UNKNOWN for x in (pay, cover, safety)):
        return (v["work_order_id"], pay, cover, safety)
    return (v["work_order_id"], pay == "warranty", cover in ("covered", "pending"),
            bool(safety) and pay == "warranty")


def _counts(facts: tuple) -> bool:
    """A line that adds nothing to the check (customer pay, no cover asked) may come and go unseen."""
    return any(x is not False for x in facts[1:])


@event.listens_for(Session, "after_flush")
def _record(session: Session, flush_context) -> None:
    orders, vehicles = set(), set()
    for obj in session.new:
        if isinstance(obj, WorkOrder):
            orders.add(obj.id)
        elif isinstance(obj, WorkOrderLine):
            _, new = _before_after(obj, LINE_FACTS)
            if _counts(line_facts(new)):
                orders.add(_order_of(obj))
    for obj in session.deleted:
        if isinstance(obj, WorkOrderLine):
            old, _ = _before_after(obj, LINE_FACTS)
            if _counts(line_facts(old)):
                orders.add(_order_of(obj))
    for obj in session.dirty:
        if isinstance(obj, WorkOrder):
            old, new = _before_after(obj, ORDER_FACTS)
            if order_facts(old) != order_facts(new):
                orders.add(obj.id)
                if old["vehicle_id"] != new["vehicle_id"]:
                    vehicles.update(v for v in (old["vehicle_id"], new["vehicle_id"]) if isinstance(v, int))
        elif isinstance(obj, WorkOrderLine):
            old, new = _before_after(obj, LINE_FACTS)
            a, b = line_facts(old), line_facts(new)
            if a != b and (_counts(a) or _counts(b)):
                orders.add(_order_of(obj))
                if isinstance(old["work_order_id"], int):  # moved to another order: both change
                    orders.add(old["work_order_id"])
        elif isinstance(obj, Vehicle):
            old, new = _before_after(obj, VEHICLE_FACTS)
            if old != new:
                vehicles.add(obj.id)
    if orders or vehicles:
        marks = session.info.setdefault(_KEY, {"orders": set(), "vehicles": set()})
        marks["orders"] |= orders
        marks["vehicles"] |= vehicles


def take(session: Session, wo: WorkOrder) -> bool:
    """Whether this work order (or its vehicle) changed a fact the check reads since the last check in
    this transaction; forgets the work order's mark (its vehicle's too: the check covers it)."""
    marks = session.info.get(_KEY)
    if not marks:
        return False
    hit = wo.id in marks["orders"] or wo.vehicle_id in marks["vehicles"] or "?" in marks["orders"]
    marks["orders"].discard(wo.id)
    marks["vehicles"].discard(wo.vehicle_id)
    return hit


def pending(session: Session) -> dict:
    return session.info.get(_KEY) or {"orders": set(), "vehicles": set()}


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_KEY, None)
