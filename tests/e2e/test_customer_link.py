"""A customer acts from a message's link on a phone: staff find the message in the outbox, the customer
(phone-sized viewport, Chinese) approves one extra-work line and declines another, uploads two claim
documents, and the advisor sees all of it on the case pages and timelines. A revoked link answers a
clear page without data."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from claimdesk.core import uow
from claimdesk.workorders.services import open_work_order
from tests.claims.factories import PDF, advance, new_claim
from tests.e2e.conftest import ARTIFACTS, TIMEOUT_MS
from tests.factories import VehicleFactory
from tests.messaging.conftest import EXTRA_A, EXTRA_B, Mover

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def _jpeg() -> bytes:
    import io

    from PIL import Image

    img = Image.new("RGB", (120, 90), (30, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel X"
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _link_in_outbox(s, number: str) -> str:
    row = s.page.locator("table.outbox tbody tr", has_text=number).first
    text = row.locator(".outbox-body").inner_text()
    return re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", text).group(0)


def test_customer_acts_from_the_link_on_a_phone(staff, chromium, live_server, store, advisor, workshop):
    vehicle = VehicleFactory(customer__store=store, customer__name="王先生", plate="粤B12345")
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 30000, "customer_description": "刹车异响"})
    uow.commit()
    mover = Mover(advisor, workshop)
    mover.to(wo, "in_repair")
    mover.run(wo, "request_extra_work", lines=[EXTRA_A, EXTRA_B])
    claim = new_claim(advisor, store, customer=vehicle.customer, vehicle=vehicle)
    advance(claim, advisor, "documents")
    wo_number, claim_number = wo.number, claim.number

    # The advisor finds the messages in the outbox (no provider configured: stored, not sent).
    s = staff(advisor)
    s.goto("/messaging/outbox")
    s.shot("outbox")
    wo_link = _link_in_outbox(s, wo_number).replace("http://localhost:5000", live_server)
    claim_link = _link_in_outbox(s, claim_number).replace("http://localhost:5000", live_server)

    phone = chromium.new_context(base_url=live_server, **PHONE)
    phone.set_default_timeout(TIMEOUT_MS)
    page = phone.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.url} {r.status}") if r.status >= 500 else None)
    try:
        page.goto(wo_link)
        expect(page.locator("h1")).to_have_text("您的车辆维修保养")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        first = page.locator("fieldset", has_text=EXTRA_A["description"])
        second = page.locator("fieldset", has_text=EXTRA_B["description"])
        first.get_by_text("同意").click()
        second.get_by_text("拒绝").click()
        page.screenshot(path=str(ARTIFACTS / "customer_link-phone-01-extra-work.png"), full_page=True)
        with page.expect_navigation():
            page.get_by_role("button", name="提交我的确认").click()
        expect(page.locator("[data-flash=success]")).to_contain_text("您的确认已记录")
        expect(page.locator("#extra-work")).to_have_count(0)
        expect(page.locator("[data-decided]")).to_have_count(2)

        page.goto(claim_link)
        expect(page.locator("h1")).to_have_text("您的保险理赔")
        for payload, name, mime in ((_jpeg(), "licence.jpg", "image/jpeg"), (PDF, "id.pdf", "application/pdf")):
            kind = page.locator("#doc-kind option").first.get_attribute("value")
            page.locator("#doc-kind").select_option(kind)
            page.locator("#doc-file").set_input_files({"name": name, "mimeType": mime, "buffer": payload})
            with page.expect_navigation():
                page.get_by_role("button", name="上传").click()
            expect(page.locator("[data-flash=success]")).to_contain_text("已收到")
            expect(page.locator(f"[data-doc={kind}]")).to_have_attribute("data-doc-status", "received")
        page.screenshot(path=str(ARTIFACTS / "customer_link-phone-02-documents.png"), full_page=True)
        assert not problems, problems

        # The advisor sees it all on the cases.
        s.goto(f"/work-orders/{wo.id}")
        body = s.page.locator("main")
        expect(body).to_contain_text("status link")
        expect(body).to_contain_text(EXTRA_A["description"])
        timeline = s.page.locator("ol.timeline")
        expect(timeline).to_contain_text("Record customer's decision")
        s.shot("work-order-after-customer")
        s.goto(f"/claims/{claim.id}")
        expect(s.page.locator("main")).to_contain_text("status link")
        s.shot("claim-after-customer")
        s.goto(f"/messaging/cases/work_order/{wo.id}")
        expect(s.page.locator("[data-link-action=approve_line]")).to_have_count(1)
        expect(s.page.locator("[data-link-action=decline_line]")).to_have_count(1)

        # The advisor revokes the work order's link: the phone now sees a clear page, no data.
        s.press("Revoke")
        resp = page.goto(wo_link)
        assert resp.status == 410
        expect(page.locator("h1")).to_have_text("此链接已失效")
        assert wo_number not in page.content()
        page.screenshot(path=str(ARTIFACTS / "customer_link-phone-03-revoked.png"), full_page=True)
        assert [p for p in problems if "410" not in p] == [], problems  # the 410 itself is the answer
    finally:
        phone.close()
