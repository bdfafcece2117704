"""Customer archive pages: forms validate with the API's rules and show field errors."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk.customers.models import Customer
from claimdesk.extensions import db
from tests.factories import CustomerFactory, VehicleFactory


def test_create_customer_then_vehicle_via_forms(client, login, advisor):
    login(advisor)
    resp = client.post("/customers/new", data={"name": "陈静", "phone": "138 1234 5678"})
    assert resp.status_code == 302
    customer = db.session.scalar(sa.select(Customer))
    assert customer.phone == "13812345678"
    resp = client.post(f"/customers/{customer.id}/vehicles/new",
                       data={"plate": "粤A12345", "vin": "WVWZZZ1JZXW000009", "model": "Golf", "mileage_km": "100"})
    assert resp.status_code == 302
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "粤A12345" in page and "陈静" in page


def test_form_errors_are_shown_and_nothing_saved(client, login, advisor):
    login(advisor)
    resp = client.post("/customers/new", data={"name": "X", "phone": "123"})
    assert resp.status_code == 422
    assert "Not a valid phone number" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_search_box_finds_by_plate_and_goes_to_the_customer(client, login, advisor, store):
    c = CustomerFactory(store=store, name="周丽")
    VehicleFactory(customer=c, plate="粤B77777")
    login(advisor)
    resp = client.get("/search", query_string={"q": "粤B777"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/customers/{c.id}")


def test_other_store_customer_page_is_404(client, login, advisor, other_store):
    c = CustomerFactory(store=other_store)
    login(advisor)
    assert client.get(f"/customers/{c.id}").status_code == 404
