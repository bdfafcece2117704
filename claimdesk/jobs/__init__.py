"""RQ plumbing only: connections, queues, enqueue-after-commit, the app-context job class.

Jobs take ids (never ORM objects), re-load what they need and re-check that the work is still due.
Every enqueue that can repeat passes a deterministic job id; the database stays the final guard.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import current_app, has_app_context
from rq import Queue, Retry
from rq.job import Job

from ..core import uow

log = logging.getLogger(__name__)

QUEUES = ("default", "sla", "mail")

_app = None  # the app jobs run in; bound by the worker entry points
_fake_server = None
_fake_lock = threading.Lock()
_connections: dict[str, Any] = {}
_app_factory = None  # builds the app when none is bound (see set_app_factory)


def bind_app(app) -> None:
    global _app
    _app = app


def set_app_factory(factory) -> None:
    """How to build the app when none is bound (a plain `rq worker`): `claimdesk.rqjob` passes
    `create_app` — the factory sits above this package, so it is handed down, not imported."""
    global _app_factory
    _app_factory = factory


def job_app():
    """The app a job runs in: the bound one, or one built on first use (plain `rq worker`)."""
    global _app
    if _app is None:
        if _app_factory is None:
            raise RuntimeError("no claimdesk app bound to the jobs; run a plain rq worker with "
                               "--job-class claimdesk.rqjob.AppJob")
        _app = _app_factory()
    return _app


def _config(key: str, default=None):
    if has_app_context():
        return current_app.config.get(key, default)
    return job_app().config.get(key, default)


def readiness() -> str:
    """The queue's line in /readyz: "embedded", "ok" or "error: …"."""
    if is_embedded():
        return "embedded"
    try:
        connection().ping()
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"


def is_embedded() -> bool:
    return not _config("REDIS_URL")


def connection():
    """Redis for RQ: the configured server, or an in-process fakeredis server (embedded mode)."""
    url = _config("REDIS_URL")
    if url:
        conn = _connections.get(url)
        if conn is None:
            from redis import Redis

            conn = _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5,
                                                      health_check_interval=30)
        return conn
    global _fake_server
    with _fake_lock:
        if _fake_server is None:
            import fakeredis

            _fake_server = fakeredis.FakeServer()
        conn = _connections.get("fake")
        if conn is None:
            import fakeredis

            conn = _connections["fake"] = fakeredis.FakeStrictRedis(server=_fake_server)
    return conn


def reset_connections() -> None:
    """Forget cached connections (tests switch Redis databases)."""
    global _fake_server
    _connections.clear()
    _fake_server = None


def queue_name(name: str) -> str:
    return f"{_config('QUEUE_PREFIX', 'claimdesk')}-{name}"


def get_queue(name: str = "default") -> Queue:
    return Queue(queue_name(name), connection=connection(), job_class=AppJob)


def all_queues() -> list[Queue]:
    return [get_queue(n) for n in QUEUES]


def _retry() -> Retry:
    intervals = _config("JOB_RETRY_INTERVALS", [5, 30, 120])
    return Retry(max=len(intervals), interval=intervals)


def enqueue_now(func: Callable | str, *args, job_id: str | None = None, at: datetime | None = None,
                queue: str = "default", retry: bool = True, **kwargs) -> Job | None:
    """Put a job on its queue now (outside a transaction, or from after_commit).

    With a job id, a job that is already queued or scheduled under that id is left alone, so
    repeating an enqueue is harmless.
    """
    q = get_queue(queue)
    opts: dict = {"job_id": job_id, "retry": _retry() if retry else None}
    if job_id is not None:
        existing = Job.fetch_many([job_id], connection=q.connection)[0]
        if existing is not None and existing.get_status(refresh=False) in ("queued", "scheduled", "deferred",
                                                                             "started"):
            return existing
    if at is not None:
        return q.enqueue_at(at, func, *args, **opts, **kwargs)
    return q.enqueue(func, *args, **opts, **kwargs)


