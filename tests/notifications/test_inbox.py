"""The inbox: API, page, the bell, one notice per clock and level, the e-mail copy."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from claimdesk.core import clock as core_clock
from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.notifications import services
from claimdesk.notifications.models import Notification
from claimdesk.sla import batch
from tests.sla.conftest import move


def breach():
    move(timedelta(minutes=61))
    batch.process_due([c for c, _g, _l in batch.due_clock_ids(core_clock.now())])
    uow.commit()


def test_inbox_api_lists_own_notices_and_marks_read(api_as, policies, gadget, ladder_people):
    breach()
    mgr, assignee = api_as(ladder_people["manager"]), api_as(ladder_people["assignee"])
    body = mgr.get("notifications").json
    assert body["total"] == 1 and body["unread"] == 1
    item = body["items"][0]
    assert item["kind"] == "sla.breach" and gadget.number in item["title"] and "overdue" in item["title"]
    assert item["case_type"] == "gadget" and item["case_id"] == gadget.id and item["read_at"] is None
    assert assignee.post(f"notifications/{item['id']}/read").status_code == 404  # not theirs
    read = mgr.post(f"notifications/{item['id']}/read")
    assert read.status_code == 200 and read.json["read_at"] is not None
    assert mgr.get("notifications?unread=true").json["total"] == 0
    assert assignee.get("notifications").json["unread"] == 1  # the breach (the warning was skipped)
    assert assignee.post("notifications/read-all").json == {"marked": 1}


def test_one_notice_per_recipient_clock_and_level(policies, gadget, ladder_people):
    rows = [{"user_id": ladder_people["manager"].id, "kind": "sla.breach", "dedupe_key": "sla:1:1:2",
             "data": {}, "created_at": core_clock.now()}]
    assert len(services.deliver(rows)) == 1
    assert services.deliver(rows) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_inbox_page_and_bell(client, login, policies, gadget, ladder_people):
    breach()
    login(ladder_people["manager"])
    home = client.get("/").get_data(as_text=True)
    assert 'data-bell-count>1<' in home
    page = client.get("/notifications/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and gadget.number in html and "inbox-unread" in html
    n = db.session.scalar(sa.select(Notification).where(Notification.user_id == ladder_people["manager"].id))
    assert client.post(f"/notifications/{n.id}/open").status_code == 302
    assert 'data-bell-count><' in client.get("/").get_data(as_text=True)
    assert client.post("/notifications/read-all").status_code == 302


def test_email_copy_is_a_job_that_sends_once(app, monkeypatch, policies, gadget, ladder_people):
    sent = []
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://mail.example.com:25")
    monkeypatch.setattr(services, "smtp_send", lambda url, msg: sent.append((url, msg["To"], msg["Subject"])))
    move(timedelta(minutes=46))
    batch.process_due([c for c, _g, _l in batch.due_clock_ids(core_clock.now())])
    uow.commit()
    n = db.session.scalar(sa.select(Notification).where(Notification.user_id == ladder_people["assignee"].id))
    from claimdesk import jobs

    queued = jobs.get_queue("mail").get_job_ids()
    assert queued == [f"mail-notification-{n.id}"]
    assert services.send_email(n.id) == "sent"
    uow.commit()
    assert services.send_email(n.id) == "already sent"
    assert sent == [("smtp://mail.example.com:25", "assignee@example.com", f"{gadget.number}: gadget.reply is at risk")]


def test_smtp_failure_raises_for_rq_to_retry(app, monkeypatch, policies, gadget, ladder_people):
    import pytest

    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:1")
    n_id = services.notify([ladder_people["assignee"].id], "sla.warning", "k1",
                           data={"number": gadget.number, "timer": "gadget.reply"})[0]
    with pytest.raises(OSError):
        services.send_email(n_id)
    assert db.session.get(Notification, n_id).email_state is None
