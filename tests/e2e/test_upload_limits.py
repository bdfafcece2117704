"""Issue 16 item 10: a file over the upload limit is refused in the page, before anything is sent.

The server answers 413 without reading the body and the connection is closed under the browser's
feet, which shows as a reset (the XHR's onerror), never as the message; so the page checks the size."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.claims.factories import PNG, InsurerFactory, new_claim


def test_a_file_over_the_limit_is_refused_before_it_is_sent(staff, store, advisor, live_server):
    claim = new_claim(advisor, store, InsurerFactory())
    s = staff(advisor)
    page = s.goto(f"/claims/{claim.id}")
    upload = page.locator("form[action$='/documents']")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/documents") else None)
    limit = 10 * 1024 * 1024  # CLAIMDESK_MAX_UPLOAD_BYTES' default, which the tests keep
    upload.get_by_label("Document").select_option(label="Vehicle licence (行驶证)")
    upload.get_by_label("Scan or photo (PDF, JPEG, PNG)").set_input_files(
        {"name": "huge.png", "mimeType": "image/png", "buffer": PNG + b"\0" * limit})
    upload.get_by_role("button", name="Upload", exact=True).click()
    expect(upload.locator(".upload-progress .text-danger")).to_have_text("The file is too large (at most 10 MB).")
    assert sent == []
    expect(upload.get_by_role("button", name="Upload", exact=True)).to_be_enabled()
    # a file within the limit still goes through
    upload.get_by_label("Scan or photo (PDF, JPEG, PNG)").set_input_files(
        {"name": "small.png", "mimeType": "image/png", "buffer": PNG})
    s.press("Upload", within=upload)
    s.expect_success("uploaded")
    assert len(sent) == 1