def enqueue(func: Callable | str, *args, **kw) -> None:
    """Enqueue after the current transaction commits; a rollback enqueues nothing."""
    uow.after_commit(lambda: _safe_enqueue(func, args, kw))


def _safe_enqueue(func, args, kw):
    try:
        enqueue_now(func, *args, **kw)
    except Exception as exc:  # Redis down: the data is committed; the periodic sweep catches up.
        log.warning("enqueue of %s failed (%s); the sweep will pick it up", getattr(func, "__name__", func), exc)


# --- kicks: one run of a batch job for a burst of commits ----------------------------------------
#: seconds a kick's flag lives: if the job it enqueued is lost before it starts (a worker killed, Redis
#: emptied), kicks start working again after this long; the job's periodic sweep covers the gap.
KICK_TTL = 300


def _kick_flag(func: str, queue: str) -> str:
    return f"{queue_name(queue)}:kick:{func}"


def kick(func: str, *, queue: str = "default", delay: float = 0) -> None:
    """After the current transaction commits, make sure a run of the batch job `func` (a dotted name,
    no arguments) is coming — enqueued once per transaction, and once for a whole burst of them.

    The first commit sets a Redis flag (SET NX) and enqueues the job; the commits after it find the
    flag set and send nothing more (one Redis command each) until the job starts and takes the flag
    (`kick_taken`) — before it reads its work, so a commit either finds the flag gone and kicks again,
    or is already visible to the job's read. A rollback kicks nothing. The job itself must find its
    work in the database (the rows are the truth; a kick only says "look now").

    `delay` (seconds): the run starts that much later, so a burst of commits in that window is one
    run's batch instead of many small ones (each run of a job costs its worker a fork, a database
    connection and RQ's bookkeeping); the flag stays set meanwhile, so the burst's kicks stay one
    Redis command each."""
    uow.after_commit(lambda: _safe_kick(func, queue, delay), key=("kick", func, queue))


def kick_now(func: str, *, queue: str = "default", delay: float = 0) -> bool:
    """Kick at once (outside a transaction). True if this call enqueued the job."""
    if not connection().set(_kick_flag(func, queue), "1", nx=True, ex=KICK_TTL):
        return False
    at = datetime.now(timezone.utc) + timedelta(seconds=delay) if delay > 0 else None
    enqueue_now(func, queue=queue, retry=False, at=at)
    return True


def kick_taken(func: str, *, queue: str = "default") -> None:
    """Called by the kicked job as it starts, before it reads its work: the next commit kicks again."""
    connection().delete(_kick_flag(func, queue))


def _safe_kick(func: str, queue: str, delay: float = 0) -> None:
    try:
        kick_now(func, queue=queue, delay=delay)
    except Exception as exc:  # Redis down: the rows are committed; the periodic sweep catches up.
        log.warning("kick of %s failed (%s); the sweep will pick it up", func, exc)


class AppJob(Job):
    """Runs each job inside an app context, as one unit of work: commit on success, else roll back."""

    def perform(self):
        app = job_app()
        with app.app_context():
            try:
                rv = super().perform()
                uow.commit()
                return rv
            except BaseException:
                uow.rollback()
                raise


# --- periodic jobs -----------------------------------------------------------------------------
PERIODIC: dict[str, dict] = {}


def periodic(seconds: int, queue: str = "default"):
    """Mark a job to be enqueued every `seconds` by `flask claimdesk cron` (and the embedded runner)."""

    def deco(fn):
        PERIODIC[f"{fn.__module__}.{fn.__name__}"] = {"func": fn, "interval": seconds, "queue": queue}
        return fn

    return deco


def load_job_modules() -> None:
    """Import every domain's jobs module so that its periodic jobs are registered."""
    import importlib
    import pkgutil

    import claimdesk

    for mod in pkgutil.iter_modules(claimdesk.__path__):
        if mod.ispkg:
            try:
                importlib.import_module(f"claimdesk.{mod.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"claimdesk.{mod.name}.jobs":
                    raise
