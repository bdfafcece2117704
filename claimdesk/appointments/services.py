"""Verbs of the appointment diary: the store's settings, its slots, booking (capacity), cancelling,
no-shows (by hand and by the sweep) and arrival (the work order opened at reception). Never commits."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from ..auth.models import Store
from ..auth.permissions import get_or_404, require, store_for_new
from ..auth.services import active_colleague
from ..core.clock import now, utc
from ..core.errors import Conflict, ValidationFailed
from ..customers.models import Customer, Vehicle
from ..extensions import db
from ..workorders import services as workorders
from ..workorders.models import WorkOrder
from .models import HOLDING, Appointment
from .schemas import AppointmentIn, SettingsIn

#: a store's diary when its manager has changed nothing
DEFAULTS = {"slot_minutes": 30, "opens": "08:30", "closes": "17:30", "per_slot": 3, "per_day": 30,
            "no_show_hours": 2, "reminder_days": 7, "due_window_days": 30}
#: who may be the advisor of an appointment
ADVISOR_ROLES = ("advisor", "front_desk_supervisor", "manager")


def _s(msg) -> str:
    return str(msg)


# --- settings ------------------------------------------------------------------------------------
def settings(store: Store) -> dict:
    """The store's diary settings, defaults filled in."""
    return {**DEFAULTS, **((store.settings or {}).get("diary") or {})}


def save_settings(store: Store, data: dict, actor) -> dict:
    require("appointments.settings", actor)
    try:
        loaded = SettingsIn().load(data)
    except ValidationError as err:
        raise ValidationFailed(_s(_l("Some fields are invalid.")), fields=err.messages) from None
    merged = settings(store)
    merged.update({k: (v.strftime("%H:%M") if isinstance(v, time) else v) for k, v in loaded.items()})
    if merged["opens"] >= merged["closes"]:
        raise ValidationFailed(_s(_l("The workshop must close after it opens.")),
                               fields={"closes": [_s(_l("Later than the opening time."))]})
    store.settings = {**(store.settings or {}), "diary": merged}
    db.session.flush()
    return merged


# --- slots ---------------------------------------------------------------------------------------
def tz_of(store: Store) -> ZoneInfo:
    return ZoneInfo(store.timezone)


def local_today(store: Store) -> date:
    return now().astimezone(tz_of(store)).date()


def slot_starts(store: Store, day: date) -> list[datetime]:
    """The day's slot starts (aware, store time) from opening to the last slot that ends by closing."""
    cfg = settings(store)
    tz = tz_of(store)
    opens = datetime.combine(day, time.fromisoformat(cfg["opens"]), tzinfo=tz)
    closes = datetime.combine(day, time.fromisoformat(cfg["closes"]), tzinfo=tz)
    step = timedelta(minutes=cfg["slot_minutes"])
    out, at = [], opens
    while at + step <= closes:
        out.append(at)
        at += step
    return out


def day_bounds(store: Store, day: date) -> tuple[datetime, datetime]:
    tz = tz_of(store)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def appointments_of_day(store_id: int, store: Store, day: date, advisor_id: int | None = None) -> list[Appointment]:
    start, end = day_bounds(store, day)
    stmt = sa.select(Appointment).where(Appointment.store_id == store_id, Appointment.starts_at >= start,
                                        Appointment.starts_at < end)
    if advisor_id:
        stmt = stmt.where(Appointment.advisor_id == advisor_id)
    return list(db.session.scalars(stmt.order_by(Appointment.starts_at, Appointment.id)))


def day_slots(store: Store, day: date, advisor_id: int | None = None) -> list[dict]:
    """Each slot of the day: its start, the appointments in it (of the advisor, if given), how many
    hold a place (the whole store) and whether another can be booked."""
    cfg = settings(store)
    every = appointments_of_day(store.id, store, day)
    day_full = sum(a.state in HOLDING for a in every) >= cfg["per_day"]
    slots = []
    for at in slot_starts(store, day):
        here = [a for a in every if utc(a.starts_at) == at]
        taken = sum(a.state in HOLDING for a in here)
        shown = [a for a in here if not advisor_id or a.advisor_id == advisor_id]
        slots.append({"at": at, "appointments": shown, "taken": taken, "capacity": cfg["per_slot"],
                      "free": not day_full and taken < cfg["per_slot"] and at > now()})
    return slots


