"""Against real PostgreSQL and Redis with real `flask claimdesk worker` processes (RQ worker with its
scheduler): a 2-second policy breaches and escalates exactly once; duplicate and stale jobs do
nothing; Redis down when the case is created loses nothing (the sweep); a worker killed mid-job ends
in exactly one escalation after RQ's retry. Also the embedded runner (no Redis) end to end."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from claimdesk import jobs
from claimdesk.core import clock as core_clock
from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.notifications.models import Notification
from claimdesk.sla.models import SlaClock, SlaEscalation
from tests.factories import CustomerFactory
from tests.sla.casetype import create_table, drop_table, open_gadget
from tests.sla.factories import make_policy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def wait_for(predicate, timeout=40.0, every=0.1, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class WorkerProcess:
    def __init__(self, app, log_path):
        self.app = app
        self.log_path = log_path
        self.proc = None

    def start(self):
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "CLAIMDESK_DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
               "CLAIMDESK_REDIS_URL": self.app.config["REDIS_URL"], "CLAIMDESK_SECRET_KEY": "test-secret",
               "CLAIMDESK_QUEUE_PREFIX": self.app.config["QUEUE_PREFIX"]}
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "tests.sla.worker_app", "claimdesk",
                                      "worker"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_for(lambda: self._registered(), what="worker registration")
        return self

    def _registered(self):
        from rq import Worker

        if self.proc.poll() is not None:
            raise AssertionError(f"worker exited: {Path(self.log_path).read_text()[-3000:]}")
        return any(w.pid == self.proc.pid for w in Worker.all(connection=jobs.connection()))

    def kill(self):
        """SIGKILL to the whole process group: worker, work horse and scheduler die at once."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def world(app, committed_db, store, make_user):
    create_table(db.engine)
    people = {"assignee": make_user("advisor", username="assignee"), "manager": make_user("manager", username="asm"),
              "store_manager": make_user("manager", username="boss", is_store_manager=True)}
    make_policy("gadget.reply", 2, warn_ratio=0.5, escalate_after_seconds=1)
    make_policy("gadget.fix", 3600)
    customer = CustomerFactory(store=store)
    uow.commit()
    yield {"store": store, "customer": customer, **people}
    db.session.remove()
    drop_table(db.engine)


@pytest.fixture
def worker(app, tmp_path):
    started = []

    def start():
        w = WorkerProcess(app, tmp_path / f"worker{len(started)}.log").start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def ledger(clock_id=None):
    db.session.rollback()
    stmt = sa.select(SlaEscalation.level, sa.func.count()).group_by(SlaEscalation.level)
    if clock_id:
        stmt = stmt.where(SlaEscalation.clock_id == clock_id)
    return dict(db.session.execute(stmt).all())


