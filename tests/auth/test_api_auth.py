"""Tokens, 401/403/404 and the error body on the JSON API."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from claimdesk.auth.models import ApiToken
from claimdesk.core import clock
from claimdesk.customers.models import Customer
from claimdesk.extensions import db
from tests.factories import CustomerFactory


def _error(resp, status, code=None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_token_issue_use_and_revoke(client, advisor):
    resp = client.post("/api/v1/auth/tokens", json={"username": "advisor", "password": "secret-pass-1"})
    assert resp.status_code == 201
    token = resp.get_json()["token"]
    assert resp.get_json()["expires_at"].endswith("+00:00")
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only the hash is kept
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["username"] == "advisor"
    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    _error(client.get("/api/v1/me", headers=headers), 401, "unauthenticated")


def test_wrong_password_and_backoff(client, advisor):
    clock.set_now(clock.now())
    for _ in range(5):
        _error(client.post("/api/v1/auth/tokens", json={"username": "advisor", "password": "nope"}), 401)
    # this address waits now, even with the right password (tests/auth/test_login_throttle.py: for how long)
    _error(client.post("/api/v1/auth/tokens", json={"username": "advisor", "password": "secret-pass-1"}), 429,
           "too_many_requests")


def test_expired_token(client, advisor, api_as):
    api = api_as(advisor)
    clock.set_now(clock.now() + timedelta(days=2))
    _error(api.get("me"), 401)


def test_missing_or_garbage_auth(client):
    _error(client.get("/api/v1/customers"), 401, "unauthenticated")
    _error(client.get("/api/v1/customers", headers={"Authorization": "Bearer nope"}), 401)
    _error(client.get("/api/v1/customers", headers={"Authorization": "Basic abc"}), 401)


def test_openapi_is_public_and_generated(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/customers" in spec["paths"]
    assert "CustomerIn" in spec["components"]["schemas"]


def test_other_store_is_404_and_role_is_403(store, other_store, make_user, api_as):
    mine = CustomerFactory(store=store)
    theirs = CustomerFactory(store=other_store)
    api = api_as(make_user("advisor"))
    assert api.get(f"customers/{mine.id}").status_code == 200
    _error(api.get(f"customers/{theirs.id}"), 404, "not_found")
    _error(api.patch(f"customers/{theirs.id}", {"name": "x"}), 404)
    # workshop staff may read the archive but not write it
    tech = api_as(make_user("workshop"))
    _error(tech.post("customers", {"name": "A", "phone": "13812345678"}), 403, "forbidden")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 2


def test_group_manager_sees_every_store(store, other_store, make_user, api_as):
    theirs = CustomerFactory(store=other_store)
    boss = api_as(make_user("manager", is_group=True))
    assert boss.get(f"customers/{theirs.id}").status_code == 200
    assert boss.get("customers").get_json()["total"] == 1
    created = boss.post("customers", {"name": "B", "phone": "13900000000", "store_id": other_store.id})
    assert created.status_code == 201 and created.get_json()["store_id"] == other_store.id
    local = api_as(make_user("advisor"))
    _error(local.post("customers", {"name": "B", "phone": "13900000000", "store_id": other_store.id}), 403)


def test_malformed_json_is_400_and_wrong_media_type_415(advisor, api_as):
    api = api_as(advisor)
    _error(api.post("customers", data="{not json", headers={"Content-Type": "application/json"}), 400)
    _error(api.post("customers", data="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}),
           415, "unsupported_media_type")


def test_unknown_route_and_method(advisor, api_as):
    api = api_as(advisor)
    _error(api.get("nothing-here"), 404)
    _error(api.delete("customers"), 405)
