"""Worker and cron entry points: `flask claimdesk worker`, `flask claimdesk cron`, and the embedded runner."""
from __future__ import annotations

import logging
import threading
import time

from rq import SimpleWorker, Worker
from rq.cron import CronScheduler
from rq.timeouts import TimerDeathPenalty

from . import PERIODIC, AppJob, all_queues, bind_app, connection, get_queue, load_job_modules

log = logging.getLogger(__name__)


def run_worker(app, *, burst: bool = False, with_scheduler: bool = True) -> None:
    """An RQ worker (forking, with scheduler) on all claimdesk queues; jobs run in app context."""
    bind_app(app)
    load_job_modules()
    with app.app_context():
        queues = all_queues()
        worker = Worker(queues, connection=connection(), job_class=AppJob)
    worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")


def run_cron(app) -> None:
    """RQ's cron scheduler enqueueing every registered periodic job (the SLA sweep among them)."""
    bind_app(app)
    load_job_modules()
    with app.app_context():
        cron = CronScheduler(connection=connection(), logging_level="INFO")
        for name, spec in PERIODIC.items():
            cron.register(spec["func"], queue_name=get_queue(spec["queue"]).name, interval=spec["interval"])
            log.info("cron: %s every %ss", name, spec["interval"])
    cron.start()


class _ThreadWorker(SimpleWorker):
    """A worker that can run outside the main thread: no signals, timer-based time limits."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


class EmbeddedRunner:
    """With no Redis server: a thread inside the web process moves due scheduled jobs onto their
    queues, runs them, and enqueues the periodic jobs — the same job code as production."""

    def __init__(self, app, poll: float = 0.5):
        self.app = app
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_periodic: dict[str, float] = {}

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._loop, name="claimdesk-embedded-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def run_once(self, now: float | None = None) -> int:
        """One round: periodic jobs due, scheduled jobs due, then everything queued. Returns jobs run."""
        bind_app(self.app)
        with self.app.app_context():
            now = time.time() if now is None else now
            for name, spec in PERIODIC.items():
                if now - self._last_periodic.get(name, 0) >= spec["interval"]:
                    self._last_periodic[name] = now
                    get_queue(spec["queue"]).enqueue(spec["func"])
            queues = all_queues()
            conn = connection()
            moved = 0
            for q in queues:
                registry = q.scheduled_job_registry
                for job_id in registry.get_jobs_to_schedule(int(now)):
                    job = AppJob.fetch(job_id, connection=conn) if conn.exists(f"rq:job:{job_id}") else None
                    registry.remove(job_id)
                    if job is not None:
                        q._enqueue_job(job)
                        moved += 1
            worker = _ThreadWorker(queues, connection=conn, job_class=AppJob)
        worker.work(burst=True, logging_level="WARNING")
        return moved

    def _loop(self) -> None:
        load_job_modules()
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("embedded worker round failed")
            self._stop.wait(self.poll)


_runner: EmbeddedRunner | None = None
_runner_lock = threading.Lock()


def ensure_embedded_runner(app) -> EmbeddedRunner | None:
    """Start the embedded runner once per process when there is no Redis and it is enabled."""
    global _runner
    if app.config.get("REDIS_URL") or app.config.get("EMBEDDED_WORKER") != "thread":
        return None
    with _runner_lock:
        if _runner is None:
            _runner = EmbeddedRunner(app)
            _runner.start()
    return _runner
