"""Kicks (`jobs.kick`): after commit, at most one run of a batch job is enqueued per transaction and per
burst of transactions, until the job takes the kick; a rollback kicks nothing; Redis down loses no data."""
from __future__ import annotations

from claimdesk import jobs
from claimdesk.core import uow

BATCH = "tests.jobs.test_kick.batch_job"


def batch_job() -> str:
    jobs.kick_taken(BATCH)
    return "ran"


def _queued() -> list[str]:
    q = jobs.get_queue("default")
    return [j.func_name for j in q.jobs]


def test_a_kick_waits_for_the_commit_and_a_rollback_kicks_nothing(app):
    jobs.kick(BATCH)
    uow.rollback()
    uow.commit()
    assert _queued() == []
    jobs.kick(BATCH)
    assert _queued() == []
    uow.commit()
    assert _queued() == [BATCH]


def test_one_run_per_transaction_and_per_burst(app):
    for _ in range(3):
        jobs.kick(BATCH)
    assert uow.pending_effects() == 1  # one after-commit effect however many rows asked
    uow.commit()
    for _ in range(4):  # more commits before the job starts: nothing more is enqueued
        jobs.kick(BATCH)
        uow.commit()
    assert _queued() == [BATCH]


def test_the_job_taking_the_kick_lets_the_next_commit_kick_again(app):
    assert jobs.kick_now(BATCH) is True
    assert jobs.kick_now(BATCH) is False
    assert batch_job() == "ran"  # takes the kick as it starts
    assert jobs.kick_now(BATCH) is True
    assert _queued() == [BATCH, BATCH]


def test_the_flag_expires_if_the_job_is_lost(app, queue_conn):
    jobs.kick_now(BATCH)
    ttl = queue_conn.ttl(jobs._kick_flag(BATCH, "default"))
    assert 0 < ttl <= jobs.KICK_TTL


def test_redis_down_loses_no_commit(app, monkeypatch, caplog):
    def broken(*a, **k):
        raise ConnectionError("redis down")

    monkeypatch.setattr(jobs, "kick_now", broken)
    jobs.kick(BATCH)
    uow.commit()  # no exception: the rows are safe, the sweep catches up
    assert "the sweep will pick it up" in caplog.text
