"""core.snapshot: independent read-only queries on several connections, all in the request's snapshot."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from claimdesk.core import snapshot
from claimdesk.extensions import db

PID = "SELECT pg_backend_pid()"


@pytest.fixture
def rows_table(app, committed_db):
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE test_snapshot_rows (id integer)")
        conn.exec_driver_sql("INSERT INTO test_snapshot_rows VALUES (1), (2)")
    yield
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE test_snapshot_rows")


@pytest.mark.postgres
def test_tasks_run_on_their_own_connections_in_the_exported_snapshot(app, rows_table):
    """A row committed after the export is seen by none of the tasks, even by one that reads after the
    commit; the request's own session (READ COMMITTED) sees it afterwards."""
    app.config["PARALLEL_QUERIES"] = 2
    main_pid = db.session.scalar(sa.text(PID))
    committed = threading.Event()

    def writer():
        with db.engine.begin() as conn:  # another transaction, committed while the readers run
            conn.exec_driver_sql("INSERT INTO test_snapshot_rows VALUES (3)")
        committed.set()
        return db.session.scalar(sa.text("SELECT count(*) FROM test_snapshot_rows"))

    def reader():
        assert committed.wait(10)
        return (db.session.scalar(sa.text("SELECT count(*) FROM test_snapshot_rows")),
                db.session.scalar(sa.text(PID)),
                db.session.scalar(sa.text("SHOW transaction_isolation")))

    out = snapshot.run({"writer": writer, "reader": reader, "late_reader": reader})
    assert out["writer"] == 2
    for name in ("reader", "late_reader"):
        count, pid, isolation = out[name]
        assert count == 2 and pid != main_pid and isolation == "repeatable read"
    assert db.session.scalar(sa.text("SELECT count(*) FROM test_snapshot_rows")) == 3


@pytest.mark.postgres
def test_one_worker_runs_the_tasks_in_the_request_session(app, rows_table):
    app.config["PARALLEL_QUERIES"] = 1
    try:
        main_pid = db.session.scalar(sa.text(PID))
        out = snapshot.run({"a": lambda: db.session.scalar(sa.text(PID)), "b": lambda: db.session.scalar(sa.text(PID))})
        assert out == {"a": main_pid, "b": main_pid}
    finally:
        app.config["PARALLEL_QUERIES"] = 2


def test_a_session_bound_to_one_connection_runs_the_tasks_itself(app):
    """The test harness's rollback isolation: other connections could not see the test's rows."""
    assert isinstance(db.session.get_bind(), sa.engine.Connection)
    seen = []
    out = snapshot.run({"a": lambda: seen.append(threading.get_ident()) or 1,
                        "b": lambda: seen.append(threading.get_ident()) or 2})
    assert out == {"a": 1, "b": 2} and set(seen) == {threading.get_ident()}


@pytest.mark.postgres
def test_a_failing_task_fails_the_whole_run(app, committed_db):
    app.config["PARALLEL_QUERIES"] = 2

    def broken():
        db.session.execute(sa.text("SELECT 1 / 0"))

    with pytest.raises(sa.exc.DataError):
        snapshot.run({"ok": lambda: db.session.scalar(sa.text("SELECT 1")), "broken": broken})
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT 2")) == 2
