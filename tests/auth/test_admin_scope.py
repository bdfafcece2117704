"""Issue 16 item 5: a store admin manages their own store only; group-wide accounts (and other stores)
are for a group admin."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk.auth.models import User
from claimdesk.extensions import db


def _user(name):
    return db.session.scalar(sa.select(User).where(User.username == name))


def _new(client, store, **extra):
    return client.post("/admin/users", data={"username": "newbie", "password": "brand-new-secret-7",
                                             "role": "manager", "store_id": str(store.id), **extra})


def test_store_admin_cannot_create_in_another_store_or_group_wide(client, login, make_user, store, other_store):
    login(make_user("admin", username="root"))
    assert _new(client, other_store).status_code == 403 and _user("newbie") is None
    assert _new(client, store, is_group="on").status_code == 403 and _user("newbie") is None
    assert _new(client, store).status_code == 302 and _user("newbie").store_id == store.id


def test_store_admin_cannot_deactivate_other_stores_or_group_users(client, login, make_user, store, other_store):
    login(make_user("admin", username="root"))
    outsider = make_user("advisor", username="outsider", store=other_store)
    group = make_user("manager", username="groupmgr", is_group=True)
    assert client.post(f"/admin/users/{outsider.id}/active").status_code == 404
    assert client.post(f"/admin/users/{group.id}/active").status_code == 403
    db.session.refresh(outsider), db.session.refresh(group)
    assert outsider.active and group.active
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "outsider" not in listing  # other stores' staff are not listed either


def test_store_admin_cannot_create_stores(client, login, make_user):
    login(make_user("admin", username="root"))
    assert client.post("/admin/stores", data={"code": "S77", "name": "x"}).status_code == 403


def test_group_admin_manages_every_store(client, login, make_user, store, other_store):
    login(make_user("admin", username="root", is_group=True))
    assert _new(client, other_store, is_group="on").status_code == 302
    assert _user("newbie").is_group and _user("newbie").store_id == other_store.id
    outsider = make_user("advisor", username="outsider", store=other_store)
    assert client.post(f"/admin/users/{outsider.id}/active").status_code == 302
    db.session.refresh(outsider)
    assert not outsider.active
    assert client.post("/admin/stores", data={"code": "S77", "name": "x"}).status_code == 302
