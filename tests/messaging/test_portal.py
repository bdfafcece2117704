"""The customer status link: scope, expiry and revocation, and what the customer does from the phone
(approve/decline extra work with the consent recorded, upload claim documents with EXIF stripped,
choose a callback time, rate the service) — all through the cases' own workflow actions."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from claimdesk.core import clock, uow
from claimdesk.core.models import CaseEvent
from claimdesk.documents.models import Document
from claimdesk.documents.services import storage_path
from claimdesk.extensions import db
from claimdesk.messaging import services
from claimdesk.messaging.models import LinkAction
from claimdesk.messaging.portal import fingerprint
from claimdesk.sla.models import SlaClock
from tests.messaging.conftest import messages, request_extra


def token_of(case) -> str:
    return services.link_for(case).token


def photo_with_gps() -> bytes:
    from PIL import Image

    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 20.0), 3: "E", 4: (116.0, 23.0, 30.0)}  # GPS
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_status_page_shows_the_case_and_nothing_else(client, wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    path = msg.params["link"].split("localhost:5000", 1)[1]
    uow.commit()
    resp = client.get(path)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert wo_in_repair.number in html and "Replace rear wiper blades" in html
    assert "待您确认的增项" in html  # Chinese first
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Additional work waiting" in client.get(path + "?lang=en").get_data(as_text=True)


def test_unknown_token_and_other_case_are_404(client, wo_in_repair, advisor, store, mover):
    from claimdesk.workorders.services import open_work_order
    from tests.factories import VehicleFactory

    other_vehicle = VehicleFactory(customer__store=store)
    other = open_work_order(advisor, {"customer_id": other_vehicle.customer_id, "vehicle_id": other_vehicle.id,
                                      "mileage_km": 30000, "customer_description": "x"})
    mover.to(other, "in_repair")
    request_extra(mover, other)
    other_line = other.pending_extra_lines[0]
    token = token_of(wo_in_repair)
    uow.commit()
    assert client.get("/s/not-a-token").status_code == 404
    # the link is scoped to its case: another case's line id is a 404 and changes nothing
    resp = client.post(f"/s/{token}/extra-work", data={f"decision_{other_line.id}": "approve",
                                                        f"shown_{other_line.id}": fingerprint(other_line)})
    assert resp.status_code == 404
    db.session.expire_all()
    assert other_line.decision == "proposed"
    assert client.post(f"/s/{token}/documents", data={"kind": "policy"}).status_code == 404  # not a claim
    assert other.number not in client.get(f"/s/{token}").get_data(as_text=True)


def test_revoked_and_expired_links_show_a_clear_page_not_data(client, app, wo_in_repair, mover, advisor):
    link = services.link_for(wo_in_repair)
    uow.commit()
    services.revoke_link(link, advisor)
    uow.commit()
    resp = client.get(f"/s/{link.token}")
    assert resp.status_code == 410
    body = resp.get_data(as_text=True)
    assert "此链接已失效" in body and wo_in_repair.number not in body
    assert client.post(f"/s/{link.token}/rating", data={"rating": "5"}).status_code == 410
    fresh = services.link_for(wo_in_repair)
    assert fresh.id != link.id
    mover.run(wo_in_repair, "cancel", reason="customer withdrew")
    token = fresh.token
    clock.set_now(clock.now() + timedelta(days=app.config["STATUS_LINK_DAYS_AFTER_CLOSE"], minutes=1))
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 410 and wo_in_repair.number not in resp.get_data(as_text=True)


def test_customer_approves_one_line_and_declines_another(client, wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    a, b = wo_in_repair.pending_extra_lines
    token = token_of(wo_in_repair)
    uow.commit()
    running = db.session.scalar(sa.select(SlaClock).where(
        SlaClock.case_id == wo_in_repair.id, SlaClock.policy_key == "work_order.extra_work_approval"))
    assert running is not None and running.state in ("running", "warning")
    resp = client.post(f"/s/{token}/extra-work", data={
        f"decision_{a.id}": "approve", f"shown_{a.id}": fingerprint(a),
        f"decision_{b.id}": "decline", f"shown_{b.id}": fingerprint(b)}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (a.decision, b.decision) == ("approved", "declined")
    assert a.decision_channel == "link" and wo_in_repair.customer.name in a.decided_by
    consent = list(db.session.scalars(sa.select(LinkAction).order_by(LinkAction.id)))
    assert [c.action for c in consent] == ["approve_line", "decline_line"]
    assert consent[0].ip == "10.1.2.3" and consent[0].data["description"] == a.description
    assert consent[0].data["amount"] == f"{a.amount:.2f}"
    clock_row = db.session.get(SlaClock, running.id)
    assert clock_row.state == "met"  # the extra-work approval clock stopped
    event = db.session.scalars(sa.select(CaseEvent).where(
        CaseEvent.case_id == wo_in_repair.id, CaseEvent.action == "decide_extra_work")).one()
    assert event.actor_id is None and event.data["channel"] == "link"


def test_a_line_changed_after_it_was_shown_is_not_decided(client, wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    a = wo_in_repair.pending_extra_lines[0]
    token = token_of(wo_in_repair)
    shown = fingerprint(a)
    a.unit_price = a.unit_price + 100
    uow.commit()
    client.post(f"/s/{token}/extra-work", data={f"decision_{a.id}": "approve", f"shown_{a.id}": shown})
    db.session.expire_all()
    assert a.decision == "proposed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LinkAction)) == 0


@pytest.fixture
def claim_in_documents(daytime, advisor, store):
    from tests.claims.factories import advance, new_claim

    claim = new_claim(advisor, store)
    claim.assignee_id = advisor.id
    return advance(claim, advisor, "documents")


def test_claim_documents_uploaded_from_the_phone(client, claim_in_documents):
    claim = claim_in_documents
    [msg] = messages(kind="documents_missing")
    missing = [d.kind for d in claim.missing_documents]
    with force_locale("zh"):  # named in the customer's language (Chinese: no preference)
        assert missing and all(str(d.label) in msg.body for d in claim.missing_documents[:2])
    token = token_of(claim)
    uow.commit()
    jpeg = photo_with_gps()
    resp = client.post(f"/s/{token}/documents", data={"kind": missing[0], "file": (io.BytesIO(jpeg), "IMG_1.jpg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    client.post(f"/s/{token}/documents", data={"kind": missing[1], "file": (io.BytesIO(pdf), "scan.pdf")},
                content_type="multipart/form-data")
    db.session.expire_all()
    assert claim.checklist_item(missing[0]).status == "received"
    assert claim.checklist_item(missing[1]).status == "received"
    doc = db.session.get(Document, claim.checklist_item(missing[0]).document_id)
    stored = storage_path(doc.sha256).read_bytes()
    from PIL import Image

    with Image.open(io.BytesIO(stored)) as img:
        assert dict(img.getexif()) == {}  # no camera, no GPS
    assert b"PhoneModel" not in stored
    # a file that is not what it says is refused by content
    client.post(f"/s/{token}/documents", data={"kind": missing[2], "file": (io.BytesIO(b"<html>"), "x.jpg")},
                content_type="multipart/form-data")
    db.session.expire_all()
    assert claim.checklist_item(missing[2]).status == "missing"
    actions = [c.action for c in db.session.scalars(sa.select(LinkAction))]
    assert actions == ["upload_document", "upload_document"]


def test_callback_time_and_rating_land_on_the_timeline(client, wo_in_repair, mover):
    token = token_of(wo_in_repair)
    uow.commit()
    later = (clock.now() + timedelta(days=1)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    client.post(f"/s/{token}/callback", data={"callback_at": later.strftime("%Y-%m-%dT%H:%M")})
    client.post(f"/s/{token}/rating", data={"rating": "4", "comment": "quick"})  # not delivered yet: still a note
    notes = [e.data["text"] for e in db.session.scalars(sa.select(CaseEvent).where(
        CaseEvent.case_id == wo_in_repair.id, CaseEvent.action == "note"))]
    assert any(later.strftime("%Y-%m-%d %H:%M") in n for n in notes)
    assert any("4/5" in n and "quick" in n for n in notes)
    assert client.post(f"/s/{token}/rating", data={"rating": "9"}).status_code == 302
    assert len(notes) == 2


def test_staff_pages(client, login, advisor, make_user, wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    uow.commit()
    login(advisor)
    html = client.get("/messaging/outbox").get_data(as_text=True)
    assert wo_in_repair.number in html and "/s/" in html
    page = client.get(f"/messaging/cases/work_order/{wo_in_repair.id}")
    assert page.status_code == 200 and "/s/" in page.get_data(as_text=True)
    assert client.get("/messaging/cases/work_order/999999").status_code == 404
    assert client.get("/messaging/templates").status_code == 403
    admin = make_user("admin", username="admin1")
    client.post("/logout")
    login(admin)
    resp = client.post("/messaging/templates/car_ready/zh", data={"body": "{customer}：{nope}", "preview": "1"})
    assert "nope" in resp.get_data(as_text=True), resp.get_data(as_text=True)[-1500:]
    resp = client.post("/messaging/templates/car_ready/zh", data={"body": "{customer}您好，车好了 {link}",
                                                                 "preview": "1"})
    assert "王先生您好，车好了" in resp.get_data(as_text=True)
    assert services.templates.current("car_ready", "zh")["edited"] is False  # preview saves nothing
    client.post("/messaging/templates/car_ready/zh", data={"body": "{customer}您好，车好了 {link}",
                                                          "sms_template_code": "SMS_1", "save": "1"})
    assert services.templates.current("car_ready", "zh")["sms_template_code"] == "SMS_1"


def test_status_link_is_rate_limited(app, client, monkeypatch, wo_in_repair):
    monkeypatch.setitem(app.config, "STATUS_LINK_RATE_LIMIT", "3 per minute")
    token = token_of(wo_in_repair)
    uow.commit()
    codes = [client.get(f"/s/{token}", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(f"/s/{token}", environ_base={"REMOTE_ADDR": "10.9.8.6"}).status_code == 200
