"""Issue 16 item 3: Idempotency-Key on the API's POSTs and one-time tokens on HTML forms.

Same key + same body → the first response replayed, nothing done twice; same key + another body → 422;
a refused request stores nothing; two identical concurrent requests act once (PostgreSQL)."""
from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from claimdesk.claims.models import Claim
from claimdesk.complaints.models import Complaint
from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.customers.models import Customer
from claimdesk.extensions import db
from tests.claims.factories import InsurerFactory, advance, new_claim
from tests.factories import CustomerFactory


def _key_model():
    from claimdesk.core.idempotency import IdempotencyKey  # imported late: absent before issue 16

    return IdempotencyKey


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _complaint(customer) -> dict:
    return {"customer_id": customer.id, "channel": "phone", "category": "waiting_time", "severity": "medium",
            "description": "Waited three hours for an oil change."}


def test_same_key_same_body_replays_the_first_response(advisor, api_as):
    api = api_as(advisor)
    body = {"name": "王伟", "phone": "13812345678"}
    first = api.post("customers", body, headers={"Idempotency-Key": "k-1"})
    # the same request again, its keys in another order: one customer, the first answer replayed
    second = api.post("customers", dict(reversed(list(body.items()))), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _count(Customer) == 1
    # without a key, or with a new one, it is a new request
    assert api.post("customers", body, headers={"Idempotency-Key": "k-2"}).status_code == 201
    assert _count(Customer) == 2


def test_twenty_identical_complaint_creates_make_one(clerk, api_as, store):
    api = api_as(clerk)
    customer = CustomerFactory(store=store)
    uow.commit()
    answers = [api.post("complaints", _complaint(customer), headers={"Idempotency-Key": "complaint-1"})
               for _ in range(20)]
    assert {a.status_code for a in answers} == {201}
    assert len({a.get_json()["number"] for a in answers}) == 1
    assert _count(Complaint) == 1


def test_same_key_other_body_or_path_is_422(advisor, api_as):
    api = api_as(advisor)
    assert api.post("customers", {"name": "A", "phone": "13812345678"},
                    headers={"Idempotency-Key": "k"}).status_code == 201
    resp = api.post("customers", {"name": "B", "phone": "13812345678"}, headers={"Idempotency-Key": "k"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "validation_error" and "Idempotency-Key" in resp.get_json()["error"]["fields"]
    resp = api.post("insurers", {"name": "PICC"}, headers={"Idempotency-Key": "k"})
    assert resp.status_code in (403, 422)
    assert _count(Customer) == 1


def test_keys_are_per_user(advisor, clerk, api_as):
    body = {"name": "A", "phone": "13812345678"}
    assert api_as(advisor).post("customers", body, headers={"Idempotency-Key": "shared"}).status_code == 201
    resp = api_as(clerk).post("customers", body, headers={"Idempotency-Key": "shared"})
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers
    assert _count(Customer) == 2


def test_a_refused_request_stores_nothing(advisor, api_as):
    api = api_as(advisor)
    bad = api.post("customers", {"name": "A"}, headers={"Idempotency-Key": "retry-me"})
    assert bad.status_code == 422
    assert _count(_key_model()) == 0
    # the client fixes the body and retries with the same key: it is done, not refused as "other body"
    good = api.post("customers", {"name": "A", "phone": "13812345678"}, headers={"Idempotency-Key": "retry-me"})
    assert good.status_code == 201 and _count(Customer) == 1


def test_an_unusable_key_is_422(advisor, api_as):
    resp = api_as(advisor).post("customers", {"name": "A", "phone": "13812345678"},
                                headers={"Idempotency-Key": "x" * 256})
    assert resp.status_code == 422 and _count(Customer) == 0


def test_partial_payout_twice_with_one_key_is_recorded_once(advisor, api_as, store):
    claim = new_claim(advisor, store, InsurerFactory())
    advance(claim, advisor, "payout")
    api = api_as(advisor)
    body = {"amount": "1000.00", "paid_at": now().isoformat()}
    a = api.post(f"claims/{claim.id}/actions/record_payout", body, headers={"Idempotency-Key": "pay-1"})
    b = api.post(f"claims/{claim.id}/actions/record_payout", body, headers={"Idempotency-Key": "pay-1"})
    assert a.status_code == b.status_code == 200, a.get_data(as_text=True)[:300]
    db.session.expire_all()
    assert len(db.session.get(Claim, claim.id).payouts) == 1
    # a second, real partial payout has its own key
    c = api.post(f"claims/{claim.id}/actions/record_payout", body, headers={"Idempotency-Key": "pay-2"})
    assert c.status_code == 200
    db.session.expire_all()
    assert len(db.session.get(Claim, claim.id).payouts) == 2


def test_upload_with_a_key_is_stored_once(advisor, api_as, store):
    import io

    from claimdesk.documents.models import Document
    from tests.claims.factories import PNG

    claim = new_claim(advisor, store, InsurerFactory())
    api = api_as(advisor)
    answers = [api.post(f"claims/{claim.id}/documents", headers={"Idempotency-Key": "scan-1"},
                        data={"kind": "policy", "file": (io.BytesIO(PNG), "p.png")},
                        content_type="multipart/form-data") for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert _count(Document) == 1


def test_multipart_part_without_a_name_with_a_key(advisor, api_as, store):
    """Found by the fuzzer: the body hash sorted the form's parts and a nameless part (None) broke it."""
    import io

    from tests.claims.factories import PNG

    claim = new_claim(advisor, store, InsurerFactory())
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\n1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npolicy\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + PNG + f"\r\n--{boundary}--\r\n".encode()
    api = api_as(advisor)
    resp = api.post(f"claims/{claim.id}/documents", data=io.BytesIO(body), headers={"Idempotency-Key": "nameless"},
                    content_type=f"multipart/form-data; boundary={boundary}")
    assert resp.status_code in (201, 422), resp.get_data(as_text=True)[:300]


def test_expired_keys_are_purged(advisor, api_as, app):
    from claimdesk.auth.jobs import purge_idempotency_keys

    api = api_as(advisor)
    for key, phone in (("old", "13812345678"), ("new", "13987654321")):
        assert api.post("customers", {"name": key, "phone": phone},
                        headers={"Idempotency-Key": key}).status_code == 201
    IdempotencyKey = _key_model()
    db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.key == "old")
                       .values(created_at=now() - timedelta(hours=24, seconds=1)))
    db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.key == "new")
                       .values(created_at=now() - timedelta(hours=23, minutes=59)))
    assert purge_idempotency_keys() == 1
    assert db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["new"]