def _check_slot(store: Store, starts_at: datetime, advisor_id: int | None, *, exclude: int | None = None) -> None:
    """The time is a slot of the diary, in the future, and neither the slot, the day nor the advisor is full.

    Raises ValidationFailed (422) naming `starts_at`; a full slot or day is the same 422 with its reason.
    """
    local = starts_at.astimezone(tz_of(store))
    if local not in slot_starts(store, local.date()):
        raise ValidationFailed(_s(_l("Not a slot of the diary (workshop hours and slot length).")),
                               fields={"starts_at": [_s(_l("Pick one of the diary's slots."))]})
    if starts_at <= now():
        raise ValidationFailed(_s(_l("This slot has passed.")), fields={"starts_at": [_s(_l("Pick a later slot."))]})
    cfg = settings(store)
    start, end = day_bounds(store, local.date())
    holding = sa.select(Appointment).where(Appointment.store_id == store.id, Appointment.state.in_(HOLDING),
                                           Appointment.starts_at >= start, Appointment.starts_at < end)
    if exclude:
        holding = holding.where(Appointment.id != exclude)
    rows = list(db.session.scalars(holding))
    if len(rows) >= cfg["per_day"]:
        raise ValidationFailed(_s(_l("The diary is full for this day (%(n)s appointments).", n=cfg["per_day"])),
                               fields={"starts_at": [_s(_l("This day is full."))]})
    in_slot = [a for a in rows if utc(a.starts_at) == utc(starts_at)]
    if len(in_slot) >= cfg["per_slot"]:
        raise ValidationFailed(_s(_l("This slot is full (%(n)s cars).", n=cfg["per_slot"])),
                               fields={"starts_at": [_s(_l("This slot is full."))]})
    if advisor_id and any(a.advisor_id == advisor_id for a in in_slot):
        raise ValidationFailed(_s(_l("The advisor already has a car in this slot.")),
                               fields={"advisor_id": [_s(_l("Busy in this slot."))]})


