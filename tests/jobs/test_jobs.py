"""Jobs plumbing: enqueue after commit only, deterministic ids, app context in a real worker."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from claimdesk import jobs
from claimdesk.core import uow
from claimdesk.extensions import db
from tests.conftest import ROOT


def record_store_count(tag: str) -> int:
    """A job: reads the database (needs app context) and writes a Redis key."""
    from claimdesk.auth.models import Store

    n = db.session.scalar(sa.select(sa.func.count()).select_from(Store))
    jobs.connection().set(f"test:job:{tag}", n)
    return n


def _queued_ids():
    return jobs.get_queue("default").get_job_ids()


def test_enqueue_waits_for_commit(app):
    jobs.enqueue(record_store_count, "a", job_id="job-a")
    assert _queued_ids() == []  # not before commit
    uow.commit()
    assert _queued_ids() == ["job-a"]


def test_rollback_enqueues_nothing(app):
    jobs.enqueue(record_store_count, "b", job_id="job-b")
    uow.rollback()
    uow.commit()
    assert _queued_ids() == []


def test_same_job_id_is_not_queued_twice(app):
    jobs.enqueue_now(record_store_count, "c", job_id="job-c")
    jobs.enqueue_now(record_store_count, "c", job_id="job-c")
    assert _queued_ids() == ["job-c"]


def test_enqueue_failure_does_not_lose_the_commit(app, monkeypatch, store, caplog):
    from claimdesk.customers.models import Customer

    def broken(*a, **k):
        raise ConnectionError("redis down")

    monkeypatch.setattr(jobs, "enqueue_now", broken)
    customer = Customer(store_id=store.id, name="Committed despite Redis", phone="13800000000")
    db.session.add(customer)
    jobs.enqueue(record_store_count, "d", job_id="job-d")
    uow.commit()  # no exception: the data is safe, the sweep catches up
    uow.rollback()  # would undo anything the commit had not made durable
    assert db.session.scalar(sa.select(Customer.id).where(Customer.name == "Committed despite Redis")) == customer.id
    assert _queued_ids() == []
    assert "the sweep will pick it up" in caplog.text


def test_embedded_app_runs_scheduled_job(tmp_path):
    """No Redis configured: fakeredis queue, scheduled job moved and run by the embedded runner."""
    from datetime import timedelta

    from flask_migrate import upgrade

    from claimdesk.app import create_app
    from claimdesk.core import clock
    from claimdesk.jobs.worker import EmbeddedRunner

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite3'}", "REDIS_URL": None,
                      "EMBEDDED_WORKER": "off", "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path)})
    saved = dict(jobs._connections), jobs._fake_server, jobs._app
    jobs.reset_connections()
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            assert jobs.is_embedded()
            jobs.enqueue_now(record_store_count, "f", job_id="job-f", at=clock.now() + timedelta(seconds=5))
            runner = EmbeddedRunner(app)
            runner.run_once(now=time.time())
            assert jobs.connection().get("test:job:f") is None  # not due yet
            runner.run_once(now=time.time() + 10)
            assert int(jobs.connection().get("test:job:f")) == 0
    finally:
        jobs.reset_connections()
        jobs._connections.update(saved[0])
        jobs._fake_server, jobs._app = saved[1], saved[2]


@pytest.mark.redis
@pytest.mark.slow
def test_real_rq_worker_runs_job_in_app_context(app, committed_db, redis_url, database_url, store):
    uow.commit()
    jobs.enqueue_now("tests.jobs.test_jobs.record_store_count", "w", job_id="job-w")
    env = {**os.environ, "CLAIMDESK_DATABASE_URL": database_url, "CLAIMDESK_REDIS_URL": redis_url,
           "CLAIMDESK_SECRET_KEY": "x", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "claimdesk", "worker", "--burst"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(jobs.connection().get("test:job:w")) == 1
