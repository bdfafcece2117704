"""Test harness: real PostgreSQL and Redis when reachable (required under CI), else SQLite and the
embedded queue — and a plain report of which suites were skipped.

Isolation is by transaction rollback: each test runs inside an outer transaction on one connection
and every session commit only releases a SAVEPOINT. Tests that need truly committed rows (a worker in
another process, concurrent transactions) ask for `committed_db`, which truncates afterwards.
"""
from __future__ import annotations

import os
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("CLAIMDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("CLAIMDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REQUIRE = os.environ.get("CLAIMDESK_TEST_REQUIRE_SERVICES") == "1"
FORCE_SQLITE = os.environ.get("CLAIMDESK_TEST_BACKEND") == "sqlite"

SKIPPED_SUITES: dict[str, str] = {}


# --- finding the services ----------------------------------------------------------------------
def _pg_available() -> str | None:
    if FORCE_SQLITE:
        return "CLAIMDESK_TEST_BACKEND=sqlite"
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"no PostgreSQL at {PG_ADMIN_URL.split('@')[-1]} ({exc.__class__.__name__})"


def _redis_available() -> str | None:
    if FORCE_SQLITE:
        return "CLAIMDESK_TEST_BACKEND=sqlite"
    try:
        import redis

        redis.Redis.from_url(REDIS_BASE, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"no Redis at {REDIS_BASE} ({exc.__class__.__name__})"


PG_MISSING = _pg_available()
REDIS_MISSING = _redis_available()
if REQUIRE and (PG_MISSING or REDIS_MISSING):
    raise pytest.UsageError(f"CLAIMDESK_TEST_REQUIRE_SERVICES=1 but: {PG_MISSING or ''} {REDIS_MISSING or ''}")
if PG_MISSING:
    SKIPPED_SUITES["postgres"] = PG_MISSING
if REDIS_MISSING:
    SKIPPED_SUITES["redis"] = REDIS_MISSING


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and PG_MISSING:
            item.add_marker(pytest.mark.skip(reason=f"postgres suite skipped: {PG_MISSING}"))
        if "redis" in item.keywords and REDIS_MISSING:
            item.add_marker(pytest.mark.skip(reason=f"redis suite skipped: {REDIS_MISSING}"))


def pytest_report_header(config):
    db = "PostgreSQL" if not PG_MISSING else "SQLite"
    queue = "Redis" if not REDIS_MISSING else "embedded fakeredis queue"
    return f"claimdesk tests on {db} + {queue}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if SKIPPED_SUITES:
        terminalreporter.section("claimdesk: suites skipped")
        for suite, why in SKIPPED_SUITES.items():
            terminalreporter.write_line(f"SKIPPED SUITE {suite}: {why}")
        if {"postgres", "redis"} & SKIPPED_SUITES.keys():
            terminalreporter.write_line("Those tests ran on SQLite and the embedded queue where they could; "
                                        "start the services (or run .ci/run) for the full suite.")
    else:
        terminalreporter.write_line("claimdesk: every suite ran (PostgreSQL and Redis present).")


# --- databases ---------------------------------------------------------------------------------
def make_pg_database(name: str) -> str:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(name: str) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_MISSING:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"
        return
    name = f"claimdesk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = make_pg_database(name)
    yield url
    drop_pg_database(name)


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database number of our own (locked in db 0), flushed before and after; None if no Redis."""
    if REDIS_MISSING:
        yield None
        return
    import redis

    base = redis.Redis.from_url(REDIS_BASE)
    token = f"{socket.gethostname()}:{os.getpid()}"
    number = None
    for n in range(1, 16):
        if base.set(f"claimdesk:testlock:{n}", token, nx=True, ex=3 * 3600):
            number = n
            break
    if number is None:
        pytest.exit("no free Redis database number (1-15) for this test run", returncode=3)
    url = f"{REDIS_BASE.rstrip('/')}/{number}"
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()
    base.delete(f"claimdesk:testlock:{number}")


def test_config(database_url, redis_url, upload_dir) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "EMBEDDED_WORKER": "off",
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(upload_dir),
        "JOB_RETRY_INTERVALS": [1, 1, 1],
        "LOGIN_RATE_LIMIT": "10000 per minute",  # test_login_rate_limit_per_address lowers it
    }


class AppClient(FlaskClient):
    """Each request runs in a fresh app context (fresh `g`), as in production."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    from flask_migrate import upgrade

    from claimdesk import jobs
    from claimdesk.app import create_app

    upload_dir = tmp_path_factory.mktemp("uploads")
    application = create_app(test_config(database_url, redis_url, upload_dir))
    application.test_client_class = AppClient
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        _snapshot_reference_data()
    jobs.reset_connections()
    jobs.bind_app(application)
    yield application
    with application.app_context():
        from claimdesk.extensions import db

        db.engine.dispose()


class _SharedSession(scoped_session):
    """The test's one session: request teardown must not close it (the test keeps using it)."""

    def remove(self):
        if self.registry.has():
            self.registry().expire_all()


#: rows the migrations seed (SLA policies, calendars …): restored after committed_db truncates
REFERENCE_DATA: dict[str, list[dict]] = {}


def _snapshot_reference_data():
    from claimdesk.extensions import db

    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name.startswith("test_"):
                continue
            rows = [dict(r._mapping) for r in conn.execute(table.select())]
            if rows:
                REFERENCE_DATA[table.name] = rows


def truncate_all(app):
    from claimdesk.extensions import db

    with app.app_context():
        # test_* tables belong to engine tests and exist only inside their transaction
        tables = [t.name for t in reversed(db.metadata.sorted_tables) if not t.name.startswith("test_")]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for t in tables:
                    conn.execute(sa.text(f'DELETE FROM "{t}"'))
            for table in db.metadata.sorted_tables:
                if table.name in REFERENCE_DATA:
                    conn.execute(table.insert(), REFERENCE_DATA[table.name])
            if conn.dialect.name == "postgresql":  # identities past the restored ids
                for table in db.metadata.sorted_tables:
                    if table.name in REFERENCE_DATA and "id" in table.c:
                        conn.execute(sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT COALESCE(MAX(id), 1) FROM \"{table.name}\"))"))


@pytest.fixture(autouse=True)
def _db(request, app):
    """Rollback isolation around every test (unless it asked for committed_db)."""
    from claimdesk.core import clock
    from claimdesk.extensions import db

    original = db.session
    ctx = app.app_context()
    ctx.push()
    if "committed_db" in request.fixturenames:
        try:
            yield
        finally:
            db.session.remove()
            ctx.pop()
            clock.set_now(None)
            truncate_all(app)
            _flush_queues(app)
        return
    connection = db.engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = _SharedSession(factory, scopefunc=lambda: "test")
    try:
        yield
    finally:
        db.session.registry().close()
        db.session = original
        outer.rollback()
        connection.close()
        ctx.pop()
        clock.set_now(None)
        _flush_queues(app)


def _flush_queues(app):
    from claimdesk import jobs

    with app.app_context():
        try:
            jobs.connection().flushdb()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def committed_db(app):
    """Rows are really committed (other processes see them); tables are truncated afterwards."""
    yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def queue_conn(app):
    from claimdesk import jobs

    return jobs.connection()


# --- people and helpers ------------------------------------------------------------------------
@pytest.fixture
def store():
    from tests.factories import StoreFactory

    return StoreFactory(code="S01", name="Tianhe")


@pytest.fixture
def other_store():
    from tests.factories import StoreFactory

    return StoreFactory(code="S02", name="Futian")


@pytest.fixture
def make_user(store):
    from tests.factories import UserFactory

    def make(role="advisor", **kw):
        kw.setdefault("store", store)
        return UserFactory(role=role, **kw)

    return make


@pytest.fixture
def advisor(make_user):
    return make_user("advisor", username="advisor")


@pytest.fixture
def manager(make_user):
    return make_user("manager", username="manager")


@pytest.fixture
def clerk(make_user):
    return make_user("customer_relations", username="clerk")


@pytest.fixture
def workshop(make_user):
    return make_user("workshop", username="tech")


class ApiClient:
    """The JSON API as one user, with a real bearer token."""

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method, path, json=None, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return getattr(self.client, method)(path if path.startswith("/") else f"/api/v1/{path}", json=json,
                                            headers=headers, **kw)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, json=None, **kw):
        return self._call("post", path, json, **kw)

    def put(self, path, json=None, **kw):
        return self._call("put", path, json, **kw)

    def patch(self, path, json=None, **kw):
        return self._call("patch", path, json, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)

    def action(self, cases, case_id, action, **fields):
        return self.post(f"{cases}/{case_id}/actions/{action}", fields)


@pytest.fixture
def api_as(client):
    from claimdesk.auth import services
    from claimdesk.core import uow

    def make(user):
        token, _row = services.issue_token(user)
        uow.commit()
        return ApiClient(client, token)

    return make


@pytest.fixture
def login(client):
    """Log the test client in through the real login form."""

    def do(user, password="secret-pass-1"):
        resp = client.post("/login", data={"username": user.username, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client

    return do


@pytest.fixture
def tmp_upload_dir():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)
