"""Issue 16 item 8: login answers never tell which usernames exist; failures (not successes) are throttled
per account and per address with a growing delay, which nobody else can turn into a lock on a real user;
the client address comes through the configured number of trusted proxies."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from claimdesk.core import clock
from claimdesk.extensions import limiter

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
ATTACKER, OFFICE = "203.0.113.9", "198.51.100.20"


def post(client, username, password, addr=ATTACKER, **kw):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": addr}, **kw)


def api(client, username, password, addr=ATTACKER):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def page_text(resp, name) -> str:
    """The page with the typed name and the CSRF tokens (signed with a timestamp) taken out."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", resp.get_data(as_text=True)).replace(name, "NAME")


def _same(a, b, a_name, b_name):
    assert a.status_code == b.status_code
    assert page_text(a, a_name) == page_text(b, b_name)


def test_unknown_wrong_inactive_and_throttled_answer_alike(client, advisor, make_user):
    clock.set_now(T0)
    make_user("advisor", username="gone", active=False)
    unknown, wrong, inactive = post(client, "ghost", "bad"), post(client, "advisor", "bad"), post(client, "gone",
                                                                                                    "secret-pass-1")
    assert unknown.status_code == 401
    _same(unknown, wrong, "ghost", "advisor")
    _same(unknown, inactive, "ghost", "gone")
    for name in ("advisor", "ghost"):
        for _ in range(10):
            post(client, name, "bad")
    _same(post(client, "ghost", "bad"), post(client, "advisor", "secret-pass-1"), "ghost", "advisor")
    a, b = api(client, "ghost", "bad"), api(client, "advisor", "secret-pass-1")
    assert a.status_code == b.status_code and a.get_json() == b.get_json()


def test_failures_back_off_and_never_lock_the_real_user_out(client, advisor, app):
    clock.set_now(T0)
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):
        assert post(client, "advisor", "bad").status_code == 401
    # the attacker's address now waits, even with the right password ...
    assert post(client, "advisor", "secret-pass-1").status_code == 429
    # ... the real user at the office is not affected
    assert post(app.test_client(), "advisor", "secret-pass-1", addr=OFFICE).status_code == 302
    delay = app.config["LOGIN_BACKOFF_SECONDS"]
    clock.set_now(T0 + timedelta(seconds=delay))
    assert post(client, "advisor", "bad").status_code == 401  # allowed again after the delay ...
    clock.set_now(T0 + timedelta(seconds=delay * 2))
    assert post(client, "advisor", "bad").status_code == 429  # ... and the next delay is twice as long
    clock.set_now(T0 + timedelta(seconds=delay * 3 + 1))
    assert post(client, "advisor", "secret-pass-1").status_code == 302


def test_one_address_spraying_many_accounts_is_slowed(client, advisor, app):
    clock.set_now(T0)
    for n in range(app.config["LOGIN_ADDRESS_FREE_FAILURES"]):
        assert post(client, f"user{n}", "bad").status_code == 401
    assert post(client, "advisor", "secret-pass-1").status_code == 429
    assert post(app.test_client(), "advisor", "secret-pass-1", addr=OFFICE).status_code == 302


@pytest.fixture
def tight_limit(app):
    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    limiter.reset()
    yield
    app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
    limiter.reset()


def test_successful_logins_are_not_counted(app, advisor, tight_limit):
    """A dealership behind one NAT address: 30 colleagues logging in within a minute all get in."""
    for _ in range(30):
        c = app.test_client()
        assert post(c, "advisor", "secret-pass-1", addr=OFFICE).status_code == 302
        assert api(c, "advisor", "secret-pass-1", addr=OFFICE).status_code == 201


def test_trusted_proxy_hops(app, advisor):
    from claimdesk.app import register_proxy_fix

    clock.set_now(T0)
    c = app.test_client()
    xff = {"X-Forwarded-For": "192.0.2.7"}
    original = app.wsgi_app
    try:
        # default: no trusted proxy, X-Forwarded-For is ignored (a client could forge it)
        for _ in range(app.config["LOGIN_FREE_FAILURES"]):
            post(c, "advisor", "bad", addr="10.0.0.2", headers=xff)
        assert post(c, "advisor", "secret-pass-1", addr="10.0.0.2",
                    headers={"X-Forwarded-For": "192.0.2.8"}).status_code == 429
        app.config["PROXY_FIX_X_FOR"] = 1
        register_proxy_fix(app)
        # behind one trusted proxy: each client is its own address
        assert post(c, "advisor", "secret-pass-1", addr="10.0.0.2",
                    headers={"X-Forwarded-For": "192.0.2.8"}).status_code == 302
    finally:
        app.wsgi_app = original
        app.config["PROXY_FIX_X_FOR"] = 0
