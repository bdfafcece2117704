"""Issue 16 item 2: changing credentials ends access; sessions are server-side with idle and absolute
lifetimes; logout ends the session on the server (a saved cookie is worthless afterwards)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from claimdesk.core import clock
from claimdesk.extensions import db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def _logged_in(app, user, password="secret-pass-1"):
    c = app.test_client()
    resp = c.post("/login", data={"username": user.username, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return c


def _in(c) -> bool:
    resp = c.get("/customers/")
    assert resp.status_code in (200, 302)
    return resp.status_code == 200


def _token(c, user, password="secret-pass-1"):
    resp = c.post("/api/v1/auth/tokens", json={"username": user.username, "password": password})
    assert resp.status_code == 201
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_password_change_ends_other_sessions_and_every_token(app, advisor):
    here, elsewhere = _logged_in(app, advisor), _logged_in(app, advisor)
    headers = _token(here, advisor)
    assert _in(elsewhere) and here.get("/api/v1/me", headers=headers).status_code == 200
    resp = here.post("/admin/me", data={"current_password": "secret-pass-1", "new_password": "brand-new-secret-7"})
    assert resp.status_code == 302
    assert not _in(elsewhere)  # the other browser is logged out
    assert here.get("/api/v1/me", headers=headers).status_code == 401  # the old token is dead
    assert _in(here)  # the session that changed the password goes on


def test_logout_is_server_side(app, advisor):
    c = _logged_in(app, advisor)
    saved = c.get_cookie("session").value
    assert c.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert not _in(thief)


def test_log_out_everywhere(app, advisor):
    here, elsewhere = _logged_in(app, advisor), _logged_in(app, advisor)
    headers = _token(here, advisor)
    assert "Log out everywhere" in here.get("/admin/me").get_data(as_text=True)
    resp = here.post("/admin/me/sessions/end")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert not _in(here) and not _in(elsewhere)
    assert elsewhere.get("/api/v1/me", headers=headers).status_code == 401


def test_deactivation_ends_sessions_and_tokens(app, make_user, advisor):
    victim = _logged_in(app, advisor)
    headers = _token(victim, advisor)
    admin = _logged_in(app, make_user("admin", username="root"))
    assert admin.post(f"/admin/users/{advisor.id}/active").status_code == 302
    assert not _in(victim) and victim.get("/api/v1/me", headers=headers).status_code == 401
    admin.post(f"/admin/users/{advisor.id}/active")  # active again: the old session stays ended
    assert not _in(victim) and victim.get("/api/v1/me", headers=headers).status_code == 401


def test_password_reset_from_the_command_line_ends_access(app, advisor):
    c = _logged_in(app, advisor)
    headers = _token(c, advisor)
    result = CliRunner().invoke(app.cli, ["claimdesk", "set-password", "--username", "advisor",
                                          "--password", "brand-new-secret-7"], obj=None)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not _in(c) and c.get("/api/v1/me", headers=headers).status_code == 401
    _logged_in(app, advisor, "brand-new-secret-7")


def test_password_reset_by_an_admin_ends_access(app, make_user, advisor, other_store):
    victim = _logged_in(app, advisor)
    headers = _token(victim, advisor)
    admin = _logged_in(app, make_user("admin", username="root"))
    assert admin.post(f"/admin/users/{advisor.id}/password", data={"password": "12345678"}).status_code == 302
    assert _in(victim)  # a weak one is refused and changes nothing
    assert admin.post(f"/admin/users/{advisor.id}/password",
                      data={"password": "brand-new-secret-7"}).status_code == 302
    assert not _in(victim) and victim.get("/api/v1/me", headers=headers).status_code == 401
    _logged_in(app, advisor, "brand-new-secret-7")
    outsider = make_user("advisor", username="outsider", store=other_store)
    assert admin.post(f"/admin/users/{outsider.id}/password",
                      data={"password": "brand-new-secret-7"}).status_code == 404  # not the admin's store


@pytest.fixture
def lifetimes(app):
    old = app.config["SESSION_IDLE_SECONDS"], app.config["SESSION_MAX_SECONDS"]
    app.config["SESSION_IDLE_SECONDS"], app.config["SESSION_MAX_SECONDS"] = 3600, 4 * 3600
    yield
    app.config["SESSION_IDLE_SECONDS"], app.config["SESSION_MAX_SECONDS"] = old


def test_idle_lifetime(app, advisor, lifetimes):
    clock.set_now(T0)
    c = _logged_in(app, advisor)
    clock.set_now(T0 + timedelta(minutes=59))
    assert _in(c)  # used: the idle time starts again
    clock.set_now(T0 + timedelta(minutes=59 + 59))
    assert _in(c)
    clock.set_now(T0 + timedelta(minutes=59 + 59 + 61))
    assert not _in(c)


def test_absolute_lifetime(app, advisor, lifetimes):
    clock.set_now(T0)
    c = _logged_in(app, advisor)
    for minutes in range(30, 4 * 60, 30):  # busy all the time, never idle
        clock.set_now(T0 + timedelta(minutes=minutes))
        assert _in(c), minutes
    clock.set_now(T0 + timedelta(hours=4, minutes=1))
    assert not _in(c)
