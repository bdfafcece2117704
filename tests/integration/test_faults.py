"""Faults: the database connection dying mid-request, Redis going away."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from claimdesk.customers.models import Customer
from claimdesk.extensions import db


@pytest.mark.postgres
def test_db_connection_killed_mid_request_is_503_and_writes_nothing(app, committed_db, advisor, api_as):
    api = api_as(advisor)
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    fired = []

    def kill_before_insert(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO CUSTOMERS") and not fired:
            fired.append(True)
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as a:
                a.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(db.engine, "before_cursor_execute", kill_before_insert)
    try:
        resp = api.post("customers", {"name": "王伟", "phone": "13812345678"})
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_before_insert)
        admin.dispose()
    assert fired
    assert resp.status_code == 503, resp.get_data(as_text=True)
    body = resp.get_json()["error"]
    assert body["code"] == "service_unavailable" and "nothing was saved" in body["message"]
    assert "Traceback" not in resp.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
    # the pool recovers: the next request works
    assert api.post("customers", {"name": "王伟", "phone": "13812345678"}).status_code == 201


def test_unexpected_error_is_500_without_trace(app, advisor, api_as, monkeypatch):
    from claimdesk.customers import services

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "create_customer", boom)
    resp = api_as(advisor).post("customers", {"name": "A", "phone": "13812345678"})
    assert resp.status_code == 500
    text = resp.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert resp.get_json()["error"]["code"] == "internal_error"


def test_redis_down_pages_and_api_still_work(app, advisor, api_as, monkeypatch, client, login):
    """With the queue unreachable, requests still succeed and /readyz says degraded."""
    from claimdesk import jobs

    class Dead:
        def ping(self):
            raise ConnectionError("redis down")

        def __getattr__(self, name):
            raise ConnectionError("redis down")

    monkeypatch.setattr(jobs, "connection", lambda: Dead())
    monkeypatch.setattr(jobs, "is_embedded", lambda: False)
    api = api_as(advisor)
    assert api.post("customers", {"name": "A", "phone": "13812345678"}).status_code == 201
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    login(advisor)
    assert client.get("/customers/").status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("idle_seconds, survives", [(0.0, True), (1e9, False)])
def test_a_connection_that_died_while_idle_is_replaced_before_use(app, idle_seconds, survives):
    """core.db.ping_idle_connections: a pooled connection idle for longer than the threshold is pinged
    on checkout, and a dead one replaced; one used a moment ago is handed out unchecked."""
    from claimdesk.core.db import ping_idle_connections

    engine = sa.create_engine(db.engine.url, pool_size=1, max_overflow=0)
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    ping_idle_connections(engine, idle_seconds)
    try:
        with engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as a:  # waits (up to 5 s) until the backend is gone
            assert a.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
        with engine.connect() as conn:
            if survives:
                assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != pid
            else:
                with pytest.raises(sa.exc.OperationalError):
                    conn.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()
        admin.dispose()
