"""Customer archive API: validation rules answer 422 with field errors and write nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from claimdesk.customers.models import Customer, Vehicle
from claimdesk.extensions import db
from tests.factories import CustomerFactory, VehicleFactory


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def api(advisor, api_as):
    return api_as(advisor)


def test_create_customer_minimum_fields(api, store):
    resp = api.post("customers", {"name": "王伟", "phone": "+86 138-1234-5678"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["phone"] == "13812345678" and body["store_id"] == store.id and body["vehicles"] == []


@pytest.mark.parametrize("payload, field", [
    ({"name": "A", "phone": "12345"}, "phone"),
    ({"name": "", "phone": "13812345678"}, "name"),
    ({"phone": "13812345678"}, "name"),
    ({"name": "A"}, "phone"),
])
def test_customer_validation(api, payload, field):
    resp = api.post("customers", payload)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "validation_error" and field in err["fields"]
    assert count(Customer) == 0


def test_vehicle_create_and_rules(api, store):
    customer = CustomerFactory(store=store)
    good = {"customer_id": customer.id, "vin": "LSVAA2180E2123456", "plate": "粤B12345", "model": "Lavida",
            "mileage_km": 1200}
    from claimdesk.customers.validators import vin_check_digit

    good["vin"] = good["vin"][:8] + vin_check_digit(good["vin"]) + good["vin"][9:]
    resp = api.post("vehicles", good)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["plate"] == "粤B12345"
    dup = api.post("vehicles", {**good, "plate": "粤B54321"})
    assert dup.status_code == 422 and "vin" in dup.get_json()["error"]["fields"]
    for field, bad in [("vin", "LSVAA2180E212345"), ("vin", good["vin"][:8] + "Z" + good["vin"][9:]),
                       ("plate", "B12345"), ("mileage_km", -5)]:
        resp = api.post("vehicles", {**good, field: bad, "vin": bad if field == "vin" else "WVWZZZ1JZXW000002"})
        assert resp.status_code == 422, (field, bad)
        assert field in resp.get_json()["error"]["fields"]
    assert count(Vehicle) == 1


def test_mileage_never_goes_back_without_reason(api, store):
    v = VehicleFactory(customer=CustomerFactory(store=store), mileage_km=50000)
    resp = api.patch(f"vehicles/{v.id}", {"mileage_km": 40000})
    assert resp.status_code == 422 and "mileage_km" in resp.get_json()["error"]["fields"]
    resp = api.patch(f"vehicles/{v.id}", {"mileage_km": 40000, "mileage_reason": "instrument cluster replaced"})
    assert resp.status_code == 200 and resp.get_json()["mileage_km"] == 40000


def test_search_by_phone_plate_vin_name(api, store, other_store):
    a = CustomerFactory(store=store, name="李娜", phone="13911112222")
    VehicleFactory(customer=a, plate="粤B88888", vin="WVWZZZ1JZXW000003")
    b = CustomerFactory(store=store, name="王强", phone="13733334444")
    CustomerFactory(store=other_store, name="李四", phone="13911119999")

    def ids(q):
        return [c["id"] for c in api.get("customers", query_string={"q": q}).get_json()["items"]]

    assert ids("1391111") == [a.id]  # other store's customer is invisible
    assert ids("粤B888") == [a.id]
    assert ids("WVWZZZ1JZXW000003") == [a.id]
    assert ids("王") == [b.id]
    page = api.get("customers", query_string={"per_page": 1, "page": 2}).get_json()
    assert page["total"] == 2 and page["page"] == 2 and len(page["items"]) == 1
    assert api.get("customers", query_string={"per_page": 500}).status_code == 422
