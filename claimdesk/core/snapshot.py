"""Independent read-only queries of one request, run at once on several PostgreSQL connections, all in
the same snapshot.

A dashboard request runs a dozen aggregates that do not depend on each other. One after the other on
one connection they use one CPU of the database server; here each runs on a connection of its own
from the pool. The request's transaction exports its snapshot (`pg_export_snapshot()`) and every
helper connection starts a REPEATABLE READ transaction in that snapshot (`SET TRANSACTION SNAPSHOT`),
so together they see exactly one consistent state of the database — the same for every aggregate,
which one READ COMMITTED connection running them in turn would not even guarantee.

Where that cannot be done the tasks run one after the other in the request's own session:
SQLite (one writer, nothing to gain), `PARALLEL_QUERIES` ≤ 1, or a session bound to a single
connection (an outer transaction, as the test harness does: other connections would not see its
rows).
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import current_app

from ..extensions import db

T = TypeVar("T")
_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$")


def _parallel_workers(n_tasks: int) -> int:
    workers = int(current_app.config.get("PARALLEL_QUERIES", 1) or 1)
    bind = db.session.get_bind()
    if workers <= 1 or n_tasks <= 1 or bind.dialect.name != "postgresql" or isinstance(bind, sa.engine.Connection):
        return 1
    return min(workers, n_tasks)


def _in_snapshot(app, snapshot: str, fn: Callable[[], T]) -> T:
    with app.app_context():  # a session of its own (Flask-SQLAlchemy scopes sessions per app context)
        session = db.session
        try:
            conn = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return fn()
        finally:
            session.rollback()  # read-only; the app context's teardown closes the session


def run(tasks: dict[str, Callable[[], T]]) -> dict[str, T]:
    """Call every task (read-only; each uses `db.session`) and return their results by name.

    Tasks are started in the order given — put the slowest first."""
    workers = _parallel_workers(len(tasks))
    if workers == 1:
        return {name: fn() for name, fn in tasks.items()}
    snapshot = db.session.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
    if not _SNAPSHOT_ID.match(snapshot):  # it goes into the SQL text: SET takes no parameters
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    app = current_app._get_current_object()
    # The request's transaction stays open (it holds the exported snapshot) until every task is done.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="claimdesk-query") as pool:
        futures = {name: pool.submit(_in_snapshot, app, snapshot, fn) for name, fn in tasks.items()}
        return {name: future.result() for name, future in futures.items()}
