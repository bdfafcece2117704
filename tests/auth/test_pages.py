"""Login pages, CSRF on forms, language switching, probes."""
from __future__ import annotations

import re

import pytest


def test_pages_need_login(client):
    resp = client.get("/customers/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_logout_flow(client, advisor):
    resp = client.post("/login?next=/customers/", data={"username": "advisor", "password": "secret-pass-1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/customers/")
    page = client.get("/customers/")
    assert page.status_code == 200 and "Advisor" in page.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/customers/").status_code == 302


def test_wrong_password_says_so(client, advisor):
    resp = client.post("/login", data={"username": "advisor", "password": "bad"})
    assert resp.status_code == 401 and "Wrong username or password" in resp.get_data(as_text=True)


def test_open_redirect_is_refused(client, advisor):
    resp = client.post("/login?next=//evil.example/", data={"username": "advisor", "password": "secret-pass-1"})
    assert resp.headers["Location"] == "/"


def test_backoff_message(client, advisor):
    from claimdesk.core import clock

    clock.set_now(clock.now())
    for _ in range(5):
        client.post("/login", data={"username": "advisor", "password": "bad"})
    resp = client.post("/login", data={"username": "advisor", "password": "secret-pass-1"})
    assert resp.status_code == 429 and "wait 2 seconds" in resp.get_data(as_text=True)


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_csrf_enforced_on_forms(client, advisor, csrf_on):
    resp = client.post("/login", data={"username": "advisor", "password": "secret-pass-1"})
    assert resp.status_code == 400  # no token
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": "advisor", "password": "secret-pass-1", "csrf_token": token})
    assert resp.status_code == 302
    # a logged-in form without the token is refused and changes nothing
    resp = client.post("/customers/new", data={"name": "X", "phone": "13812345678"})
    assert resp.status_code == 400


def test_chinese_ui(client, login, advisor):
    login(advisor)
    client.post("/lang/zh", data={"next": "/customers/"})
    html = client.get("/customers/").get_data(as_text=True)
    assert "客户" in html and 'lang="zh-CN"' in html
    html = client.get("/customers/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "客户" in html  # the explicit choice wins over the browser


def test_browser_language_picks_chinese(client, login, advisor):
    login(advisor)
    html = client.get("/customers/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in html


def test_security_headers(client):
    resp = client.get("/login")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.get_data(as_text=True)  # no inline script anywhere


def test_probes(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    body = client.get("/readyz").get_json()
    assert body["checks"]["database"] == "ok" and body["status"] == "ok"


def test_login_rate_limit_per_address(app, client, advisor):
    from claimdesk.extensions import limiter

    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    limiter.reset()
    try:
        # failures only (other names each time: the per-account backoff is tested in test_login_throttle.py)
        codes = [client.post("/login", data={"username": f"nobody{n}", "password": "x"}).status_code
                 for n in range(11)]
        assert codes[:10] == [401] * 10 and codes[10] == 429
        assert "Too many attempts" in client.post("/login", data={"username": "a", "password": "b"}).get_data(as_text=True)
        api = [client.post("/api/v1/auth/tokens", json={"username": f"nobody{n}", "password": "x"}).status_code
               for n in range(11)]
        assert api[-1] == 429
        assert client.get("/login").status_code == 200  # reading the page is not limited
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
