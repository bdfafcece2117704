"""Demo reminders, appointments and a campaign: vehicles coming due (some by projected mileage), the
reminders made for them (some with outcomes), today's diary of the first advisor (some arrived, one
no-show) and a recall campaign with a few outcomes."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from ..appointments import services as diary
from ..core import clock
from ..core.clock import utc
from ..extensions import db
from ..messaging import services as messaging
from . import campaigns, services

REQUESTS = ["常规保养，顺便检查空调", "保养＋四轮定位", "刹车有异响，顺便保养", "更换机油机滤", "首次保养"]


def _at(store, day, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=diary.tz_of(store))


def seed_reminders(*, store, users, customers, rng, echo=print, **_kw):
    advisor, manager = users.get("advisor"), users.get("manager")
    vehicles = [v for c in customers for v in c.vehicles]
    if advisor is None or manager is None or len(vehicles) < 12:
        return
    real_now = clock.now()
    today = diary.local_today(store)
    rng.shuffle(vehicles)
    due_vehicles, diary_vehicles = vehicles[:10], vehicles[10:16]
    for i, v in enumerate(due_vehicles):
        v.next_service_date = today + timedelta(days=rng.randint(-3, 20))
        if i % 3 == 0:
            messaging.set_preference(v.customer, {"consent": True})
    db.session.flush()
    try:
        clock.set_now(_at(store, today, "07:00"))
        services.create_reminders(store, 21)
        open_rows = [d.reminder for d in services.due_list(store, 21) if d.reminder is not None]
        tomorrow = today + timedelta(days=1)
        for row, outcome, hhmm in zip(open_rows, ("declined", "unreachable", "booked", "booked"),
                                      ("", "", "09:00", "14:00")):
            if outcome == "booked":
                services.book_for(row, advisor, {"vehicle_id": row.vehicle_id, "request": "定期保养",
                                                 "starts_at": _at(store, tomorrow, hhmm).isoformat()},
                                  source="reminder")
            else:
                services.record_outcome(row, outcome, advisor, note="无人接听" if outcome == "unreachable" else "客户已在外地保养")
        booked = []
        for v, hhmm in zip(diary_vehicles, ("08:30", "09:00", "09:30", "10:30", "14:00", "15:30")):
            booked.append(diary.book(advisor, {"customer_id": v.customer_id, "vehicle_id": v.id,
                                               "starts_at": _at(store, today, hhmm).isoformat(),
                                               "request": rng.choice(REQUESTS), "source": "phone"}))
        # the first two arrived (work orders opened from the appointment), the third did not come
        for appt in booked[:2]:
            clock.set_now(min(real_now, utc(appt.starts_at) + timedelta(minutes=5)))
            diary.receive(appt, advisor, {"mileage_km": appt.vehicle.mileage_km + rng.randint(100, 900)})
        clock.set_now(max(real_now, utc(booked[2].starts_at) + timedelta(hours=3)))
        booked[2].state, booked[2].closed_at = "no_show", clock.now()
        clock.set_now(_at(store, today, "07:00"))
        model = vehicles[0].model
        campaign, _unknown = campaigns.create_campaign(manager, {
            "kind": "recall", "title": f"{model} 后悬挂控制臂召回", "model_filter": model,
            "vins": "\n".join(v.vin for v in vehicles[1:3]),
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=60)).isoformat()})
        contacts = list(campaign.contacts)
        for contact, outcome in zip(contacts, ("booked", "declined", "unreachable")):
            if outcome == "booked":
                services.book_for(contact, advisor, {"vehicle_id": contact.vehicle_id, "request": campaign.title,
                                                     "starts_at": _at(store, tomorrow, "11:00").isoformat()},
                                  source="campaign")
            else:
                services.record_outcome(contact, outcome, advisor, note="关机" if outcome == "unreachable" else None)
    finally:
        clock.set_now(None)
    db.session.flush()
    echo(f"{store.code}: {len(open_rows)} reminders, {len(booked)} appointments today, 1 campaign")


