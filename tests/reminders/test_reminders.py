"""Service reminders: the projection rule, the due list, the reminder job (idempotent, message or call
list) and the outcomes, booking included."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimdesk.appointments.models import Appointment
from claimdesk.core import uow
from claimdesk.core.errors import Conflict, Forbidden, ValidationFailed
from claimdesk.extensions import db
from claimdesk.messaging import services as messaging
from claimdesk.messaging.models import Message
from claimdesk.reminders import services
from claimdesk.reminders.jobs import create_reminders
from claimdesk.reminders.models import ServiceReminder
from claimdesk.workorders.models import WorkOrder
from tests.appointments.conftest import local
from tests.factories import VehicleFactory

TODAY = date(2026, 12, 7)


def test_rate_from_work_order_mileages():
    readings = [(date(2026, 1, 1), 10000), (date(2026, 6, 30), 15000), (date(2026, 3, 1), 11000)]
    assert services.km_per_day(readings, None, 0, TODAY) == pytest.approx(5000 / 180)


def test_rate_from_purchase_date_when_one_reading():
    rate = services.km_per_day([(date(2026, 6, 1), 9000)], date(2025, 12, 1), 9000, date(2026, 6, 1))
    assert rate == pytest.approx(9000 / 182)


def test_no_rate_without_history_or_when_going_backwards():
    assert services.km_per_day([], None, 30000, TODAY) is None
    assert services.km_per_day([(date(2026, 1, 1), 9000), (date(2026, 2, 1), 8000)], None, 0, TODAY) is None


def test_mileage_due_date_and_projection():
    last = (date(2026, 12, 1), 18000)
    assert services.mileage_due_date(last, 100.0, 20000) == date(2026, 12, 21)
    assert services.mileage_due_date(last, 100.0, 17000) == date(2026, 12, 1)  # passed already
    assert services.mileage_due_date(last, None, 20000) is None
    assert services.projected_km(last, 100.0, date(2026, 12, 11)) == 19000


def _wo(vehicle, advisor, km, when):
    wo = WorkOrder(store_id=vehicle.store_id, customer_id=vehicle.customer_id, vehicle_id=vehicle.id, state="closed",
                   number=f"WO-T-{vehicle.id}-{km}", mileage_km=km, customer_description="service", damage=[],
                   created_at=when, updated_at=when, assignee_id=advisor.id)
    db.session.add(wo)
    db.session.flush()
    return wo


def test_due_list_by_date_and_by_projected_mileage(store, other_store, advisor):
    by_date = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=10))
    later = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=60))
    by_km = VehicleFactory(customer__store=store, mileage_km=19000, next_service_km=20000)
    _wo(by_km, advisor, 10000, datetime(2026, 8, 9, tzinfo=timezone.utc))
    _wo(by_km, advisor, 19000, datetime(2026, 11, 7, tzinfo=timezone.utc))  # 100 km a day → due 2026-11-17
    VehicleFactory(customer__store=other_store, next_service_date=TODAY + timedelta(days=3))
    entries = services.due_list(store, 30, TODAY)
    assert [e.vehicle.id for e in entries] == [by_km.id, by_date.id]
    assert entries[0].due_by == "mileage" and entries[0].due_date == date(2026, 11, 17)
    assert entries[0].projected_km == 20000
    assert entries[1].due_by == "date" and entries[1].projected_km is None
    assert later.id not in [e.vehicle.id for e in services.due_list(store, 30, TODAY)]
    assert later.id in [e.vehicle.id for e in services.due_list(store, 90, TODAY)]


def test_reminder_job_is_idempotent_and_picks_message_or_call(store, advisor):
    consented = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=5))
    _wo(consented, advisor, 20000, datetime(2026, 6, 1, tzinfo=timezone.utc))
    messaging.set_preference(consented.customer, {"consent": True})
    no_consent = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=6))
    VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=20))  # beyond 7 days
    uow.commit()
    assert create_reminders() == 2
    assert create_reminders() == 0  # runs twice → still one reminder per vehicle and due date
    rows = {r.vehicle_id: r for r in db.session.scalars(sa.select(ServiceReminder))}
    assert set(rows) == {consented.id, no_consent.id}
    assert rows[consented.id].channel == "message" and rows[consented.id].message_id is not None
    assert rows[no_consent.id].channel == "call" and rows[no_consent.id].message_id is None
    msgs = list(db.session.scalars(sa.select(Message).where(Message.kind == "service_reminder")))
    assert len(msgs) == 1 and msgs[0].params["service_date"] == "2026-12-12"


def test_a_booked_vehicle_gets_no_reminder(store, advisor):
    from claimdesk.appointments import services as diary

    v = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=3))
    diary.book(advisor, {"customer_id": v.customer_id, "vehicle_id": v.id, "starts_at": local(8, "10:00").isoformat()})
    assert services.create_reminders(store) == 0


def _reminder(store):
    v = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=3))
    services.create_reminders(store)
    return db.session.scalar(sa.select(ServiceReminder).where(ServiceReminder.vehicle_id == v.id))


def test_outcomes_declined_is_final_unreachable_can_be_retried(store, advisor):
    row = _reminder(store)
    with pytest.raises(ValidationFailed) as err:
        services.record_outcome(row, "unreachable", advisor)
    assert "note" in err.value.fields
    services.record_outcome(row, "unreachable", advisor, note="no answer")
    assert row.state == "unreachable" and row.attempts == 1
    services.record_outcome(row, "declined", advisor, note="serviced elsewhere")
    assert row.state == "declined" and row.attempts == 2
    with pytest.raises(Conflict):
        services.record_outcome(row, "unreachable", advisor, note="again")
    with pytest.raises(ValidationFailed):  # booked only through the booking form (with its appointment)
        services.record_outcome(_reminder(store), "booked", advisor)


def test_booking_from_a_reminder_books_and_records_in_one_go(store, advisor, workshop, clerk):
    row = _reminder(store)
    with pytest.raises(Forbidden):
        services.book_for(row, workshop, {"vehicle_id": row.vehicle_id, "starts_at": local(8, "10:00").isoformat()},
                          source="reminder")
    appt = services.book_for(row, clerk, {"vehicle_id": row.vehicle_id, "starts_at": local(8, "10:00").isoformat(),
                                          "advisor_id": advisor.id}, source="reminder")
    assert row.state == "booked" and row.appointment_id == appt.id and appt.source == "reminder"
    assert appt.advisor_id == advisor.id


def test_booking_a_full_slot_from_a_reminder_records_nothing(store, advisor, manager):
    from claimdesk.appointments import services as diary

    diary.save_settings(store, {"per_slot": 1}, manager)
    other = VehicleFactory(customer__store=store)
    diary.book(manager, {"customer_id": other.customer_id, "vehicle_id": other.id,
                         "starts_at": local(8, "10:00").isoformat()})
    row = _reminder(store)
    with pytest.raises(ValidationFailed):
        services.book_for(row, advisor, {"vehicle_id": row.vehicle_id, "starts_at": local(8, "10:00").isoformat()},
                          source="reminder")
    assert row.state == "open" and db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1
