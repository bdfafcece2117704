"""Issue 16 item 6: hostile dates and malformed JSON answer 400/422 with the api.md body, never 500.

Year-1 times such as 0001-01-01T00:00:00+14:00 parse, then overflow when converted to UTC, when a
day is subtracted, or in PostgreSQL's ranges; deep nesting exhausts the JSON parser's recursion;
a lone surrogate cannot be encoded for the database."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.claims.factories import InsurerFactory, claim_fields
from tests.factories import CustomerFactory, VehicleFactory

YEAR_ONE = ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-14:00", "0001-01-01", "9999-12-31T23:59:59-14:00",
            "9999-12-31"]


def _error(resp, *statuses):
    assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:500])
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["status"] == resp.status_code
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("value", YEAR_ONE)
@pytest.mark.parametrize("key", ["from", "to"])
def test_sla_dashboard_api_refuses_out_of_range_dates(manager, api_as, key, value):
    err = _error(api_as(manager).get(f"sla/dashboard?{key}={quote(value)}"), 422)
    assert key in err["fields"]


@pytest.mark.parametrize("value", YEAR_ONE)
@pytest.mark.parametrize("key", ["from", "to"])
def test_complaint_list_api_refuses_out_of_range_dates(manager, api_as, key, value):
    err = _error(api_as(manager).get(f"complaints?{key}={quote(value)}"), 422)
    assert key in err["fields"]


@pytest.mark.parametrize("path", ["claims", "work-orders"])
def test_other_case_lists_refuse_out_of_range_dates(manager, api_as, path):
    _error(api_as(manager).get(f"{path}?from={quote(YEAR_ONE[0])}"), 422)


@pytest.mark.parametrize("value", YEAR_ONE)
def test_dashboard_page_says_which_filter_is_wrong(manager, login, client, value):
    login(manager)
    resp = client.get(f"/dashboard/?from={quote(value)}")
    assert resp.status_code in (200, 400, 422), resp.status_code
    assert "Internal error" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["month=0001-01", "month=9999-12", "period=year&year=1",
                                   "period=year&year=9999", "month=0000-01"])
def test_monthly_report_refuses_out_of_range_periods(manager, login, client, query):
    login(manager)
    resp = client.get(f"/dashboard/report?{query}")
    assert resp.status_code in (200, 400, 422), resp.status_code
    assert "Internal error" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("value", YEAR_ONE)
def test_complaint_list_page_with_out_of_range_dates(manager, login, client, value):
    login(manager)
    resp = client.get(f"/complaints/?from={quote(value)}&to={quote(value)}")
    assert resp.status_code in (200, 400, 422), resp.status_code
    assert "Internal error" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("value", YEAR_ONE)
def test_claim_accident_at_out_of_range_is_422(manager, api_as, store, value):
    customer = CustomerFactory(store=store)
    body = claim_fields(customer, VehicleFactory(customer=customer), InsurerFactory(), accident_at=value)
    err = _error(api_as(manager).post("claims", body), 422)
    assert "accident_at" in err["fields"]


def _raw_post(api, path, text):
    return api.client.post(f"/api/v1/{path}", data=text.encode("utf-8", "surrogatepass"),
                           headers={**api.headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_deeply_nested_json_is_400(manager, api_as, depth):
    text = "[" * depth + "]" * depth
    _error(_raw_post(api_as(manager), "customers", text), 400, 422)
    text = '{"name": ' + '{"a": ' * depth + "1" + "}" * depth + ', "phone": "13812345678"}'
    _error(_raw_post(api_as(manager), "customers", text), 400, 422)


@pytest.mark.parametrize("text", ['{"name": "\\ud800", "phone": "13812345678"}',
                                  '{"name": "ok\\udfff", "phone": "13812345678"}',
                                  '{"name": "\\ud800\\ud800", "phone": "13812345678"}'])
def test_lone_surrogate_in_json_is_refused(manager, api_as, text):
    """An escaped lone surrogate is valid JSON but no valid text; PostgreSQL cannot store it."""
    err = _error(_raw_post(api_as(manager), "customers", text), 400, 422)
    assert err["code"] in ("bad_request", "validation_error")


def test_lone_surrogate_in_a_query_filter(manager, api_as):
    resp = api_as(manager).get("customers?q=" + quote("\ud800", errors="surrogatepass"))
    assert resp.status_code in (200, 400, 422), resp.status_code


def test_raw_utf8_encoded_surrogate_bytes_are_400(manager, api_as):
    """The bytes ED A0 80 (a surrogate encoded as if it were a character) are not UTF-8."""
    api = api_as(manager)
    resp = api.client.post("/api/v1/customers", data=b'{"name": "\xed\xa0\x80", "phone": "13812345678"}',
                           headers={**api.headers, "Content-Type": "application/json"})
    _error(resp, 400, 422)


def _all_schema_classes():
    import importlib
    import pkgutil

    import claimdesk
    from marshmallow import Schema

    for mod in pkgutil.walk_packages(claimdesk.__path__, "claimdesk."):
        if mod.name.rsplit(".", 1)[-1] in ("schemas", "api"):
            importlib.import_module(mod.name)
    seen, todo = set(), [Schema]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return [c for c in seen if c.__module__.startswith("claimdesk.")]


def test_every_input_date_field_is_bounded(app):
    """Input schemas (anything not an output: *Out, *Brief, *Page) take dates only through the shared
    bounded fields of core/schemas.py, so a new date input cannot bring the year-1 500 back."""
    from marshmallow import fields

    from claimdesk.core.schemas import _InRange

    unbounded = []
    for cls in _all_schema_classes():
        if "Out" in cls.__name__ or cls.__name__.endswith(("Brief", "Page", "Row")):
            continue
        for name, field in cls._declared_fields.items():
            if field.dump_only or not isinstance(field, (fields.DateTime, fields.Date)):
                continue
            if not isinstance(field, _InRange):
                unbounded.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert not unbounded, unbounded
