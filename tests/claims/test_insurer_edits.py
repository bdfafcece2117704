"""Issue 16 item 1: insurers are shared by every store of the group. Any store may add one; changing an
existing insurer is for group-wide managers and admins; every creation and change is on its history."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk.claims.models import InsurerChange
from claimdesk.extensions import db
from tests.claims.factories import InsurerFactory


def _history(insurer_id):
    return db.session.scalars(sa.select(InsurerChange).where(InsurerChange.insurer_id == insurer_id)
                              .order_by(InsurerChange.id)).all()


def test_store_staff_cannot_change_a_shared_insurer(advisor, manager, make_user, api_as):
    insurer = InsurerFactory(name="Ping An")
    for user in (advisor, manager, make_user("admin", username="storeadmin")):
        resp = api_as(user).patch(f"insurers/{insurer.id}", {"name": '=HYPERLINK("http://evil","x")'})
        assert resp.status_code == 403, (user.role, resp.json)
    db.session.refresh(insurer)
    assert insurer.name == "Ping An" and _history(insurer.id) == []


def test_group_manager_changes_it_and_the_history_says_who_and_what(make_user, api_as, client, login):
    boss = make_user("manager", username="groupmgr", is_group=True)
    insurer = InsurerFactory(name="Ping An", hotline="95511")
    resp = api_as(boss).patch(f"insurers/{insurer.id}", {"name": "Ping An 平安", "hotline": "95512"})
    assert resp.status_code == 200, resp.json
    (change,) = _history(insurer.id)
    assert change.actor_id == boss.id and change.action == "updated"
    assert change.changes == {"name": ["Ping An", "Ping An 平安"], "hotline": ["95511", "95512"]}
    login(boss)
    html = client.get(f"/claims/insurers/{insurer.id}/edit").get_data(as_text=True)
    assert "History" in html and "groupmgr" in html.lower() and "95511" in html


def test_creation_is_recorded_with_its_author(advisor, api_as):
    resp = api_as(advisor).post("insurers", {"name": "CPIC"})
    assert resp.status_code == 201
    (change,) = _history(resp.json["id"])
    assert change.actor_id == advisor.id and change.action == "created" and change.changes["name"] == [None, "CPIC"]
