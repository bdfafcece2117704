"""Engine settings that make SQLite behave like the PostgreSQL the app is written for."""
from __future__ import annotations

import time

from sqlalchemy import event, exc
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


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only if it sat idle for more than `idle_seconds`.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip for every request.
    A connection that went back to the pool milliseconds ago is as alive as the request before it
    found it; the ones that die are the idle ones (a database restart, a firewall's idle timeout).
    Those are pinged; a dead one is replaced before the request sees it (the pool retries the
    checkout on `DisconnectionError`). A connection that dies while in use fails that request with
    the 503 error body, and SQLAlchemy then replaces every connection opened before it."""
    if engine.dialect.name == "sqlite" or getattr(engine, "_claimdesk_ping", None) is not None:
        return
    engine._claimdesk_ping = idle_seconds

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection, record):
        record.info["claimdesk_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, proxy):
        since = record.info.get("claimdesk_idle_since")
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_connection, None):
                raise exc.DisconnectionError() from err
            raise


def init_app(app) -> None:
    from ..extensions import db

    with app.app_context():
        configure_sqlite(db.engine)  # builds the engine object only; no connection is made
        if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
            ping_idle_connections(db.engine, float(app.config.get("DB_PING_IDLE_SECONDS", 5.0)))