def _lock_store(store_id: int) -> Store:
    """Bookings of one store queue behind each other (PostgreSQL): the capacity count stays true."""
    stmt = sa.select(Store).where(Store.id == store_id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


# --- booking -------------------------------------------------------------------------------------
def book(actor, data: dict) -> Appointment:
    """Validate (AppointmentIn), check the slot's capacity and book. Never commits."""
    require("appointments.book", actor)
    try:
        data = AppointmentIn().load({k: v for k, v in (data or {}).items() if v not in (None, "")})
    except ValidationError as err:
        raise ValidationFailed(_s(_l("Some fields are invalid.")), fields=err.messages) from None
    customer = db.session.get(Customer, data["customer_id"])
    if customer is None or not _visible(actor, customer.store_id):
        raise ValidationFailed(_s(_l("Unknown customer.")), fields={"customer_id": [_s(_l("Unknown customer."))]})
    store_id = store_for_new(actor, customer.store_id)
    vehicle = db.session.get(Vehicle, data["vehicle_id"])
    if vehicle is None or vehicle.customer_id != customer.id:
        raise ValidationFailed(_s(_l("The vehicle does not belong to this customer.")),
                               fields={"vehicle_id": [_s(_l("Not this customer's vehicle."))]})
    advisor_id = data.get("advisor_id")
    if advisor_id is None and actor.role == "advisor":
        advisor_id = actor.id
    if advisor_id is not None:
        advisor = active_colleague(advisor_id, store_id)
        if advisor is None or advisor.role not in ADVISOR_ROLES:
            raise ValidationFailed(_s(_l("Unknown advisor.")),
                                   fields={"advisor_id": [_s(_l("An active advisor of this store."))]})
    store = _lock_store(store_id)
    starts_at = utc(data["starts_at"])
    _check_slot(store, starts_at, advisor_id)
    appt = Appointment(store_id=store_id, customer_id=customer.id, vehicle_id=vehicle.id, advisor_id=advisor_id,
                       starts_at=starts_at, minutes=settings(store)["slot_minutes"],
                       request=(data.get("request") or "").strip(), source=data.get("source") or "phone",
                       state="booked", created_by_id=actor.id, created_at=now(), updated_at=now())
    db.session.add(appt)
    db.session.flush()
    return appt


def _visible(actor, store_id: int) -> bool:
    return actor.is_group or actor.store_id == store_id


def _must_be_booked(appt: Appointment) -> None:
    if appt.state != "booked":
        raise Conflict(_s(_l("The appointment is %(state)s already.", state=appt.state)))


def cancel(appt: Appointment, actor, note: str | None = None) -> Appointment:
    require("appointments.book", actor)
    _must_be_booked(appt)
    appt.state, appt.note, appt.closed_at = "cancelled", (note or None), now()
    db.session.flush()
    return appt


def mark_no_show(appt: Appointment, actor, note: str | None = None) -> Appointment:
    """By hand, once the slot has begun; the sweep (`sweep_no_shows`) does it N hours after the slot."""
    if actor is not None:
        require("appointments.book", actor)
        if utc(appt.starts_at) > now():
            raise Conflict(_s(_l("The slot has not begun yet; cancel the appointment instead.")))
    _must_be_booked(appt)
    appt.state, appt.note, appt.closed_at = "no_show", (note or appt.note), now()
    db.session.flush()
    return appt


def sweep_no_shows() -> int:
    """Every appointment still `booked` the store's `no_show_hours` after its slot ended becomes a no-show."""
    marked = 0
    for store in db.session.scalars(sa.select(Store)):
        hours = settings(store)["no_show_hours"]
        rows = db.session.scalars(sa.select(Appointment).where(
            Appointment.store_id == store.id, Appointment.state == "booked",
            Appointment.starts_at < now() - timedelta(hours=hours))).all()
        for appt in rows:
            if utc(appt.starts_at) + timedelta(minutes=appt.minutes, hours=hours) <= now():
                appt.state, appt.closed_at = "no_show", now()
                marked += 1
    db.session.flush()
    return marked


# --- arrival -------------------------------------------------------------------------------------
def reception_values(appt: Appointment) -> dict:
    """What the reception form starts with: the appointment's customer, vehicle, advisor and request."""
    return {"customer_id": appt.customer_id, "vehicle_id": appt.vehicle_id, "assignee_id": appt.advisor_id,
            "customer_description": appt.request, "appointment_at": utc(appt.starts_at).isoformat(),
            "mileage_km": None}


def link_work_order(appt: Appointment, wo: WorkOrder) -> Appointment:
    """The car came: the appointment is `arrived` and points at its work order."""
    if appt.state not in ("booked", "no_show"):
        raise Conflict(_s(_l("The appointment is %(state)s already.", state=appt.state)))
    if wo.vehicle_id != appt.vehicle_id or wo.store_id != appt.store_id:
        raise ValidationFailed(_s(_l("The work order is for another vehicle.")),
                               fields={"work_order_id": [_s(_l("A work order of the appointment's vehicle."))]})
    appt.state, appt.work_order_id, appt.arrived_at, appt.closed_at = "arrived", wo.id, now(), None
    if wo.appointment_at is None:
        wo.appointment_at = appt.starts_at
    db.session.flush()
    return appt


def receive(appt: Appointment, actor, data: dict) -> WorkOrder:
    """Open the work order from the appointment (the reception's fields over the pre-filled ones) and
    mark the appointment arrived, in one transaction."""
    if appt.state not in ("booked", "no_show"):
        raise Conflict(_s(_l("The appointment is %(state)s already.", state=appt.state)))
    values = {k: v for k, v in reception_values(appt).items() if v is not None}
    values.update({k: v for k, v in data.items() if v not in (None, "")})
    values["customer_id"], values["vehicle_id"] = appt.customer_id, appt.vehicle_id
    if not values.get("customer_description"):
        values["customer_description"] = _s(_l("Appointment"))
    wo = workorders.open_work_order(actor, values)
    link_work_order(appt, wo)
    return wo


def arrive(appt: Appointment, actor, data: dict) -> Appointment:
    """The API's arrive: link `work_order_id`, else open one pre-filled (needs `mileage_km`)."""
    require("workorders.create", actor)
    if data.get("work_order_id"):
        wo = get_or_404(WorkOrder, data["work_order_id"], actor)
        return link_work_order(appt, wo)
    if data.get("mileage_km") is None:
        raise ValidationFailed(_s(_l("Give the mileage today, or the work order opened already.")),
                               fields={"mileage_km": [_s(_l("Required to open the work order."))]})
    receive(appt, actor, {"mileage_km": data["mileage_km"],
                          "customer_description": data.get("customer_description")})
    return appt


def local_day(appt: Appointment) -> date:
    store = db.session.get(Store, appt.store_id)
    return utc(appt.starts_at).astimezone(tz_of(store)).date()


def local_day_time(appt: Appointment) -> str:
    """The slot as a datetime-local field's value (store time)."""
    store = db.session.get(Store, appt.store_id)
    return utc(appt.starts_at).astimezone(tz_of(store)).strftime("%Y-%m-%dT%H:%M")
