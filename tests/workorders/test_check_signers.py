"""The workshop roles and the information clerk: the QC inspector signs the final QC, technicians and
team leaders the first two; one person signs one of the three unless the store turns the rule off; the
information clerk reads dashboards and reports, runs callbacks and changes nothing else."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from claimdesk.auth.models import User
from claimdesk.core import uow
from claimdesk.core.errors import Forbidden, GateBlocked
from claimdesk.extensions import db
from claimdesk.workorders.workflow import WF

WO = "work-orders"


@pytest.fixture
def qc(make_user):
    return make_user("qc_inspector", username="qc")


def _perform(wo, user, action="pass_check", **data):
    try:
        WF.perform(wo, action, data, user)
        uow.commit()
    except Exception:
        uow.rollback()
        raise


def test_only_the_qc_inspector_signs_the_final_check(wo, mover, workshop, team_lead, qc):
    mover.to(wo, "quality_check")
    with pytest.raises(Forbidden):  # the QC inspector does not sign the technician's self-check
        _perform(wo, qc, stage="self")
    _perform(wo, workshop, stage="self")
    _perform(wo, team_lead, stage="team_lead")
    with pytest.raises(Forbidden):
        _perform(wo, workshop, stage="final")
    with pytest.raises(Forbidden):  # nor does a technician fail it
        _perform(wo, team_lead, "fail_check", stage="final", reason="noise")
    _perform(wo, qc, stage="final")
    assert wo.state == "ready"
    assert [(c.stage, c.actor_id) for c in wo.checks] == [("self", workshop.id), ("team_lead", team_lead.id),
                                                         ("final", qc.id)]


def test_one_person_signs_one_check_by_default(wo, mover, workshop, api_as):
    mover.to(wo, "quality_check")
    api = api_as(workshop)
    assert api.action(WO, wo.id, "pass_check", stage="self").status_code == 200
    r = api.action(WO, wo.id, "pass_check", stage="team_lead")
    assert r.status_code == 409 and r.json["error"]["gate"] == "separate_check_signers"
    assert len(wo.checks) == 1


def test_the_store_may_turn_the_rule_off(wo, mover, workshop, store):
    store.settings = {**(store.settings or {}), "separate_check_signers": False}
    uow.commit()
    mover.to(wo, "quality_check")
    _perform(wo, workshop, stage="self")
    _perform(wo, workshop, stage="team_lead")  # a small workshop: the same person may sign both
    assert [c.stage for c in wo.checks] == ["self", "team_lead"]


def test_a_new_round_after_a_failed_check_starts_the_count_again(wo, mover, workshop, team_lead, qc):
    mover.to(wo, "quality_check")
    _perform(wo, workshop, stage="self")
    _perform(wo, team_lead, "fail_check", stage="team_lead", reason="pads not bedded in")
    _perform(wo, workshop, "complete_repair")
    _perform(wo, workshop, stage="self")  # the same technician signs the new round's self-check
    with pytest.raises(GateBlocked) as err:
        _perform(wo, workshop, stage="team_lead")
    assert err.value.gate == "separate_check_signers"


def test_a_manager_may_sign_any_check(wo, mover, workshop, manager):
    mover.to(wo, "quality_check")
    _perform(wo, workshop, stage="self")
    _perform(wo, manager, stage="team_lead")
    with pytest.raises(GateBlocked):  # but not two of them
        _perform(wo, manager, stage="final")


def test_information_clerk_reads_reports_and_runs_callbacks_only(app, wo, mover, make_user, api_as, client, login):
    info = make_user("info_clerk", username="info")
    mover.to(wo, "delivered")
    api = api_as(info)
    assert api.get(f"{WO}/{wo.id}").status_code == 200
    assert api.post(WO, {"customer_id": wo.customer_id, "vehicle_id": wo.vehicle_id, "mileage_km": 30000,
                         "customer_description": "x"}).status_code == 403
    assert api.post("customers", {"name": "A", "phone": "13812345678"}).status_code == 403
    assert api.action(WO, wo.id, "note", text="x").status_code == 403
    r = api.action(WO, wo.id, "follow_up", satisfaction=5, note="fine")
    assert r.status_code == 200 and r.json["state"] == "closed"
    login(info)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/dashboard/export/all.xlsx").status_code == 200  # the reports, exported


def test_create_user_takes_the_new_roles(app, store):
    for role in ("qc_inspector", "info_clerk"):
        result = CliRunner().invoke(app.cli, ["claimdesk", "create-user", "--username", f"new_{role}",
                                              "--password", "a-long-secret-9", "--role", role,
                                              "--store", store.code])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        assert db.session.scalars(db.select(User).where(User.username == f"new_{role}")).one().role == role
