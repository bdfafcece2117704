"""The no-configuration stack end to end: SQLite and the embedded queue (no Redis server), the same
code paths as production — a complaint's first-response clock breaches and escalates once."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.conftest import ROOT, AppClient


@pytest.fixture
def embedded_app(tmp_path):
    from flask_migrate import upgrade

    from claimdesk import jobs
    from claimdesk.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'embedded.sqlite3'}", "REDIS_URL": None,
                      "EMBEDDED_WORKER": "off", "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path),
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})
    app.test_client_class = AppClient
    saved = dict(jobs._connections), jobs._fake_server, jobs._app
    jobs.reset_connections()
    jobs.bind_app(app)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        from claimdesk.extensions import db

        db.engine.dispose()
    jobs.reset_connections()
    jobs._connections.update(saved[0])
    jobs._fake_server, jobs._app = saved[1], saved[2]


def test_complaint_breaches_and_escalates_on_the_embedded_queue(embedded_app):
    from claimdesk import jobs
    from claimdesk.auth import services as auth
    from claimdesk.core import clock, uow
    from claimdesk.extensions import db
    from claimdesk.jobs.worker import EmbeddedRunner

    app = embedded_app
    with app.app_context():
        assert jobs.is_embedded()
        store = auth.create_store("S01", "Tianhe")
        auth.create_user("clerk", "secret-pass-1", "customer_relations", store)
        auth.create_user("boss", "secret-pass-1", "manager", store)
        uow.commit()
    client = app.test_client()

    def token(username):
        return client.post("/api/v1/auth/tokens", json={"username": username, "password": "secret-pass-1"}).json["token"]

    clerk = {"Authorization": f"Bearer {token('clerk')}"}
    boss = {"Authorization": f"Bearer {token('boss')}"}
    resp = client.put("/api/v1/sla/policies/complaint.first_response", headers=boss,
                      json={"target_seconds": 4, "calendar": "24x7", "warn_ratio": 0.5,
                            "escalate_after_seconds": 60})
    assert resp.status_code == 200, resp.json
    customer = client.post("/api/v1/customers", headers=clerk, json={"name": "王伟", "phone": "13812345678"}).json
    complaint = client.post("/api/v1/complaints", headers=clerk, json={
        "customer_id": customer["id"], "channel": "phone", "category": "waiting_time", "severity": "medium",
        "description": "Waited three hours for an oil change"}).json
    assert complaint["state"] == "listen"
    timers = client.get("/api/v1/sla/timers", headers=clerk,
                        query_string={"case_type": "complaint", "case_id": complaint["id"]}).json["items"]
    first = next(t for t in timers if t["policy_key"] == "complaint.first_response")
    assert first["state"] == "running"

    runner = EmbeddedRunner(app)
    try:
        clock.set_now(clock.now() + timedelta(seconds=10))  # past due: the jobs see the clock breached
        for _ in range(3):  # repeated rounds must not escalate twice
            runner.run_once(now=time.time() + 10)
    finally:
        clock.set_now(None)
    timers = client.get("/api/v1/sla/timers", headers=clerk,
                        query_string={"case_type": "complaint", "case_id": complaint["id"]}).json["items"]
    first = next(t for t in timers if t["policy_key"] == "complaint.first_response")
    assert first["state"] == "breached"
    events = client.get(f"/api/v1/complaints/{complaint['id']}/events", headers=clerk).json["items"]
    breaches = [e for e in events if e["kind"] in ("sla", "escalation") and "breach" in e["action"]]
    assert len(breaches) == 1, [(e["kind"], e["action"]) for e in events]
    inbox = client.get("/api/v1/notifications", headers=boss).json
    assert inbox["total"] >= 1
    with app.app_context():
        db.session.remove()
