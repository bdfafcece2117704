"""The front-desk supervisor (前台主管): what an advisor may do, for every advisor of the store (reassigning
work orders between advisors, revising promises, the first free service), the front-desk reports; no user or
store administration, and not the overrides kept for managers (a shortfall written off to the dealer)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from claimdesk.auth.models import ROLES, User
from claimdesk.auth.permissions import PERMISSIONS, can
from claimdesk.core.clock import now
from claimdesk.extensions import db
from tests.workorders.conftest import mover, vehicle, wo  # noqa: F401  (fixtures)

WO = "work-orders"
SUP = "front_desk_supervisor"


@pytest.fixture
def supervisor(make_user):
    return make_user(SUP, username="frontdesk", full_name="郑红")


def test_the_role_is_listed_with_advisor_rights_and_reports(supervisor):
    assert SUP in ROLES
    for permission, roles in PERMISSIONS.items():
        if "advisor" in roles:
            assert can(supervisor, permission), permission
    assert can(supervisor, "dashboard.view")
    assert not can(supervisor, "users.manage") and not can(supervisor, "stores.manage")
    assert not can(supervisor, "stores.settings") and not can(supervisor, "sla.policies.write")


def test_reassigns_another_advisors_work_order_and_revises_the_promise(wo, mover, advisor, make_user, supervisor,
                                                                      api_as):
    other = make_user("advisor", username="advisor_b")
    mover.to(wo, "in_repair")
    api = api_as(supervisor)
    r = api.action(WO, wo.id, "assign", assignee_id=other.id)
    assert r.status_code == 200 and r.json["assignee_id"] == other.id
    r = api.action(WO, wo.id, "revise_promise", promised_at=(now() + timedelta(days=1)).isoformat(),
                   reason="Waiting for parts", agreed_by="Mr Wang", channel="phone")
    assert r.status_code == 200, r.json


def test_no_manager_overrides_and_no_administration(wo, mover, supervisor, api_as, login, client):
    mover.to(wo, "authorised")
    version = wo.version
    r = api_as(supervisor).action(WO, wo.id, "add_adjustment", kind="shortfall", amount="50.00", payer="dealer")
    assert r.status_code == 403
    db.session.expire_all()
    assert wo.version == version and not wo.adjustments
    login(supervisor)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/dashboard/").status_code == 200
    html = client.get("/").get_data(as_text=True)
    assert "Front desk: open work orders" in html and wo.number in html


def test_workshop_actions_stay_the_workshops(wo, mover, supervisor, api_as):
    mover.to(wo, "authorised")
    assert api_as(supervisor).action(WO, wo.id, "dispatch", team="Team A").status_code == 403


def test_create_user_command_and_admin_page_offer_the_role(app, store, make_user, login, client):
    result = app.test_cli_runner().invoke(args=["claimdesk", "create-user", "--username", "fd_cli", "--password",
                                                "Horse-battery-77-staple", "--role", SUP, "--store", store.code])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.query(User).filter_by(username="fd_cli").one().role == SUP
    login(make_user("admin", username="admin_fd"))
    assert f'<option value="{SUP}"' in client.get("/admin/users").get_data(as_text=True)
