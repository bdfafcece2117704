"""Uploads: type by content, size limit (413), storage by hash, and access only through the case."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from claimdesk.documents.models import Document
from claimdesk.extensions import db
from tests.claims.factories import EXE, JPEG, PDF, PNG, InsurerFactory, new_claim
from tests.factories import UserFactory


@pytest.fixture
def claim(advisor, store):
    return new_claim(advisor, store, InsurerFactory())


def upload(api, claim, kind, data, filename):
    return api.post(f"claims/{claim.id}/documents", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                    content_type="multipart/form-data")


@pytest.mark.parametrize("data,filename,mime", [(PDF, "policy.pdf", "application/pdf"),
                                                (PNG, "licence.png", "image/png"),
                                                (JPEG, "身份证.jpg", "image/jpeg"),
                                                (PNG, "no-extension", "image/png")])
def test_accepted_types_by_content(claim, advisor, api_as, app, data, filename, mime):
    resp = upload(api_as(advisor), claim, "policy", data, filename)
    assert resp.status_code == 201, resp.json
    doc = resp.json["document"]
    assert doc["content_type"] == mime and doc["size"] == len(data) and doc["original_filename"] == filename
    assert doc["sha256"] == hashlib.sha256(data).hexdigest() and doc["uploaded_by_id"] == advisor.id
    assert resp.json["item"]["status"] == "received" and resp.json["item"]["document_id"] == doc["id"]
    stored = Path(app.config["UPLOAD_FOLDER"]) / doc["sha256"][:2] / doc["sha256"]
    assert stored.read_bytes() == data
    assert not str(stored).startswith(str(Path(app.static_folder)))


def test_renamed_executable_rejected_by_content(claim, advisor, api_as):
    resp = upload(api_as(advisor), claim, "policy", EXE, "policy.pdf")
    assert resp.status_code == 415 and resp.json["error"]["code"] == "unsupported_media_type"
    html = upload(api_as(advisor), claim, "policy", b"<html><script>alert(1)</script></html>", "scan.png")
    assert html.status_code == 415
    assert db.session.query(Document).count() == 0
    assert claim.checklist_item("policy").status == "missing"


def test_oversize_is_413(claim, advisor, api_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    resp = upload(api_as(advisor), claim, "policy", PDF + b"0" * 4096, "big.pdf")
    assert resp.status_code == 413 and resp.json["error"]["code"] == "payload_too_large"
    assert db.session.query(Document).count() == 0


def test_empty_and_bad_kind_are_422(claim, advisor, api_as):
    api = api_as(advisor)
    assert upload(api, claim, "policy", b"", "empty.pdf").status_code == 422
    assert upload(api, claim, "passport", PDF, "p.pdf").status_code == 422
    resp = api.post(f"claims/{claim.id}/documents", data={"kind": "policy"}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "file" in resp.json["error"]["fields"]


def test_same_bytes_stored_once(claim, advisor, api_as, app):
    api = api_as(advisor)
    a = upload(api, claim, "policy", PDF, "a.pdf").json["document"]
    b = upload(api, claim, "owner_id", PDF, "b.pdf").json["document"]
    assert a["id"] != b["id"] and a["sha256"] == b["sha256"]
    folder = Path(app.config["UPLOAD_FOLDER"]) / a["sha256"][:2]
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == [a["sha256"]]


def test_download_rules(claim, advisor, clerk, workshop, api_as, other_store):
    api = api_as(advisor)
    pdf = upload(api, claim, "policy", PDF, "保单.pdf").json["document"]
    resp = api.get(f"documents/{pdf['id']}/content")
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"documents/{pdf['id']}").json["case_id"] == claim.id
    # the clerk reads claims, so also its documents, but may not upload
    assert api_as(clerk).get(f"documents/{pdf['id']}/content").status_code == 200
    assert upload(api_as(clerk), claim, "policy", PDF, "x.pdf").status_code == 403
    # the workshop may not read claims at all
    assert api_as(workshop).get(f"documents/{pdf['id']}/content").status_code == 403
    outsider = UserFactory(role="advisor", store=other_store, username="outsider")
    assert api_as(outsider).get(f"documents/{pdf['id']}/content").status_code == 404
    assert api_as(outsider).get(f"documents/{pdf['id']}").status_code == 404
    assert upload(api_as(outsider), claim, "policy", PDF, "x.pdf").status_code == 404
    assert api.get("documents/999999/content").status_code == 404


def test_non_inline_types_are_attachments(claim, advisor, api_as, app):
    from claimdesk.documents import services

    api = api_as(advisor)
    png = upload(api, claim, "policy", PNG, "p.png").json["document"]
    doc = db.session.get(Document, png["id"])
    doc.content_type = "application/octet-stream"  # e.g. a type accepted by an older rule
    db.session.flush()
    with app.test_request_context():
        resp = services.send(doc)
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_new_upload_needs_checking_again(claim, advisor, api_as):
    from claimdesk.claims.workflow import WF
    from claimdesk.core import uow

    api = api_as(advisor)
    upload(api, claim, "policy", PDF, "a.pdf")
    WF.perform(claim, "collect_document", {"kind": "policy", "status": "verified"}, advisor)
    uow.commit()
    resp = upload(api, claim, "policy", PNG, "better.png")
    assert resp.status_code == 201 and resp.json["item"]["status"] == "received"


def test_no_uploads_on_final_claim(claim, advisor, api_as):
    api = api_as(advisor)
    api.action("claims", claim.id, "reject", reason="not covered")
    assert upload(api, claim, "policy", PDF, "a.pdf").status_code == 409


def test_oversize_form_post_goes_back_with_the_message(claim, advisor, client, login, app, monkeypatch):
    """A plain form post (no script) over the limit: back to the case page with a readable message
    naming the limit, like any other refused form, instead of a bare 413 page."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    login(advisor)
    page = f"http://localhost/claims/{claim.id}"
    resp = client.post(f"/claims/{claim.id}/documents", headers={"Referer": page},
                       data={"kind": "policy", "file": (io.BytesIO(b"\0" * (3 * 1024 * 1024)), "big.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code in (302, 303) and resp.headers["Location"].endswith(f"/claims/{claim.id}")
    text = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "The file is too large (at most 2 MB)." in text


def test_upload_forms_carry_the_limit_for_the_page_to_check(claim, advisor, client, login, app):
    login(advisor)
    text = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert f'data-upload-max-bytes="{app.config["MAX_CONTENT_LENGTH"]}"' in text
