"""Administration pages: only admins manage users and stores; everyone edits their own settings."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk.auth.models import Store, User
from claimdesk.extensions import db


def test_admin_creates_user_and_store(client, login, make_user, store):
    login(make_user("admin", username="root", is_group=True))  # new stores are for a group-wide admin
    resp = client.post("/admin/stores", data={"code": "S09", "name": "Panyu 4S"})
    assert resp.status_code == 302
    s9 = db.session.scalar(sa.select(Store).where(Store.code == "S09"))
    resp = client.post("/admin/users", data={"username": "li.na", "password": "long-enough-1", "role": "advisor",
                                             "store_id": str(s9.id), "full_name": "Li Na"})
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "li.na"))
    assert user.store_id == s9.id and user.check_password("long-enough-1")
    assert "li.na" in client.get("/admin/users").get_data(as_text=True)


def test_admin_form_errors(client, login, make_user, store):
    login(make_user("admin", username="root"))
    resp = client.post("/admin/users", data={"username": "x y", "password": "short", "role": "boss",
                                             "store_id": str(store.id)})
    assert resp.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_non_admins_are_refused(client, login, manager):
    login(manager)
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/stores", data={"code": "S10", "name": "x"}).status_code == 403


def test_deactivated_user_cannot_log_in(client, login, make_user, advisor):
    login(make_user("admin", username="root"))
    client.post(f"/admin/users/{advisor.id}/active")
    client.post("/logout")
    resp = client.post("/login", data={"username": "advisor", "password": "secret-pass-1"})
    assert resp.status_code == 401


def test_own_settings(client, login, advisor):
    login(advisor)
    client.post("/admin/me", data={"locale": "zh", "current_password": "wrong", "new_password": "new-password-1"})
    db.session.refresh(advisor)
    assert advisor.check_password("secret-pass-1") and advisor.locale is None  # nothing changed
    client.post("/admin/me", data={"locale": "zh", "current_password": "secret-pass-1",
                                   "new_password": "new-password-1"})
    db.session.refresh(advisor)
    assert advisor.locale == "zh" and advisor.check_password("new-password-1")
    assert 'lang="zh-CN"' in client.get("/customers/").get_data(as_text=True)
