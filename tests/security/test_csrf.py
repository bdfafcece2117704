"""CSRF: every HTML route that takes a POST (walked from app.url_map, so new forms are covered) refuses a
POST without the token with 400 and changes nothing; every POST form in the templates carries the token.
The API (/api/v1) takes bearer tokens only and needs no CSRF token."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.security.test_permission_matrix import MATRIX, fill, url_rules

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def html_post_routes(app) -> list[str]:
    keys = [k for k in MATRIX if k.startswith("POST ") and not k.split(" ", 1)[1].startswith("/api/")]
    assert {k.split("#")[0] for k in keys} == {k for k in url_rules(app)
                                                if k.startswith("POST ") and "/api/" not in k}
    return sorted(keys)


def snapshot() -> dict:
    """Row counts and the latest change of every table: a refused request must leave all of them alone."""
    from claimdesk.extensions import db

    out = {}
    for table in db.metadata.sorted_tables:
        if table.name.startswith("test_"):
            continue
        cols = [sa.func.count()]
        if "updated_at" in table.c:
            cols.append(sa.func.max(table.c.updated_at))
        if "version" in table.c:
            cols.append(sa.func.sum(table.c.version))
        out[table.name] = tuple(db.session.execute(sa.select(*cols).select_from(table)).one())
    return out


#: a form a real page could send (plus the fields of most forms), so that only the token is missing
FORM = {"text": "from another site", "visibility": "internal", "name": "Evil", "phone": "13812345678",
        "username": "evil", "password": "evil-pass-1", "new_password": "evil-pass-2", "code": "EV1",
        "role": "admin", "locale": "zh", "kind": "holiday", "day": "2031-02-01", "account": "x"}


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.fixture(scope="module")
def world(app):
    from tests.conftest import truncate_all
    from tests.security.test_permission_matrix import build_world

    try:
        yield build_world(app)
    finally:
        truncate_all(app)


def _client_for(app, world, key):
    """Logged in (before CSRF is switched on) as a role that may use the route."""
    entry = MATRIX[key]
    role = "admin" if "admin" in entry.who and "manager" not in entry.who else "manager"
    c = app.test_client()
    resp = c.post("/login", data={"username": world["users"][role].username, "password": "secret-pass-1"})
    assert resp.status_code == 302
    return c, role


def test_html_post_routes_are_walked(app):
    assert len(html_post_routes(app)) > 40


@pytest.mark.parametrize("key", [k for k in sorted(MATRIX) if k.startswith("POST ") and "/api/" not in k])
def test_post_without_token_is_refused_and_changes_nothing(app, world, monkeypatch, key):
    from claimdesk.extensions import db

    client, role = _client_for(app, world, key)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    rule = url_rules(app)[key.split("#")[0]]
    url = fill(key, rule, world, role, "own")
    db.session.expire_all()
    before = snapshot()
    with client.session_transaction() as sess:
        user_before = sess.get("_user_id")
        lang_before = sess.get("lang")
    resp = client.post(url, data=FORM)
    assert resp.status_code == 400, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    html = resp.get_data(as_text=True)
    assert "<html" in html and "Traceback" not in html
    assert "CSRF" in html or "csrf" in html.lower()
    db.session.expire_all()
    assert snapshot() == before, url
    with client.session_transaction() as sess:  # not logged out, language not switched
        assert sess.get("_user_id") == user_before and sess.get("lang") == lang_before


def test_with_the_token_the_same_form_goes_through(app, world, monkeypatch):
    """The refusal above is about the token, not the form: the page's own token makes it work."""
    from tests.security.test_permission_matrix import MGR

    c = app.test_client()
    c.post("/login", data={"username": world["users"][MGR].username, "password": "secret-pass-1"})
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = c.get(f"/complaints/{world['own'].complaint.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = c.post(f"/complaints/{world['own'].complaint.id}/actions/note",
                  data={"csrf_token": token, "text": "called the customer", "visibility": "internal"})
    assert resp.status_code == 302
    with c.session_transaction() as sess:
        assert any("Done" in m for _c, m in sess.get("_flashes", []))


def test_login_form_needs_the_token(app, world, monkeypatch):
    from tests.security.test_permission_matrix import ADV

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    c = app.test_client()
    resp = c.post("/login", data={"username": world["users"][ADV].username, "password": "secret-pass-1"})
    assert resp.status_code == 400
    assert c.get("/").status_code == 302  # still not logged in


def test_api_needs_no_csrf_token(app, world, monkeypatch):
    from tests.security.test_permission_matrix import ADV

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    c = app.test_client()
    resp = c.post("/api/v1/auth/tokens", json={"username": world["users"][ADV].username,
                                               "password": "secret-pass-1"})
    assert resp.status_code == 201


def test_a_session_cookie_does_not_authenticate_the_api(app, world, monkeypatch):
    """No cookie auth on /api/v1, so a cross-site request riding the session gets nowhere."""
    from tests.security.test_permission_matrix import MGR

    c = app.test_client()
    c.post("/login", data={"username": world["users"][MGR].username, "password": "secret-pass-1"})
    assert c.get("/").status_code == 200
    resp = c.post("/api/v1/customers", json={"name": "Evil", "phone": "13812345678"})
    assert resp.status_code == 401


FORM_RE = re.compile(r"<form\b[^>]*>.*?</form>", re.DOTALL | re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_every_post_form_in_the_templates_carries_the_token(template):
    text = (TEMPLATES / template).read_text()
    for form in FORM_RE.findall(text):
        opening = form[:form.index(">") + 1]
        if not re.search(r'method\s*=\s*"?post', opening, re.IGNORECASE):
            continue
        assert "csrf" in form or "hidden_tag()" in form, f"{template}: a POST form without the CSRF token: {opening}"