def lock_waiters() -> int:
    """Backends of this database waiting on a lock. A fresh connection each time: inside one
    transaction PostgreSQL serves pg_stat_activity from a snapshot."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'")).scalar()


def sla_event_count(case_id):
    db.session.rollback()
    return db.session.scalar(sa.text("SELECT count(*) FROM case_events WHERE case_type='gadget' AND case_id=:i "
                                     "AND kind IN ('sla','escalation')"), {"i": case_id})


def test_two_second_policy_breaches_and_escalates_exactly_once(world, worker):
    worker()
    g = open_gadget(world["store"], world["customer"], world["assignee"], assignee=world["assignee"])
    uow.commit()
    gid = g.id
    clock = db.session.scalar(sa.select(SlaClock).where(SlaClock.case_id == gid))
    cid, gen, due = clock.id, clock.generation, clock.due_at
    assert wait_for(lambda: ledger(cid) == {1: 1, 2: 1, 3: 1}, what="warning, breach and escalation")
    assert sla_event_count(gid) == 3
    fired = dict(db.session.execute(sa.select(SlaEscalation.level, SlaEscalation.fired_at)
                                    .where(SlaEscalation.clock_id == cid)).all())
    assert (fired[2] - due).total_seconds() < 2.5  # due → breach recorded, through the scheduler
    # a duplicate of the job and a stale-generation job: both run, both do nothing
    dup = jobs.enqueue_now("claimdesk.sla.jobs.fire_clock", cid, gen, queue="sla", job_id="dup-fire")
    stale = jobs.enqueue_now("claimdesk.sla.jobs.fire_clock", cid, gen - 1, queue="sla", job_id="stale-fire")
    assert wait_for(lambda: all(j.get_status(refresh=True) == "finished" for j in (dup, stale)), what="jobs")
    assert dup.return_value() == 0 and stale.return_value() == 0
    assert ledger(cid) == {1: 1, 2: 1, 3: 1} and sla_event_count(gid) == 3
    db.session.rollback()
    kinds = db.session.execute(sa.select(Notification.user_id, Notification.kind)).all()
    assert sorted(k for _u, k in kinds) == ["sla.breach", "sla.breach", "sla.escalation", "sla.warning"]


def test_redis_down_when_the_case_is_created_the_sweep_still_fires(app, world, worker, monkeypatch):
    from redis import Redis

    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(jobs, "connection", lambda: dead)
    g = open_gadget(world["store"], world["customer"], world["assignee"], assignee=world["assignee"])
    uow.commit()  # the after-commit scheduling fails (logged); the case and its clock are saved
    monkeypatch.undo()
    db.session.rollback()
    clock = db.session.scalar(sa.select(SlaClock).where(SlaClock.case_id == g.id))
    assert clock is not None and clock.next_fire_at is not None
    assert jobs.get_queue("sla").scheduled_job_registry.count == 0  # nothing reached Redis
    worker()  # Redis is back; the cron enqueues the sweep every minute — here once, by hand
    wait_for(lambda: core_clock.now() > clock.escalate_at, what="clock past due")
    jobs.enqueue_now("claimdesk.sla.jobs.sweep", queue="sla", job_id="sweep-now")
    assert wait_for(lambda: ledger(clock.id) == {2: 1, 3: 1}, what="breach by the sweep")
    assert sla_event_count(g.id) == 2


def test_worker_killed_mid_job_escalates_exactly_once_after_retry(app, world, worker):
    from rq.registry import StartedJobRegistry

    # the clock is created before the worker runs and the case row is held before the job starts,
    # so the job that fires the breach is certain to block mid-job (it locks the case before its clocks)
    g = open_gadget(world["store"], world["customer"], world["assignee"], assignee=world["assignee"])
    uow.commit()
    clock = db.session.scalar(sa.select(SlaClock).where(SlaClock.case_id == g.id))
    cid = clock.id
    blocker = db.engine.connect()
    tx = blocker.begin()
    try:
        blocker.execute(sa.text("SELECT id FROM test_sla_gadgets WHERE id = :i FOR UPDATE"), {"i": g.id})
        wait_for(lambda: core_clock.now() > clock.due_at, what="clock past due")
        q = jobs.get_queue("sla")
        registry = StartedJobRegistry(queue=q)
        w = worker()
        wait_for(lambda: lock_waiters() > 0, what="a job waiting on the case lock")
        started = registry.get_job_ids()
        assert started
        w.kill()
    finally:  # never leave the lock behind, whatever failed
        tx.rollback()
        blocker.close()
    assert ledger(cid) == {}  # killed before commit: nothing happened
    # the dead worker's scheduler lock would expire after 61 s; a restarted worker takes over now
    conn = jobs.connection()
    for key in conn.scan_iter("rq:scheduler-lock:*"):
        conn.delete(key)
    worker()
    # what RQ's maintenance does with a job whose worker died: retry it (it has retries left)
    assert wait_for(lambda: registry.cleanup(timestamp=time.time() + 10_000) or
                    not set(started) & set(registry.get_job_ids()), what="abandoned job retried")
    assert wait_for(lambda: ledger(cid).get(2) == 1, what="breach after retry")
    wait_for(lambda: ledger(cid).get(3) == 1, what="level 3")
    time.sleep(1.5)  # let every other delivery (scheduled steps, the retry) run
    jobs.enqueue_now("claimdesk.sla.jobs.sweep", queue="sla", job_id="sweep-after")
    time.sleep(1.0)
    assert ledger(cid) == {1: 1, 2: 1, 3: 1} or ledger(cid) == {2: 1, 3: 1}
    assert sla_event_count(g.id) == sum(ledger(cid).values())


def test_embedded_runner_fires_a_two_second_timer_without_redis(app, world, tmp_path):
    from claimdesk.app import create_app
    from claimdesk.jobs.worker import EmbeddedRunner
    from tests.conftest import test_config

    demo = create_app({**test_config(app.config["SQLALCHEMY_DATABASE_URI"], None, tmp_path), "REDIS_URL": None})
    jobs.reset_connections()
    runner = EmbeddedRunner(demo, poll=0.2)
    try:
        with demo.app_context():
            g = open_gadget(world["store"], world["customer"], world["assignee"], assignee=world["assignee"])
            uow.commit()
            gid = g.id
            assert jobs.get_queue("sla").scheduled_job_registry.count == 1  # in the in-process fake Redis
        runner.start()
        cid = db.session.scalar(sa.select(SlaClock.id).where(SlaClock.case_id == gid))
        try:
            # generous: the first rounds also run every periodic job once (a busy CI machine once took >15 s)
            wait_for(lambda: ledger(cid) == {1: 1, 2: 1, 3: 1}, timeout=45, what="embedded firing")
        except AssertionError:
            with demo.app_context():
                q = jobs.get_queue("sla")
                info = [(j.id, j.get_status(), (j.latest_result().exc_string if j.latest_result() else None))
                        for j in q.failed_job_registry.get_job_ids() and
                        [q.fetch_job(i) for i in q.failed_job_registry.get_job_ids()] or []]
                raise AssertionError(f"{ledger(cid)} sched={q.scheduled_job_registry.get_job_ids()} "
                                     f"queued={q.get_job_ids()} failed={info}") from None
        assert sla_event_count(gid) == 3
    finally:
        runner.stop()
        jobs.reset_connections()
        jobs.bind_app(app)
