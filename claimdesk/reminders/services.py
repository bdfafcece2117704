"""Service reminders (保养提醒): the projection of a vehicle's mileage, the due list, the reminder job
(message or call list), and the outcome of a call (booked, declined, unreachable). Never commits."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..appointments import services as diary
from ..appointments.models import Appointment
from ..auth.models import Store
from ..auth.permissions import require
from ..core.clock import now, utc
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..customers.models import Vehicle
from ..extensions import db
from ..messaging import services as messaging
from ..workorders.models import WorkOrder
from .models import MAX_DUE_WINDOW_DAYS, OUTCOMES, CampaignContact, ServiceReminder

#: a vehicle overdue longer than this is no longer on the due list (it went elsewhere)
OVERDUE_DAYS = 90


def _s(msg) -> str:
    return str(msg)


# --- projection ----------------------------------------------------------------------------------
def km_per_day(readings: list[tuple[date, int]], purchase_date: date | None, mileage_km: int,
               mileage_on: date) -> float | None:
    """How far the vehicle goes per day, from its own history only.

    1. Its work orders' recorded mileages (`readings`, (day, km)): at least two on different days give
       (last km − first km) / days from the first to the last reading.
    2. Else the purchase date and the current mileage: `mileage_km` / days from purchase to `mileage_on`
       (the day that mileage was recorded).
    3. Else no rate (None): the vehicle is due by its next-service date only.
    A rate of zero or less (a reset odometer, a car standing still) is no rate either.
    """
    readings = sorted(readings)
    if len(readings) >= 2 and readings[-1][0] > readings[0][0]:
        rate = (readings[-1][1] - readings[0][1]) / (readings[-1][0] - readings[0][0]).days
        return rate if rate > 0 else None
    if purchase_date is not None and mileage_km > 0 and mileage_on > purchase_date:
        return mileage_km / (mileage_on - purchase_date).days
    return None


def projected_km(last: tuple[date, int], rate: float | None, day: date) -> int:
    """The mileage on `day`: the last known reading plus the rate per day since then."""
    if rate is None or day <= last[0]:
        return last[1]
    return int(last[1] + rate * (day - last[0]).days)


def mileage_due_date(last: tuple[date, int], rate: float | None, next_km: int | None) -> date | None:
    """The day the projected mileage reaches `next_km` (the last reading's day if it has already)."""
    if next_km is None or rate is None:
        return None
    if last[1] >= next_km:
        return last[0]
    return last[0] + timedelta(days=math.ceil((next_km - last[1]) / rate))


@dataclass
class Due:
    vehicle: Vehicle
    due_date: date
    due_by: str  # date or mileage
    projected_km: int | None
    rate: float | None
    reminder: ServiceReminder | None = None
    appointment: Appointment | None = None


def _readings(vehicle_ids: list[int]) -> dict[int, list[tuple[date, int]]]:
    out: dict[int, list[tuple[date, int]]] = {}
    if not vehicle_ids:
        return out
    for vid, at, km in db.session.execute(sa.select(WorkOrder.vehicle_id, WorkOrder.created_at, WorkOrder.mileage_km)
                                          .where(WorkOrder.vehicle_id.in_(vehicle_ids))):
        out.setdefault(vid, []).append((utc(at).date(), km))
    return out


def due_of(vehicle: Vehicle, readings: list[tuple[date, int]]) -> Due | None:
    """When the vehicle is due: the earlier of its next-service date and the day its projected mileage
    reaches its next-service mileage."""
    mileage_on = utc(vehicle.updated_at).date() if vehicle.updated_at else now().date()
    rate = km_per_day(readings, vehicle.purchase_date, vehicle.mileage_km or 0, mileage_on)
    last = max(readings) if readings else (mileage_on, vehicle.mileage_km or 0)
    if last[1] < (vehicle.mileage_km or 0):
        last = (max(last[0], mileage_on), vehicle.mileage_km)
    by_km = mileage_due_date(last, rate, vehicle.next_service_km)
    by_date = vehicle.next_service_date
    if by_km is None and by_date is None:
        return None
    if by_date is None or (by_km is not None and by_km < by_date):
        due, why = by_km, "mileage"
    else:
        due, why = by_date, "date"
    return Due(vehicle, due, why, projected_km(last, rate, due) if rate else None, rate)


def due_of_vehicle(vehicle: Vehicle) -> Due | None:
    return due_of(vehicle, _readings([vehicle.id]).get(vehicle.id, []))


def due_or_404(vehicle: Vehicle) -> Due:
    """The vehicle's due-list entry; a vehicle with no service due cannot be booked from the due list."""
    entry = due_of_vehicle(vehicle)
    if entry is None:
        raise NotFound(_s(_l("This vehicle has no service due.")))
    return entry


def due_window(store: Store, days: int | None) -> int:
    """The due list's window in days: the one asked for (1 to MAX_DUE_WINDOW_DAYS), else the store's."""
    return max(1, min(days or diary.settings(store)["due_window_days"], MAX_DUE_WINDOW_DAYS))


def _booked(store: Store, vehicle_ids: list[int], today: date) -> dict[int, Appointment]:
    """The vehicles' appointments still booked from today on (the due list shows them instead of a call)."""
    start, _end = diary.day_bounds(store, today)
    return {a.vehicle_id: a for a in db.session.scalars(sa.select(Appointment).where(
        Appointment.vehicle_id.in_(vehicle_ids), Appointment.state == "booked",
        Appointment.starts_at >= start))}


def due_list(store: Store, days: int | None = None, today: date | None = None) -> list[Due]:
    """The store's vehicles due within `days` (the store's due-list window by default), overdue ones
    (up to OVERDUE_DAYS) first, with their reminder of that due date and any booked appointment."""
    cfg = diary.settings(store)
    today = today or diary.local_today(store)
    horizon = today + timedelta(days=days if days is not None else cfg["due_window_days"])
    vehicles = list(db.session.scalars(sa.select(Vehicle).where(
        Vehicle.store_id == store.id,
        sa.or_(Vehicle.next_service_date.is_not(None), Vehicle.next_service_km.is_not(None)))))
    readings = _readings([v.id for v in vehicles])
    out = [d for v in vehicles if (d := due_of(v, readings.get(v.id, []))) is not None
           and today - timedelta(days=OVERDUE_DAYS) <= d.due_date <= horizon]
    ids = [d.vehicle.id for d in out]
    if ids:
        reminders = {(r.vehicle_id, r.due_date): r for r in db.session.scalars(
            sa.select(ServiceReminder).where(ServiceReminder.vehicle_id.in_(ids)))}
        booked = _booked(store, ids, today)
        for d in out:
            d.reminder = reminders.get((d.vehicle.id, d.due_date))
            d.appointment = booked.get(d.vehicle.id)
    return sorted(out, key=lambda d: (d.due_date, d.vehicle.plate))


def entry_of(row: ServiceReminder) -> Due:
    """A stored reminder as a due-list entry: its due date and projection, and the vehicle's booked
    appointment as the due list finds it (else the one the reminder was booked with)."""
    store = db.session.get(Store, row.store_id)
    booked = _booked(store, [row.vehicle_id], diary.local_today(store)).get(row.vehicle_id)
    if booked is None and row.appointment_id is not None:
        booked = db.session.get(Appointment, row.appointment_id)
    return Due(row.vehicle, row.due_date, row.due_by, row.projected_km, None, reminder=row,
               appointment=booked)


# --- the reminder job ----------------------------------------------------------------------------
def reminder_for(due: Due) -> ServiceReminder:
    """The reminder of this vehicle and due date, made now if there is none (call list)."""
    row = due.reminder or db.session.scalar(sa.select(ServiceReminder).where(
        ServiceReminder.vehicle_id == due.vehicle.id, ServiceReminder.due_date == due.due_date))
    if row is None:
        row = ServiceReminder(store_id=due.vehicle.store_id, vehicle_id=due.vehicle.id,
                              customer_id=due.vehicle.customer_id, due_date=due.due_date, due_by=due.due_by,
                              projected_km=due.projected_km, channel="call", state="open", created_at=now())
        db.session.add(row)
        db.session.flush()
        due.reminder = row
    return row


def create_reminders(store: Store, days: int | None = None) -> int:
    """The store's vehicles due within its `reminder_days` get a reminder (once per vehicle and due
    date): the consent-based message when it can go, else a line on the call list. A vehicle booked
    already gets none. Returns how many were made."""
    made = 0
    for due in due_list(store, days or diary.settings(store)["reminder_days"]):
        if due.reminder is not None or due.appointment is not None:
            continue
        row = reminder_for(due)
        msg = messaging.service_reminder_for(due.vehicle.id, due.due_date)
        if msg is not None:
            row.channel, row.message_id = "message", msg.id
        made += 1
    db.session.flush()
    return made


def create_all_reminders() -> int:
    return sum(create_reminders(store) for store in db.session.scalars(sa.select(Store).order_by(Store.id)))


# --- outcomes (reminders and campaign contacts alike) --------------------------------------------
def record_outcome(row, outcome: str, actor, *, note: str | None = None, appointment: Appointment | None = None):
    """Booked (with its appointment), declined, or unreachable (tried again later). Booked and declined
    are final."""
    require("reminders.work", actor)
    if outcome not in OUTCOMES:
        raise ValidationFailed(_s(_l("Pick an outcome.")), fields={"outcome": [_s(_l("Pick an outcome."))]})
    if row.state not in ("open", "unreachable"):
        raise Conflict(_s(_l("The outcome is recorded already.")))
    if outcome == "booked" and appointment is None:
        raise ValidationFailed(_s(_l("Book the appointment to record this outcome.")),
                               fields={"outcome": [_s(_l("Book through the booking form."))]})
    if outcome == "unreachable" and not (note or "").strip():
        raise ValidationFailed(_s(_l("Say what happened (no answer, wrong number …).")),
                               fields={"note": [_s(_l("Required for unreachable."))]})
    row.state, row.outcome_at, row.outcome_by_id = outcome, now(), actor.id
    row.attempts = (row.attempts or 0) + 1
    if note is not None:
        row.note = note.strip()[:500] or None
    if appointment is not None:
        row.appointment_id = appointment.id
    db.session.flush()
    return row


def booking_request(row) -> str:
    """What a booking from a reminder asks for (the campaign's title for a campaign contact; `row` None:
    a reminder not made yet)."""
    if isinstance(row, CampaignContact):
        return row.campaign.title
    return _s(_l("Scheduled service"))


def book_for(row, actor, data: dict, *, source: str) -> Appointment:
    """Book the appointment and record `booked` on the reminder or contact, in one transaction."""
    if row.state not in ("open", "unreachable"):
        raise Conflict(_s(_l("The outcome is recorded already.")))
    require("reminders.work", actor)
    vehicle = db.session.get(Vehicle, row.vehicle_id)
    data = {**data, "customer_id": vehicle.customer_id, "source": source}
    appt = diary.book(actor, data)
    if appt.vehicle_id != row.vehicle_id:
        raise ValidationFailed(_s(_l("The vehicle does not belong to this customer.")),
                               fields={"vehicle_id": [_s(_l("Not this customer's vehicle."))]})
    record_outcome(row, "booked", actor, note=data.get("note"), appointment=appt)
    return appt


def book_vehicle(vehicle: Vehicle, actor, data: dict) -> tuple[Appointment, ServiceReminder]:
    """Book from the due list (the page and the API alike): the vehicle's reminder of its due date, made
    now if the job has not made it yet, booked with `book_for` in the same transaction."""
    require("reminders.work", actor)
    row = reminder_for(due_or_404(vehicle))
    return book_for(row, actor, data, source="reminder"), row