def test_openapi_documents_the_header_on_posts(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/customers", "/api/v1/complaints", "/api/v1/claims/{case_id}/documents",
                 "/api/v1/claims/{case_id}/actions/record_payout"):
        ops = spec["paths"].get(path)
        if ops is None:  # the action routes may be documented under one templated path
            continue
        names = [p.get("name") for p in ops["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
    token = spec["paths"]["/api/v1/auth/tokens"]["post"]
    assert "Idempotency-Key" not in [p.get("name") for p in token.get("parameters", [])]


# --- HTML forms: a one-time token -------------------------------------------------------------------------
def test_a_form_submitted_twice_acts_once(login, clerk, store):
    customer = CustomerFactory(store=store)
    uow.commit()
    client = login(clerk)
    page = client.get(f"/complaints/new?customer_id={customer.id}").get_data(as_text=True)
    token = re.search(r'name="once_token" value="([^"]+)"', page).group(1)
    form = {"customer_id": customer.id, "channel": "phone", "category": "parts", "severity": "",
            "description": "Part on back-order for six weeks.", "once_token": token}
    first = client.post(f"/complaints/new?customer_id={customer.id}", data=form)
    second = client.post(f"/complaints/new?customer_id={customer.id}", data=form)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(Complaint) == 1
    # the page's next form carries a new token, so filling it in again makes a second complaint
    page = client.get(f"/complaints/new?customer_id={customer.id}").get_data(as_text=True)
    form["once_token"] = re.search(r'name="once_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/complaints/new?customer_id={customer.id}", data=form).status_code == 302
    assert _count(Complaint) == 2


def test_every_template_form_with_the_csrf_macro_carries_a_once_token(login, clerk, store):
    customer = CustomerFactory(store=store)
    uow.commit()
    page = login(clerk).get(f"/complaints/new?customer_id={customer.id}").get_data(as_text=True)
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", page, re.S)
    assert forms and all("once_token" in f for f in forms if "csrf()" not in f and "/lang/" not in f
                         and "/logout" not in f)


# --- concurrency on PostgreSQL ------------------------------------------------------------------------------
@pytest.mark.postgres
def test_two_concurrent_identical_requests_act_once(app, committed_db, store, clerk):
    """The second request's insert of the key waits on the first's uncommitted row, then replays it.

    The first request is held right after it claimed the key until PostgreSQL shows the second one
    waiting for that row lock, so the two really overlap."""
    from claimdesk.auth import services

    customer_id = CustomerFactory(store=store).id
    token, _row = services.issue_token(clerk)
    uow.commit()
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    held = threading.Event()
    overlap_seen = []

    def hold_first(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO IDEMPOTENCY_KEYS") and not held.is_set():
            held.set()
            deadline = time.monotonic() + 30
            with admin.connect() as a:
                while time.monotonic() < deadline:
                    waiting = a.scalar(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query ILIKE 'INSERT INTO idempotency_keys%'"))
                    if waiting:
                        overlap_seen.append(True)
                        return
                    time.sleep(0.02)

    results, errors = [], []
    body = {"customer_id": customer_id, "channel": "phone", "category": "parts", "severity": "medium",
            "description": "Part on back-order for six weeks."}

    def worker():
        try:
            c = app.test_client()
            results.append(c.post("/api/v1/complaints", json=body, headers={
                "Authorization": f"Bearer {token}", "Idempotency-Key": "same"}))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    event.listen(db.engine, "after_cursor_execute", hold_first)
    try:
        first = threading.Thread(target=worker)
        first.start()
        assert held.wait(30)
        second = threading.Thread(target=worker)
        second.start()
        first.join(60)
        second.join(60)
    finally:
        event.remove(db.engine, "after_cursor_execute", hold_first)
        admin.dispose()
    assert not errors
    assert overlap_seen, "the second request never waited on the first one's key"
    assert [r.status_code for r in results] == [201, 201]
    assert results[0].get_json()["number"] == results[1].get_json()["number"]
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    db.session.remove()
    assert _count(Complaint) == 1
