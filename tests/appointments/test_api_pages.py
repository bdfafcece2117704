"""/api/v1/appointments and the diary's pages (en and zh), the home panel and the pre-filled reception."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk.appointments.models import Appointment
from claimdesk.core import clock, uow
from claimdesk.extensions import db
from claimdesk.workorders.models import WorkOrder
from tests.appointments.conftest import local
from tests.factories import VehicleFactory


def _body(vehicle, at, **kw):
    return {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "starts_at": at.isoformat(),
            "request": "Brake squeak", **kw}


def test_api_book_list_get_cancel(api_as, advisor, vehicle):
    api = api_as(advisor)
    resp = api.post("appointments", _body(vehicle, local(8, "10:00")))
    assert resp.status_code == 201, resp.get_json()
    appt = resp.get_json()
    assert appt["state"] == "booked" and appt["advisor_id"] == advisor.id and appt["plate"] == vehicle.plate
    listed = api.get("appointments?date=2026-12-08").get_json()
    assert [a["id"] for a in listed["items"]] == [appt["id"]]
    assert api.get("appointments?date=2026-12-09").get_json()["items"] == []
    assert api.get(f"appointments?advisor_id={advisor.id + 999}").get_json()["items"] == []
    assert api.get(f"appointments/{appt['id']}").get_json()["request"] == "Brake squeak"
    cancelled = api.post(f"appointments/{appt['id']}/cancel", {"note": "changed plans"})
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert api.post(f"appointments/{appt['id']}/cancel", {}).status_code == 409


def test_api_full_slot_is_422_with_the_error_body(api_as, advisor, manager, store, vehicle):
    from claimdesk.appointments import services

    services.save_settings(store, {"per_slot": 1}, manager)
    uow.commit()
    assert api_as(advisor).post("appointments", _body(vehicle, local(8, "10:00"))).status_code == 201
    other = VehicleFactory(customer__store=store)
    resp = api_as(manager).post("appointments", _body(other, local(8, "10:00")))
    assert resp.status_code == 422
    body = resp.get_json()
    assert "starts_at" in body["error"]["fields"] and "full" in body["error"]["message"]


def test_api_workshop_may_not_book(api_as, workshop, vehicle):
    assert api_as(workshop).post("appointments", _body(vehicle, local(8, "10:00"))).status_code == 403
    assert api_as(workshop).get("appointments").status_code == 200


def test_api_no_show_and_arrive(api_as, advisor, vehicle, store):
    api = api_as(advisor)
    first = api.post("appointments", _body(vehicle, local(7, "09:00"))).get_json()
    other = VehicleFactory(customer__store=store)
    second = api.post("appointments", _body(other, local(7, "09:30"))).get_json()
    clock.set_now(local(7, "09:40"))
    assert api.post(f"appointments/{second['id']}/no-show", {}).get_json()["state"] == "no_show"
    assert api.post(f"appointments/{first['id']}/arrive", {}).status_code == 422  # no mileage
    resp = api.post(f"appointments/{first['id']}/arrive", {"mileage_km": 20500})
    assert resp.status_code == 200, resp.get_json()
    arrived = resp.get_json()
    wo = db.session.get(WorkOrder, arrived["work_order_id"])
    assert arrived["state"] == "arrived" and wo.customer_description == "Brake squeak" and wo.mileage_km == 20500


def test_api_in_the_openapi_spec(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/appointments" in spec["paths"]
    assert "/api/v1/appointments/{appointment_id}/arrive" in spec["paths"]
    assert "AppointmentIn" in spec["components"]["schemas"]


def test_diary_page_en_and_zh_and_print(login, client, advisor, book):
    book(local(7, "10:00"))
    uow.commit()
    login(advisor)
    html = client.get("/appointments/?date=2026-12-07", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Appointments" in html and "Routine service" in html and "Receive" in html and "data-print" in html
    client.post("/lang/zh")
    html = client.get("/appointments/?date=2026-12-07").get_data(as_text=True)
    assert "预约看板" in html and "接车" in html


def test_booking_page_search_and_book(login, client, advisor, vehicle):
    login(advisor)
    html = client.get(f"/appointments/new?q={vehicle.plate}").get_data(as_text=True)
    assert vehicle.plate in html
    resp = client.post("/appointments/new", data={"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                                  "starts_at": local(8, "10:00").isoformat(), "request": "Tyres",
                                                  "source": "phone"})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(Appointment.request)) == "Tyres"


def test_booking_page_full_slot_is_a_form_message(login, client, advisor, manager, store, book, vehicle):
    from claimdesk.appointments import services

    services.save_settings(store, {"per_slot": 1}, manager)
    book(local(8, "10:00"), actor=manager, advisor_id=None)
    uow.commit()
    login(advisor)
    other = VehicleFactory(customer__store=store)
    uow.commit()
    resp = client.post("/appointments/new", data={"customer_id": other.customer_id, "vehicle_id": other.id,
                                                  "starts_at": local(8, "10:00").isoformat()})
    assert resp.status_code == 422 and "This slot is full" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 1


def test_receive_page_is_prefilled_and_links_the_work_order(login, client, advisor, book, vehicle):
    appt = book(local(7, "09:00"), request="Wipers and oil")
    uow.commit()
    clock.set_now(local(7, "09:02"))
    login(advisor)
    html = client.get(f"/appointments/{appt.id}/receive").get_data(as_text=True)
    assert "Wipers and oil" in html and "2026-12-07T09:00" in html and f'value="{vehicle.id}" selected' in html
    resp = client.post(f"/appointments/{appt.id}/receive", data={
        "customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "mileage_km": "20600",
        "customer_description": "Wipers and oil", "appointment_at": "2026-12-07T09:00", "pay_type": "customer",
        "priority": "normal"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    db.session.expire_all()
    appt = db.session.get(Appointment, appt.id)
    wo = db.session.get(WorkOrder, appt.work_order_id)
    assert appt.state == "arrived" and wo.assignee_id == advisor.id and wo.customer_description == "Wipers and oil"
    assert resp.headers["Location"].endswith(f"/work-orders/{wo.id}")


def test_home_shows_todays_arrivals(login, client, advisor, clerk, workshop, book):
    book(local(7, "10:00"), request="Home panel check")
    uow.commit()
    login(advisor)
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "My arrivals today" in html and "Home panel check" in html
    client.post("/logout")
    login(clerk)
    assert "Arrivals today" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_settings_page_for_managers_only(login, client, manager, advisor, store):
    login(advisor)
    assert client.get("/appointments/settings").status_code == 403
    client.post("/logout")
    login(manager)
    assert client.get("/appointments/settings").status_code == 200
    resp = client.post("/appointments/settings", data={"slot_minutes": "60", "opens": "09:00", "closes": "18:00",
                                                       "per_slot": "4", "per_day": "20", "no_show_hours": "3",
                                                       "reminder_days": "10", "due_window_days": "30"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert store.settings["diary"]["slot_minutes"] == 60 and store.settings["diary"]["reminder_days"] == 10


def test_vehicle_page_offers_booking_to_bookers_only(login, client, advisor, workshop, vehicle):
    uow.commit()
    login(advisor)
    html = client.get(f"/customers/vehicles/{vehicle.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/appointments/new?customer_id={vehicle.customer_id}&amp;vehicle_id={vehicle.id}&amp;source=case" in html
    client.post("/logout")
    login(workshop)
    html = client.get(f"/customers/vehicles/{vehicle.id}").get_data(as_text=True)
    assert "/appointments/new" not in html
