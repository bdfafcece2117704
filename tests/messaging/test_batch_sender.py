"""The batch sender: a burst of commits kicks one sender run; a run claims up to a batch of due messages
(FOR UPDATE SKIP LOCKED on PostgreSQL), renders a new case's draft, applies every rule and kicks the
next run when its batch was full; one message's error fails that message alone."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from claimdesk import jobs
from claimdesk.core import clock, uow
from claimdesk.core.models import CaseEvent
from claimdesk.extensions import db
from claimdesk.messaging import jobs as messaging_jobs
from claimdesk.messaging import providers, sending, services
from claimdesk.messaging.models import Message
from tests.complaints.factories import open_complaint
from tests.factories import CustomerFactory
from tests.messaging.conftest import at_local, messages


def mail_jobs() -> list[str]:
    q = jobs.get_queue("mail")
    ids = q.get_job_ids() + q.scheduled_job_registry.get_job_ids()
    return [j.func_name for j in q.job_class.fetch_many(ids, connection=q.connection) if j is not None]


def clear_mail() -> None:
    q = jobs.get_queue("mail")
    q.empty()
    for job_id in q.scheduled_job_registry.get_job_ids():
        q.scheduled_job_registry.remove(job_id, delete_job=True)


def message_events(case) -> list[str]:
    return list(db.session.scalars(sa.select(CaseEvent.action).where(
        CaseEvent.case_type == case.CASE_TYPE, CaseEvent.case_id == case.id, CaseEvent.kind == "message")
        .order_by(CaseEvent.id)))


def test_a_burst_of_creations_kicks_one_sender_run(app, daytime, clerk):
    before = time.time()
    complaints = [open_complaint(clerk) for _ in range(5)]  # five requests, five commits
    assert mail_jobs() == [services.SENDER]  # one job, not one (or two) per complaint
    # … due MESSAGING_SEND_DELAY_SECONDS after the first commit: the burst's messages in one run
    registry = jobs.get_queue("mail").scheduled_job_registry
    [job_id] = registry.get_job_ids()
    due = registry.get_scheduled_time(job_id)
    delay = app.config["MESSAGING_SEND_DELAY_SECONDS"]
    assert delay > 0 and before + delay - 1 <= due.timestamp() <= time.time() + delay + 1
    assert messaging_jobs.send_due_messages() == "5 message(s)"
    uow.commit()
    assert {m.state for m in messages(kind="complaint_received")} == {"sent"}
    assert all(message_events(c) == ["message_sent"] for c in complaints)
    clear_mail()
    open_complaint(clerk)  # the run took the kick: the next commit kicks again
    assert mail_jobs() == [services.SENDER]


def test_a_full_batch_kicks_the_next_run(app, monkeypatch, daytime, clerk):
    monkeypatch.setitem(app.config, "MESSAGING_SEND_BATCH", 2)
    for _ in range(3):
        open_complaint(clerk)
    clear_mail()
    assert messaging_jobs.send_due_messages() == "2 message(s)"
    assert mail_jobs() == []  # kicked after the commit only
    uow.commit()
    assert mail_jobs() == [services.SENDER]
    clear_mail()
    assert messaging_jobs.send_due_messages() == "1 message(s)"
    uow.commit()
    assert mail_jobs() == []  # the batch was not full: done
    assert [m.state for m in messages(kind="complaint_received")] == ["sent"] * 3


def test_one_message_s_error_fails_it_alone(monkeypatch, daytime, clerk, caplog):
    complaints = [open_complaint(clerk) for _ in range(3)]
    broken = messages(kind="complaint_received")[1]
    real_send = providers.Outbox.send

    def send(self, msg):
        if msg.id == broken.id:
            raise RuntimeError("template bug")
        return real_send(self, msg)

    monkeypatch.setattr(providers.Outbox, "send", send)
    assert sending.send_due(10) == 3
    uow.commit()
    assert [m.state for m in messages(kind="complaint_received")] == ["sent", "failed", "sent"]
    assert broken.reason == "send_error" and "template bug" in broken.last_error
    assert message_events(complaints[1]) == []  # its savepoint (nothing half-recorded) was rolled back
    assert "could not be sent" in caplog.text
    assert sending.send_due(10) == 0  # failed is final: not claimed again


def test_a_draft_follows_the_customer_s_channel_and_opt_out(daytime, clerk):
    wechat, opted = CustomerFactory(store=clerk.store), CustomerFactory(store=clerk.store)
    services.set_preference(wechat, {"channel": "wechat", "wechat_openid": "oWX123"})
    services.opt_out(opted.id, "sms_reply")
    a, b = open_complaint(clerk, wechat), open_complaint(clerk, opted)
    assert sending.send_due(10) == 2
    uow.commit()
    to_wechat, to_opted = messages(kind="complaint_received")
    assert (to_wechat.state, to_wechat.channel, to_wechat.recipient) == ("sent", "wechat", "oWX123")
    assert (to_opted.state, to_opted.reason) == ("skipped", "opted_out")
    assert message_events(a) == ["message_sent"] and message_events(b) == ["message_skipped"]


def test_quiet_hours_hold_drafts_and_schedule_one_morning_run(clerk):
    clock.set_now(at_local(22, 30))
    for _ in range(2):
        open_complaint(clerk)
    clear_mail()
    assert sending.send_due(10) == 2
    uow.commit()
    assert {(m.state, m.reason) for m in messages(kind="complaint_received")} == {("held", "quiet_hours")}
    morning = at_local(8, 0, day=8)
    scheduled = jobs.get_queue("mail").scheduled_job_registry.get_job_ids()
    assert scheduled == [f"messages-due-{int(morning.timestamp())}"]  # one run for both
    assert sending.send_due(10) == 0  # not due before the morning
    clock.set_now(morning)
    assert sending.send_due(10) == 2
    uow.commit()
    assert {m.state for m in messages(kind="complaint_received")} == {"sent"}


@pytest.mark.postgres
def test_two_senders_claim_different_messages(committed_db, daytime, clerk):
    for _ in range(2):
        open_complaint(clerk)
    first, second = messages(kind="complaint_received")
    uow.commit()
    with db.engine.connect() as other:  # another sender holds the first message
        other.execute(sa.text("SELECT id FROM messages WHERE id = :id FOR UPDATE"), {"id": first.id})
        assert sending.send_due(10) == 1  # SKIP LOCKED: it takes the second, does not wait
        uow.commit()
        other.rollback()
    states = dict(db.session.execute(sa.select(Message.id, Message.state)).all())
    assert states == {first.id: "queued", second.id: "sent"}
