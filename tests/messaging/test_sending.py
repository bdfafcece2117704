"""Queueing and sending: case events write messages in their own transaction; the send job honours
consent, opt-out, quiet hours and the daily cap; provider failures retry with backoff and never
touch the case; every message and its delivery status lands on the case timeline."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from claimdesk import jobs
from claimdesk.core import clock, uow
from claimdesk.core.models import CaseEvent
from claimdesk.extensions import db
from claimdesk.messaging import sending, services
from claimdesk.messaging.models import ContactPreference
from claimdesk.workorders.workflow import WF
from tests.messaging.conftest import EXTRA_A, at_local, messages, request_extra


def timeline_actions(case) -> list[str]:
    return list(db.session.scalars(sa.select(CaseEvent.action).where(
        CaseEvent.case_type == case.CASE_TYPE, CaseEvent.case_id == case.id, CaseEvent.kind == "message")
        .order_by(CaseEvent.id)))


def mail_job_ids() -> list[str]:
    q = jobs.get_queue("mail")
    return q.get_job_ids() + q.scheduled_job_registry.get_job_ids()


def mail_jobs() -> list[str]:
    """The functions of the jobs waiting on the mail queue (queued or scheduled)."""
    q = jobs.get_queue("mail")
    return [j.func_name for j in q.job_class.fetch_many(mail_job_ids(), connection=q.connection) if j is not None]


def test_extra_work_request_queues_a_message_with_the_status_link(wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    assert msg.state == "queued" and msg.channel == "sms"
    assert "/s/" in msg.body and msg.params["link"] in msg.body
    assert msg.recipient == wo_in_repair.customer.phone
    assert mail_jobs() == [services.SENDER]  # the batch sender, kicked after the commit
    assert timeline_actions(wo_in_repair) == []  # on the timeline when it goes out
    assert sending.send(msg.id) == "sent"
    uow.commit()
    assert msg.provider == "outbox" and msg.sent_at is not None
    assert timeline_actions(wo_in_repair) == ["message_sent"]


def test_a_revised_promise_tells_the_customer_the_new_time(wo_in_repair, mover):
    old = wo_in_repair.promised_at
    new = (old + timedelta(days=1, hours=2)).replace(microsecond=0)
    mover.run(wo_in_repair, "revise_promise", promised_at=new.isoformat(), reason="Parts on order",
              agreed_by="the owner", channel="phone")
    [msg] = messages(kind="promised_time_revised")
    assert msg.state == "queued" and msg.recipient == wo_in_repair.customer.phone
    shown = msg.params["promised_at"]
    assert shown and shown in msg.body
    assert shown[:10] == new.astimezone(ZoneInfo(wo_in_repair.store.timezone)).strftime("%Y-%m-%d")


def test_rolled_back_action_sends_nothing(wo_in_repair):
    WF.perform(wo_in_repair, "request_extra_work", {"lines": [EXTRA_A]}, wo_in_repair.assignee)
    assert messages(kind="extra_work_approval")  # written inside the action's transaction …
    uow.rollback()
    uow.commit()
    assert messages(kind="extra_work_approval") == []  # … and gone with it
    assert mail_job_ids() == []  # nothing was enqueued


def test_quiet_hours_hold_sms_until_morning(wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    clock.set_now(at_local(22, 30))
    assert sending.send(msg.id) == "held (quiet_hours)"
    uow.commit()
    assert msg.state == "held" and msg.reason == "quiet_hours"
    assert msg.next_attempt_at == at_local(8, 0, day=8)
    clock.set_now(at_local(7, 59, day=8))
    assert sending.send(msg.id) == "not yet"
    assert sending.dispatch_due() == 0
    clock.set_now(at_local(8, 0, day=8))
    assert sending.dispatch_due() == 1
    assert sending.send(msg.id) == "sent"
    assert "message_held" in timeline_actions(wo_in_repair)


def test_quiet_hours_do_not_hold_wechat(wo_in_repair, mover):
    services.set_preference(wo_in_repair.customer, {"channel": "wechat", "wechat_openid": "oABC123"})
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    assert msg.channel == "wechat"
    clock.set_now(at_local(23))
    assert sending.send(msg.id) == "sent"


def test_opt_out_reply_skips_later_messages(wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    [first] = messages(kind="extra_work_approval")
    phone = wo_in_repair.customer.phone
    assert services.inbound_sms(phone, "hello") == 0
    assert services.inbound_sms(phone, " td ") == 1  # 回复TD退订
    uow.commit()
    assert sending.send(first.id) == "skipped"  # queued before the opt-out: not sent either
    jobs.connection().flushdb()  # the first message's kick
    request_extra(mover, wo_in_repair, lines=[EXTRA_A])
    second = messages(kind="extra_work_approval")[-1]
    assert second.state == "skipped" and second.reason == "opted_out"
    assert mail_job_ids() == []  # nothing to send: no sender kicked
    assert timeline_actions(wo_in_repair)[-1] == "message_skipped"


def test_no_consent_and_reminders_need_explicit_consent(wo_in_repair):
    msg = services.queue_message(wo_in_repair, "service_reminder", {}, dedupe="r1")
    assert msg.state == "skipped" and msg.reason == "no_consent"
    services.set_preference(wo_in_repair.customer, {"consent": True})
    assert services.queue_message(wo_in_repair, "service_reminder", {}, dedupe="r2").state == "queued"
    services.set_preference(wo_in_repair.customer, {"consent": False})
    assert services.queue_message(wo_in_repair, "car_ready", {}, dedupe="r3").state == "skipped"


def test_daily_cap_holds_the_rest_until_tomorrow(app, monkeypatch, wo_in_repair):
    monkeypatch.setitem(app.config, "MESSAGING_DAILY_CAP", 2)
    sent = [services.queue_message(wo_in_repair, "car_ready", {}, dedupe=f"d{i}") for i in range(3)]
    uow.commit()
    assert [sending.send(m.id) for m in sent] == ["sent", "sent", "held (daily_cap)"]
    assert sent[2].next_attempt_at == at_local(8, 0, day=8)
    clock.set_now(at_local(8, 5, day=8))
    assert sending.send(sent[2].id) == "sent"


def test_the_same_event_never_queues_twice(wo_in_repair):
    assert services.queue_message(wo_in_repair, "car_ready", {}, dedupe="x") is not None
    assert services.queue_message(wo_in_repair, "car_ready", {}, dedupe="x") is None
    assert len(messages(kind="car_ready")) == 1


def test_phone_numbers_are_masked_in_logs_and_timeline(wo_in_repair, mover, caplog):
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    caplog.set_level("INFO", logger="claimdesk.messaging.sending")
    sending.send(msg.id)
    phone = msg.recipient
    assert phone not in caplog.text and f"{phone[:3]}****{phone[-4:]}" in caplog.text
    data = [e.data for e in db.session.scalars(sa.select(CaseEvent).where(CaseEvent.kind == "message"))]
    assert all(phone not in str(d) for d in data)


@pytest.mark.parametrize("answers, states", [
    (["rate_limited", "ok"], ["retrying", "sent"]),
    (["timeout", "ok"], ["retrying", "sent"]),
    (["invalid_number"], ["failed"]),
    (["rate_limited"] * 5, ["retrying", "retrying", "retrying", "retrying", "failed"]),
])
def test_provider_failure_retries_with_backoff_and_leaves_the_case_alone(aliyun, wo_in_repair, mover, answers,
                                                                         states):
    from claimdesk.messaging.models import MessageTemplate

    db.session.add(MessageTemplate(kind="extra_work_approval", locale="zh", body="{customer} {link}",
                                   sms_template_code="SMS_123456789"))
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    version = wo_in_repair.version
    aliyun.script = list(answers)
    seen = []
    for _ in states:
        if msg.next_attempt_at is not None:
            clock.set_now(msg.next_attempt_at)
        seen.append(sending.send(msg.id))
        uow.commit()
    assert seen == states
    assert wo_in_repair.version == version and wo_in_repair.state == "in_repair"  # the case is untouched
    delays = [r for r in aliyun.requests if r["api"] == "aliyun"]
    assert len(delays) == len(states)
    assert delays[0]["TemplateCode"] == "SMS_123456789" and delays[0]["PhoneNumbers"] == msg.recipient
    actions = timeline_actions(wo_in_repair)
    assert actions[-1] == {"sent": "message_sent", "failed": "message_failed"}[states[-1]]
    if "retrying" in states:
        assert "message_retrying" in actions


def test_retry_backoff_grows(aliyun, app, wo_in_repair):
    db.session.add(ContactPreference(customer_id=wo_in_repair.customer_id, channel="sms"))
    msg = services.queue_message(wo_in_repair, "car_ready", {}, dedupe="b")
    msg.template_code = "SMS_1"
    uow.commit()
    aliyun.script = ["rate_limited"] * 3
    gaps = []
    for _ in range(3):
        start = clock.now()
        sending.send(msg.id)
        gaps.append((msg.next_attempt_at - start).total_seconds())
        clock.set_now(msg.next_attempt_at)
    assert gaps == [float(s) for s in app.config["MESSAGING_RETRY_SECONDS"][:3]]
    assert gaps == sorted(gaps)


def test_delivery_report_recorded_on_the_timeline(wo_in_repair):
    msg = services.queue_message(wo_in_repair, "car_ready", {}, dedupe="dr")
    sending.send(msg.id)
    assert services.delivery_report(msg.id, True, None)
    assert msg.reason == "delivered"
    assert timeline_actions(wo_in_repair)[-1] == "message_delivered"


def test_sweep_re_enqueues_a_message_redis_lost(wo_in_repair, queue_conn):
    from claimdesk.messaging import jobs as messaging_jobs

    msg = services.queue_message(wo_in_repair, "car_ready", {}, dedupe="lost")
    uow.commit()
    queue_conn.flushdb()  # the kick and its job are lost
    clock.set_now(clock.now() + timedelta(minutes=1))
    assert sending.dispatch_due() == 1
    assert mail_jobs() == [services.SENDER]
    assert messaging_jobs.send_due_messages() == "1 message(s)"
    uow.commit()
    assert msg.state == "sent"
    assert sending.dispatch_due() == 0


def test_provider_pushes_replies_and_receipts(app, client, monkeypatch, wo_in_repair):
    monkeypatch.setitem(app.config, "MESSAGING_HOOK_TOKEN", "s3cret")
    msg = services.queue_message(wo_in_repair, "car_ready", {}, dedupe="hook")
    sending.send(msg.id)
    uow.commit()
    phone = wo_in_repair.customer.phone
    assert client.post("/api/v1/messaging/hooks/wrong/aliyun/sms-up", json=[]).status_code == 404
    report = [{"phone_number": phone, "send_time": "2026-12-07 10:00:01", "report_time": "2026-12-07 10:00:05",
               "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
               "biz_id": "932702304080415357^0", "out_id": str(msg.id)}]
    resp = client.post("/api/v1/messaging/hooks/s3cret/aliyun/sms-report", json=report)
    assert resp.json == {"code": 0, "msg": "成功"}
    db.session.expire_all()
    assert msg.reason == "delivered"
    up = [{"phone_number": f"+86{phone}", "send_time": "2026-12-07 10:05:00", "content": "TD",
           "sign_name": "测试4S店", "dest_code": "1234", "sequence_id": 1234567890}]
    assert client.post("/api/v1/messaging/hooks/s3cret/aliyun/sms-up", json=up).json["code"] == 0
    pref = db.session.get(ContactPreference, wo_in_repair.customer_id)
    assert pref.opted_out_at is not None and pref.opt_out_source == "sms_reply"


def test_api_lists_messages_masked_and_manages_links(api_as, advisor, wo_in_repair, mover, other_store, make_user):
    request_extra(mover, wo_in_repair)
    api = api_as(advisor)
    r = api.get(f"messages?case_type=work_order&case_id={wo_in_repair.id}")
    assert r.status_code == 200 and r.json["total"] == 1
    item = r.json["items"][0]
    assert item["kind"] == "extra_work_approval" and "****" in item["recipient"]
    r = api.put(f"customers/{wo_in_repair.customer_id}/contact-preference", json={"channel": "wechat"})
    assert r.status_code == 422 and "wechat_openid" in r.json["error"]["fields"]
    r = api.put(f"customers/{wo_in_repair.customer_id}/contact-preference",
                json={"channel": "wechat", "wechat_openid": "oX1", "consent": True})
    assert r.status_code == 200 and r.json["channel"] == "wechat" and r.json["consent"] is True
    r = api.post(f"work-orders/{wo_in_repair.id}/status-link")
    assert r.status_code == 201 and r.json["state"] == "ok" and "/s/" in r.json["url"]
    r = api.delete(f"work-orders/{wo_in_repair.id}/status-link")
    assert r.status_code == 200 and {x["state"] for x in r.json} == {"revoked"}
    stranger = api_as(make_user("advisor", username="far", store=other_store))
    assert stranger.post(f"work-orders/{wo_in_repair.id}/status-link").status_code == 404
    assert stranger.get("messages").json["total"] == 0


def test_service_reminders_only_with_consent_and_once(wo_in_repair):
    from claimdesk.customers.models import Vehicle

    vehicle = db.session.get(Vehicle, wo_in_repair.vehicle_id)
    vehicle.next_service_date = (clock.now() + timedelta(days=7)).date()
    assert services.service_reminders() == 0  # consent not asked: no reminder
    services.set_preference(wo_in_repair.customer, {"consent": True})
    assert services.service_reminders() == 1
    assert services.service_reminders() == 0  # once per vehicle and due date
    [msg] = messages(kind="service_reminder")
    assert vehicle.next_service_date.isoformat() in msg.body and "/s/" not in msg.body


def test_complaint_received_is_a_draft_of_the_creation_rendered_by_the_sender(daytime, clerk, advisor):
    from claimdesk.messaging import jobs as messaging_jobs
    from tests.complaints.factories import open_complaint

    complaint = open_complaint(clerk)
    complaint.assignee_id = advisor.id
    uow.commit()
    [msg] = messages(kind="complaint_received")  # written in the creation's transaction …
    assert msg.state == "queued" and services.is_draft(msg) and msg.case_id == complaint.id
    assert mail_jobs() == [services.SENDER]  # … and the sender kicked after its commit
    assert messaging_jobs.send_due_messages() == "1 message(s)"
    uow.commit()
    assert msg.state == "sent" and not services.is_draft(msg)
    assert advisor.display_name in msg.body and "/s/" in msg.body and msg.params["number"] == complaint.number
    assert msg.recipient == complaint.customer.phone
    assert timeline_actions(complaint) == ["message_sent"]


def test_a_rolled_back_creation_leaves_no_message_and_kicks_nothing(daytime, clerk):
    from tests.complaints.factories import open_complaint

    open_complaint(clerk, commit=False)
    assert len(messages(kind="complaint_received")) == 1
    uow.rollback()
    uow.commit()
    assert messages(kind="complaint_received") == [] and mail_job_ids() == []
