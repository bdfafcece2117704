"""Engine settings that make SQLite behave like the PostgreSQL the app is written for."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    """Real transactions and SAVEPOINTs (pysqlite's own BEGIN handling breaks them), enforced
    foreign keys, WAL so the embedded worker thread and web requests do not block each other."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_claimdesk_configured", False):
        return
    engine._claimdesk_configured = True

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves below
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def init_app(app) -> None:
    from ..extensions import db

    with app.app_context():
        configure_sqlite(db.engine)  # builds the engine object only; no connection is made
