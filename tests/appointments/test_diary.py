"""The diary: slots, booking within capacity, cancel / no-show (by hand and by the sweep), and receiving
an appointment through the pre-filled reception."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimdesk.appointments import services
from claimdesk.appointments.jobs import mark_no_shows
from claimdesk.appointments.models import Appointment
from claimdesk.core import clock, uow
from claimdesk.core.errors import Conflict, Forbidden, ValidationFailed
from claimdesk.extensions import db
from claimdesk.workorders.models import WorkOrder
from tests.appointments.conftest import local
from tests.factories import VehicleFactory


def test_slots_follow_the_store_settings(store, manager):
    slots = services.slot_starts(store, local(7, "00:00").date())
    assert slots[0] == local(7, "08:30") and slots[-1] == local(7, "17:00") and len(slots) == 18
    services.save_settings(store, {"slot_minutes": 60, "opens": "09:00", "closes": "12:00"}, manager)
    assert services.slot_starts(store, local(7, "00:00").date()) == [local(7, "09:00"), local(7, "10:00"),
                                                                     local(7, "11:00")]


def test_settings_refuse_closing_before_opening_and_workshop(store, manager, workshop):
    with pytest.raises(ValidationFailed) as err:
        services.save_settings(store, {"opens": "18:00", "closes": "08:00"}, manager)
    assert "closes" in err.value.fields
    with pytest.raises(Forbidden):
        services.save_settings(store, {"per_slot": 5}, workshop)


def test_booking_defaults_the_advisor_and_keeps_the_request(book, advisor):
    appt = book(local(8, "10:00"))
    assert appt.state == "booked" and appt.advisor_id == advisor.id and appt.request == "Routine service"
    assert appt.minutes == 30 and clock.utc(appt.starts_at) == local(8, "10:00")


def test_booking_outside_the_slots_or_in_the_past_is_refused(book):
    with pytest.raises(ValidationFailed) as err:
        book(local(8, "10:10"))
    assert "starts_at" in err.value.fields
    with pytest.raises(ValidationFailed):
        book(local(8, "19:00"))
    clock.set_now(local(7, "12:00"))
    with pytest.raises(ValidationFailed):
        book(local(7, "11:00"))


def test_capacity_full_slot_day_and_advisor(store, manager, book, make_user):
    services.save_settings(store, {"per_slot": 2, "per_day": 3}, manager)
    second = make_user("advisor", username="second")
    third = make_user("advisor", username="third")
    vs = [VehicleFactory(customer__store=store) for _ in range(4)]
    book(local(8, "10:00"), v=vs[0])
    with pytest.raises(ValidationFailed) as err:  # the same advisor twice in one slot
        book(local(8, "10:00"), v=vs[1])
    assert "advisor_id" in err.value.fields
    book(local(8, "10:00"), actor=second, v=vs[1])
    with pytest.raises(ValidationFailed) as err:  # two cars per slot
        book(local(8, "10:00"), actor=third, v=vs[2])
    assert "full" in err.value.message
    book(local(8, "11:00"), v=vs[2])
    with pytest.raises(ValidationFailed) as err:  # three per day
        book(local(8, "14:00"), v=vs[3])
    assert "day" in err.value.message
    # a cancelled appointment frees its place
    appt = db.session.scalar(sa.select(Appointment).where(Appointment.vehicle_id == vs[2].id))
    services.cancel(appt, manager, "customer called")
    assert book(local(8, "14:00"), v=vs[3]).state == "booked"


def test_who_may_book(book, workshop, clerk, manager, make_user, vehicle):
    with pytest.raises(Forbidden):
        book(local(8, "10:00"), actor=workshop)
    assert book(local(8, "10:00"), actor=clerk).advisor_id is None
    assert book(local(8, "10:30"), actor=manager).state == "booked"
    with pytest.raises(Forbidden):
        book(local(8, "11:00"), actor=make_user("qc_inspector", username="qc"))


def test_another_stores_customer_is_unknown(book, other_store, make_user):
    stranger = VehicleFactory(customer__store=other_store)
    with pytest.raises(ValidationFailed) as err:
        book(local(8, "10:00"), v=stranger)
    assert "customer_id" in err.value.fields


def test_no_show_by_hand_only_once_the_slot_began(book, advisor):
    appt = book(local(7, "10:00"))
    with pytest.raises(Conflict):
        services.mark_no_show(appt, advisor)
    clock.set_now(local(7, "10:20"))
    services.mark_no_show(appt, advisor, "phone off")
    assert appt.state == "no_show" and appt.note == "phone off"
    with pytest.raises(Conflict):
        services.cancel(appt, advisor)


def test_no_show_job_marks_only_appointments_long_past(book, store):
    late = book(local(7, "08:30"))
    recent = book(local(7, "11:00"), v=VehicleFactory(customer__store=store))
    uow.commit()
    clock.set_now(local(7, "11:30"))  # 08:30–09:00 slot ended 2 h 30 ago; 11:00 slot only now
    assert mark_no_shows() == 1
    assert mark_no_shows() == 0
    assert late.state == "no_show" and recent.state == "booked"


def test_receive_opens_a_linked_prefilled_work_order(book, advisor, vehicle):
    appt = book(local(7, "09:00"), request="Oil change and AC smell")
    clock.set_now(local(7, "09:05"))
    wo = services.receive(appt, advisor, {"mileage_km": 21000})
    assert isinstance(wo, WorkOrder) and wo.vehicle_id == vehicle.id and wo.customer_id == vehicle.customer_id
    assert wo.customer_description == "Oil change and AC smell" and wo.assignee_id == advisor.id
    assert clock.utc(wo.appointment_at) == local(7, "09:00")
    assert appt.state == "arrived" and appt.work_order_id == wo.id and appt.arrived_at is not None
    with pytest.raises(Conflict):
        services.receive(appt, advisor, {"mileage_km": 21000})


def test_receive_refused_rolls_nothing_half_done(book, advisor):
    appt = book(local(7, "09:00"))
    with pytest.raises(ValidationFailed):
        services.receive(appt, advisor, {})  # no mileage
    assert appt.state == "booked" and appt.work_order_id is None


def test_day_slots_show_counts_and_free(book, store):
    book(local(8, "09:00"))
    slots = services.day_slots(store, local(8, "00:00").date())
    nine = next(s for s in slots if s["at"] == local(8, "09:00"))
    assert nine["taken"] == 1 and nine["free"] and len(nine["appointments"]) == 1
    assert timedelta(minutes=30) == slots[1]["at"] - slots[0]["at"]
