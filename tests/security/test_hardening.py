"""Session cookies, security headers and a CSP the pages satisfy, uploads never shown as HTML, no secrets
in the logs, login throttling on Redis with its lockout messages."""
from __future__ import annotations

import io
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.security.test_permission_matrix import ADV, MGR, build_world

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PASSWORD = "secret-pass-1"


@pytest.fixture(scope="module")
def world(app):
    from tests.conftest import truncate_all

    try:
        yield build_world(app)
    finally:
        truncate_all(app)


def _login(app, world, role=MGR):
    c = app.test_client()
    resp = c.post("/login", data={"username": world["users"][role].username, "password": PASSWORD})
    assert resp.status_code == 302
    return c, resp


# --- session cookie ---------------------------------------------------------------------------------
def test_session_cookie_is_httponly_and_samesite(app, world):
    _c, resp = _login(app, world)
    cookie = next(v for v in resp.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development/test over plain http


def test_production_config_makes_cookies_secure(monkeypatch, tmp_path):
    from claimdesk import config

    monkeypatch.setenv("CLAIMDESK_ENV", "production")
    monkeypatch.setenv("CLAIMDESK_SECRET_KEY", "x" * 64)
    monkeypatch.delenv("CLAIMDESK_SECURE_COOKIES", raising=False)
    cfg = config.load(str(tmp_path))
    assert cfg["SESSION_COOKIE_SECURE"] is True and cfg["REMEMBER_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["REMEMBER_COOKIE_HTTPONLY"] is True and cfg["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.delenv("CLAIMDESK_SECRET_KEY")
    with pytest.raises(RuntimeError):  # no made-up secret in production
        config.load(str(tmp_path))


def test_production_app_sends_secure_cookie_and_hsts(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    c = app.test_client()
    resp = c.post("/login", data={"username": world["users"][MGR].username, "password": PASSWORD},
                  base_url="https://localhost")
    cookie = next(v for v in resp.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_over_plain_http_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


# --- headers and the content security policy -------------------------------------------------------
class _Inline(HTMLParser):
    """Everything a `script-src 'self'; style-src 'self'` policy would block."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            # a JSON data block (type="application/json") is never executed, so the CSP does not apply
            data_block = (attrs.get("type") or "").lower() == "application/json"
            if not attrs.get("src") and not data_block:
                self.problems.append("inline <script>")
            self._in_script = not data_block
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs.items():
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")
            if name in ("src", "href") and tag in ("script", "link", "img") and (value or "").startswith(
                    ("http://", "https://", "//")):
                self.problems.append(f"off-site {tag} {value}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("script body")


TEMPLATE_PATTERNS = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
                                  re.IGNORECASE),
    "style= attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "on*= handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_templates_have_nothing_inline(template):
    text = (TEMPLATES / template).read_text()
    found = [name for name, pattern in TEMPLATE_PATTERNS.items() if pattern.search(text)]
    assert not found, f"{template}: {found} (the CSP forbids them; use static/js and static/css)"


def _pages(world):
    own = world["own"]
    return ["/", "/search?q=138", "/customers/", f"/customers/{own.customer.id}",
            f"/customers/vehicles/{own.vehicle.id}", f"/customers/{own.customer.id}/edit", "/work-orders/",
            "/work-orders/board", "/work-orders/new", f"/work-orders/{own.work_order.id}",
            f"/work-orders/{own.work_order.id}/print", "/work-orders/parts", "/complaints/", "/complaints/new",
            f"/complaints/{own.complaint.id}", f"/complaints/{own.complaint.id}/report", "/claims/",
            "/claims/list", "/claims/new", f"/claims/{own.claim.id}", f"/claims/{own.claim.id}/documents/print",
            "/claims/insurers", "/claims/receivables", "/sla/timers", "/sla/policies", "/sla/calendar",
            "/notifications/", "/admin/me", "/customers/999999"]


def test_rendered_pages_satisfy_the_csp(app, world):
    c, _resp = _login(app, world)
    problems = {}
    for url in _pages(world):
        resp = c.get(url)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        parser = _Inline()
        parser.feed(resp.get_data(as_text=True))
        if parser.problems:
            problems[url] = sorted(set(parser.problems))
    anon = app.test_client().get("/login")
    parser = _Inline()
    parser.feed(anon.get_data(as_text=True))
    if parser.problems:
        problems["/login"] = parser.problems
    assert not problems, problems


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/api/v1/me", "/healthz", "/nope",
                                  "/static/css/app.css"])
def test_security_headers_everywhere(client, path):
    resp = client.get(path)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


# --- uploads -----------------------------------------------------------------------------------------
def _upload(api, claim_id, data, name):
    return api.post(f"/api/v1/claims/{claim_id}/documents", data={"kind": "policy", "file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


@pytest.mark.parametrize("data,name", [
    (b"<html><script>alert(document.cookie)</script></html>", "policy.pdf"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "scan.png"),
    (b"GIF89a<script>alert(1)</script>", "x.gif"),
])
def test_html_svg_and_polyglots_are_not_accepted(app, world, data, name):
    from tests.conftest import ApiClient

    c = app.test_client()
    token = c.post("/api/v1/auth/tokens", json={"username": world["users"][ADV].username,
                                                "password": PASSWORD}).get_json()["token"]
    resp = _upload(ApiClient(c, token), world["own"].claim.id, data, name)
    assert resp.status_code == 415, resp.get_json()


def test_a_pdf_polyglot_is_served_as_pdf_not_html(app, world):
    """Bytes that start like a PDF are a PDF to us, whatever follows: the browser gets application/pdf
    with nosniff, so it never parses them as a page."""
    from tests.conftest import ApiClient

    c = app.test_client()
    token = c.post("/api/v1/auth/tokens", json={"username": world["users"][ADV].username,
                                                "password": PASSWORD}).get_json()["token"]
    api = ApiClient(c, token)
    resp = _upload(api, world["own"].claim.id, b"%PDF-1.4 <html><body onload=alert(1)>", "x.html")
    assert resp.status_code == 201
    doc = resp.get_json()["document"]
    got = api.get(f"/api/v1/documents/{doc['id']}/content")
    assert got.mimetype == "application/pdf" and got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"] == 'inline; filename=x.html.pdf'  # saved, it stays a PDF


def test_downloads_are_typed_nosniff_and_never_html(app, world):
    """The stored type comes from the bytes; inline only for PDF and images, with nosniff and no caching."""
    from claimdesk.documents.models import Document
    from claimdesk.extensions import db

    c, _resp = _login(app, world)
    doc_id = world["own"].document.id
    for url in (f"/documents/{doc_id}/content", f"/api/v1/documents/{doc_id}/content"):
        headers = {}
        if url.startswith("/api/"):
            token = c.post("/api/v1/auth/tokens", json={"username": world["users"][MGR].username,
                                                        "password": PASSWORD}).get_json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
        resp = c.get(url, headers=headers)
        assert resp.status_code == 200
        assert resp.mimetype == "image/png" and resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Disposition"].startswith("inline")
        assert "no-store" in resp.headers["Cache-Control"]
    # a row whose type is not one we serve inline (say someone edited it to text/html) is an attachment
    doc = db.session.get(Document, doc_id)
    doc.content_type = "text/html"
    db.session.flush()
    resp = c.get(f"/documents/{doc_id}/content")
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


# --- secrets stay out of the logs --------------------------------------------------------------------
def test_passwords_and_tokens_are_never_logged(app, world, caplog):
    from claimdesk.extensions import db

    caplog.set_level(logging.DEBUG)
    username = world["users"][ADV].username
    c = app.test_client()
    wrong = "Wrong-Secret-Pa55"
    c.post("/login", data={"username": username, "password": wrong})
    c.post("/login", data={"username": username, "password": PASSWORD})
    c.get("/")
    api = app.test_client()
    api.post("/api/v1/auth/tokens", json={"username": username, "password": wrong})
    token = api.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD}).get_json()["token"]
    api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"})
    api.post("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}, data="{broken",
             content_type="application/json")
    api.delete("/api/v1/auth/tokens/current", headers={"Authorization": f"Bearer {token}"})
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for secret in (PASSWORD, wrong, token):
        assert secret not in text
    # and the database keeps neither: a password hash and the token's SHA-256 only
    import sqlalchemy as sa

    from claimdesk.auth.models import ApiToken, User

    user = db.session.scalar(sa.select(User).where(User.username == username))
    assert PASSWORD not in user.password_hash
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.token_hash == token))


def test_a_crash_log_does_not_carry_the_authorization_header(app, world, caplog, monkeypatch):
    """The unhandled-error log names method and path only — never headers or the body."""
    from claimdesk.auth import api as auth_api

    caplog.set_level(logging.DEBUG)
    c = app.test_client()
    token = c.post("/api/v1/auth/tokens", json={"username": world["users"][ADV].username,
                                                "password": PASSWORD}).get_json()["token"]

    def boom():
        raise RuntimeError("boom")

    monkeypatch.setattr(auth_api, "actor", boom)
    resp = c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 500 and resp.get_json()["error"]["code"] == "internal_error"
    assert "boom" not in resp.get_data(as_text=True)  # no stack trace for the client
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "boom" in text and token not in text


# --- login throttling ----------------------------------------------------------------------------------
@pytest.fixture
def limiter_of(app):
    """The Limiter is one object per process, bound by the last create_app (tests/jobs builds a second,
    Redis-less app); put it back on this app's storage for the test, and restore it afterwards."""
    from limits.storage import storage_from_string

    from claimdesk.extensions import limiter

    saved = (limiter._storage, limiter._limiter)
    limiter._storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    limiter._limiter = type(saved[1])(limiter._storage)
    yield limiter
    limiter._storage, limiter._limiter = saved


@pytest.mark.redis
def test_login_limiter_is_redis_backed_when_redis_is_configured(app, client, limiter_of):
    import redis
    from limits.storage import RedisStorage

    limiter = limiter_of
    # register_extensions points the limiter at CLAIMDESK_REDIS_URL when it is set
    assert app.config["REDIS_URL"] and app.config["RATELIMIT_STORAGE_URI"] == app.config["REDIS_URL"]
    assert isinstance(limiter._storage, RedisStorage)
    conn = redis.Redis.from_url(app.config["REDIS_URL"])
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        codes = [client.post("/login", data={"username": "nobody", "password": "x"}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        keys = [k.decode() for k in conn.scan_iter("LIMITS*")]
        assert any("auth.login" in k or "login" in k for k in keys), keys
        page = client.post("/login", data={"username": "nobody", "password": "x"})
        assert page.status_code == 429 and "Too many attempts from your address" in page.get_data(as_text=True)
        api = [client.post("/api/v1/auth/tokens", json={"username": "nobody", "password": "x"})
               for _ in range(4)]
        assert api[-1].status_code == 429
        err = api[-1].get_json()["error"]
        assert err["code"] == "too_many_requests" and "wait" in err["message"]
        assert api[-1].headers.get("Retry-After")
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()


def test_limiter_storage_follows_the_redis_setting(tmp_path, monkeypatch):
    from claimdesk import config

    monkeypatch.delenv("CLAIMDESK_REDIS_URL", raising=False)
    assert config.load(str(tmp_path), {"SECRET_KEY": "x"})["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("CLAIMDESK_REDIS_URL", "redis://10.0.0.5:6379/2")
    cfg = config.load(str(tmp_path), {"SECRET_KEY": "x"})
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://10.0.0.5:6379/2"
    assert cfg["RATELIMIT_SWALLOW_ERRORS"] is True and cfg["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True


def test_login_backoff_messages(app, world):
    """Five wrong passwords from one address make that address wait before it tries the account again
    (issue 16 item 8: a backoff, not a lock others can trigger): the page says so in both languages; the API
    answers 429; a name that does not exist answers exactly the same."""
    from claimdesk.core import clock

    clock.set_now(clock.now())
    username = world["users"][ADV].username
    c = app.test_client()
    for name in (username, "no-such-user"):
        for _ in range(5):
            assert c.post("/login", data={"username": name, "password": "wrong-one"}).status_code == 401
    resp = c.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 429
    assert "Too many failed attempts: wait 2 seconds" in resp.get_data(as_text=True)
    ghost = c.post("/login", data={"username": "no-such-user", "password": PASSWORD})
    from tests.auth.test_login_throttle import page_text

    assert page_text(ghost, "no-such-user") == page_text(resp, username)
    zh = c.post("/login", data={"username": username, "password": PASSWORD}, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 429 and "失败次数过多" in zh.get_data(as_text=True)
    api = c.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "too_many_requests"
    assert c.post("/api/v1/auth/tokens", json={"username": "no-such-user", "password": PASSWORD}).get_json() \
        == api.get_json()
