"""The complaint pages: intake by phone or plate (with prefill from the work-order page), the list
and its filters, my complaints, the complaint page with history and action forms, the report, and
the full flow through the forms."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimdesk.complaints.models import Complaint
from claimdesk.core import clock
from claimdesk.extensions import db
from claimdesk.workorders.models import WorkOrder
from tests.complaints.factories import ComplaintFactory, open_complaint

T0 = datetime(2026, 4, 7, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen():
    clock.set_now(T0)
    yield


def html(resp) -> str:
    return resp.get_data(as_text=True)


def only(stmt):
    return db.session.scalars(stmt).one()


def test_pages_need_login(client):
    resp = client.get("/complaints/mine")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_intake_search_by_phone_and_by_plate(login, clerk, customer, vehicle):
    client = login(clerk)
    page = html(client.get("/complaints/new?q=1391234"))
    assert "王芳" in page and "粤B12345" in page
    assert f"customer_id={customer.id}" in page and f"vehicle_id={vehicle.id}" in page
    page = html(client.get("/complaints/new?q=粤B12345"))
    assert "王芳" in page
    page = html(client.get("/complaints/new?q=13000000000"))
    assert "No customer found" in page and "/customers/new?next=" in page


def test_intake_prefill_from_the_work_order_page(login, clerk, advisor, customer, vehicle):
    from claimdesk.core import uow
    from claimdesk.workorders.services import open_work_order

    wo = open_work_order(advisor, {"customer_id": customer.id, "vehicle_id": vehicle.id, "mileage_km": 30000,
                                   "customer_description": "Service"})
    uow.commit()
    client = login(clerk)
    page = html(client.get(f"/complaints/new?customer_id={customer.id}&vehicle_id={vehicle.id}"
                           f"&work_order_id={wo.id}&channel=callback"))
    assert "王芳" in page
    assert re.search(rf'<option value="{wo.id}" selected>', page)
    assert re.search(r'<option value="callback" selected>', page)
    assert re.search(rf'<option value="{vehicle.id}" selected>', page)


def test_intake_with_only_a_vehicle_finds_the_customer(login, clerk, customer, vehicle):
    page = html(login(clerk).get(f"/complaints/new?vehicle_id={vehicle.id}"))
    assert "王芳" in page and 'name="customer_id"' in page


def test_new_customer_inline_comes_back_with_the_customer(login, clerk):
    client = login(clerk)
    resp = client.post("/customers/new?next=/complaints/new%3Fchannel%3Dletter",
                       data={"name": "赵敏", "phone": "13511112222"})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith("/complaints/new?channel=letter&customer_id=")
    page = html(client.get(location))
    assert "赵敏" in page and re.search(r'<option value="letter" selected>', page)


def test_intake_form_creates_the_complaint(login, clerk, customer, vehicle):
    client = login(clerk)
    resp = client.post(f"/complaints/new?customer_id={customer.id}", data={
        "customer_id": customer.id, "vehicle_id": vehicle.id, "channel": "manufacturer", "category": "parts",
        "severity": "", "description": "Part on back-order for six weeks.", "external_reference": "OEM-4411",
        "deadline_at": "2026-04-10T18:00", "assignee_id": clerk.id})
    assert resp.status_code == 302, html(resp)[:2000]
    c = only(sa.select(Complaint))
    assert resp.headers["Location"].endswith(f"/complaints/{c.id}")
    assert c.severity == "high" and c.external_reference == "OEM-4411"
    # the deadline was typed in the store's time zone (Asia/Shanghai, UTC+8)
    assert c.deadline_at == datetime(2026, 4, 10, 10, 0, tzinfo=timezone.utc)


def test_intake_form_errors_are_shown_and_nothing_is_written(login, clerk, customer):
    client = login(clerk)
    resp = client.post(f"/complaints/new?customer_id={customer.id}", data={
        "customer_id": customer.id, "channel": "pigeon", "category": "parts", "description": "  "})
    assert resp.status_code == 422
    page = html(resp)
    assert "Please correct the marked fields." in page and "is-invalid" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_workshop_cannot_open_the_intake(login, workshop):
    assert login(workshop).get("/complaints/new").status_code == 403


def test_mine_shows_next_step_and_hides_others(login, clerk, advisor, customer):
    mine = open_complaint(clerk, customer)
    theirs = open_complaint(advisor, customer)
    page = html(login(clerk).get("/complaints/mine"))
    assert mine.number in page and theirs.number not in page
    assert "record their own account" in page


def test_list_filters_on_the_page(login, clerk, customer, store):
    ComplaintFactory(customer=customer, channel="letter", category="price", number="CP-2026-000501")
    ComplaintFactory(customer=customer, channel="phone", category="parts", severity="high",
                     number="CP-2026-000502", created_at=T0 - timedelta(days=30))
    client = login(clerk)
    page = html(client.get("/complaints/?channel=letter"))
    assert "CP-2026-000501" in page and "CP-2026-000502" not in page
    page = html(client.get("/complaints/?severity=high&category=parts"))
    assert "CP-2026-000502" in page and "CP-2026-000501" not in page
    page = html(client.get("/complaints/?from=2026-04-01&to=2026-04-07"))
    assert "CP-2026-000501" in page and "CP-2026-000502" not in page
    page = html(client.get("/complaints/?q=粤"))  # no vehicle matches
    assert "No complaint matches" in page
    resp = client.get("/complaints/?state=lost")
    assert resp.status_code == 422 and "Some filters are invalid" in html(resp)


def test_detail_shows_history_timeline_and_the_one_next_form(login, clerk, advisor, customer, vehicle):
    earlier = ComplaintFactory(customer=customer, number="CP-2025-000077", state="closed",
                               created_at=T0 - timedelta(days=200))
    c = open_complaint(clerk, customer, vehicle=vehicle)
    page = html(login(advisor).get(f"/complaints/{c.id}"))
    assert c.number in page and "The customer's history" in page.replace("&#39;", "'")
    assert earlier.number in page
    assert f'/complaints/{c.id}/actions/listen' in page
    assert f'/complaints/{c.id}/actions/resolve' not in page
    assert "Complaint logged" in page  # timeline


def test_detail_of_other_store_is_404(login, clerk, other_store, make_user):
    outsider = make_user("advisor", store=other_store, username="far")
    c = open_complaint(outsider, store=other_store)
    assert login(clerk).get(f"/complaints/{c.id}").status_code == 404


def test_full_flow_through_the_forms(login, clerk, advisor, client, customer, vehicle):
    c = open_complaint(clerk, customer, vehicle=vehicle)
    login(advisor)
    url = f"/complaints/{c.id}/actions"
    resp = client.post(f"{url}/listen", data={"account": "It rattles at 60 km/h.", "met_where": "lounge",
                                              "met_by_id": advisor.id, "met_at": "", "version": c.version})
    assert resp.status_code == 302
    db.session.expire_all()
    assert c.state == "apologise" and c.met_where == "lounge"
    client.post(f"{url}/apologise", data={"note": "Sorry for the trouble."})
    resp = client.post(f"{url}/resolve", data={
        "attribution": "our_fault", "resolution": "Re-tighten the heat shield.", "root_cause": "Loose clip.",
        "cost_to_store": "120", "labour_waived": "80.00", "discount": "", "compensation": "",
        "customer_accepted": "true", "create_work_order": "true", "mileage_km": "", "work_order_description": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert c.state == "follow_up" and c.customer_accepted is True
    rework = db.session.get(WorkOrder, c.resolution_work_order_id)
    assert rework.pay_type == "internal"
    page = html(client.get(f"/complaints/{c.id}"))
    assert rework.number in page and "Rework work order" in page
    client.post("/logout")
    login(clerk)
    resp = client.post(f"{url}/follow_up", data={"satisfied": "true", "note": "All quiet now."})
    assert resp.status_code == 302
    db.session.expire_all()
    assert c.state == "closed"
    page = html(client.get(f"/complaints/{c.id}"))
    assert "Nothing to do: the complaint is closed." in page
    report = html(client.get(f"/complaints/{c.id}/report"))
    assert "Customer complaint report" in report and "Loose clip." in report and rework.number in report
    assert "¥120.00" in report and "data-print" in report


def test_refused_form_action_flashes_the_reason_and_changes_nothing(login, clerk, customer):
    c = open_complaint(clerk, customer)
    client = login(clerk)
    resp = client.post(f"/complaints/{c.id}/actions/listen", data={"account": "   "},
                       headers={"Referer": f"/complaints/{c.id}"})
    assert resp.status_code == 302
    page = html(client.get(f"/complaints/{c.id}"))
    assert "Some fields are invalid." in page and "account" in page
    db.session.expire_all()
    assert c.state == "listen"
    resp = client.post(f"/complaints/{c.id}/actions/close", data={"reason": "x"})
    page = html(client.get(f"/complaints/{c.id}"))
    assert "Your role may not do this: " in page


def test_manager_sees_close_and_escalation_forms(login, manager, store_manager, clerk, customer):
    c = open_complaint(clerk, customer)
    client = login(manager)
    page = html(client.get(f"/complaints/{c.id}"))
    assert f"/complaints/{c.id}/actions/close" in page and f"/complaints/{c.id}/actions/escalate" in page
    client.post(f"/complaints/{c.id}/actions/escalate", data={"reason": "VIP"})
    db.session.expire_all()
    assert c.escalation_level == 1
    page = html(client.get(f"/complaints/{c.id}"))
    assert "escalated L1" in page and f"/complaints/{c.id}/actions/acknowledge" in page


def test_pause_form_and_paused_next_step(login, clerk, customer):
    c = open_complaint(clerk, customer)
    client = login(clerk)
    client.post(f"/complaints/{c.id}/actions/pause", data={"reason": "waiting_manufacturer", "note": ""})
    page = html(client.get(f"/complaints/{c.id}"))
    assert "Paused (Waiting on the manufacturer)" in page
    assert f"/complaints/{c.id}/actions/resume" in page


def test_search_box_jumps_to_a_complaint_number(login, clerk, customer):
    c = open_complaint(clerk, customer)
    resp = login(clerk).get(f"/search?q={c.number.lower()}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/complaints/{c.id}")


def test_customer_page_lists_complaints_and_links_new(login, clerk, customer):
    c = open_complaint(clerk, customer)
    page = html(login(clerk).get(f"/customers/{customer.id}"))
    assert c.number in page and f"/complaints/new?customer_id={customer.id}" in page


def test_home_panel_and_nav(login, clerk, customer):
    c = open_complaint(clerk, customer)
    page = html(login(clerk).get("/"))
    assert "My complaints" in page and c.number in page and 'href="/complaints/mine"' in page


def test_pages_in_chinese(login, clerk, customer, client):
    c = open_complaint(clerk, customer)
    login(clerk)
    client.post("/lang/zh")
    page = html(client.get(f"/complaints/{c.id}"))
    assert "投诉" in page and "倾听" in page


def test_manager_home_shows_unacknowledged_escalations(login, manager, clerk, customer):
    c = open_complaint(clerk, customer)
    ComplaintFactory(customer=customer, number="CP-2026-000900", escalation_level=1)  # e.g. by the SLA ladder
    from claimdesk.complaints.workflow import WF
    from claimdesk.core import uow

    WF.perform(c, "escalate", {}, clerk)
    uow.commit()
    client = login(manager)
    page = html(client.get("/"))
    assert "Escalated complaints not yet acknowledged" in page
    assert c.number in page and "CP-2026-000900" in page
    page = html(client.get("/complaints/?escalated=true&open=true"))
    assert c.number in page and "CP-2026-000900" in page
    client.post(f"/complaints/{c.id}/actions/acknowledge", data={})
    page = html(client.get("/"))
    assert "CP-2026-000900" in page
    assert page.count(c.number) == 1  # now only in "My complaints" (acknowledged: assigned to the manager)


def test_intake_preselects_the_only_vehicle(login, clerk, customer, vehicle):
    page = html(login(clerk).get(f"/complaints/new?customer_id={customer.id}"))
    assert re.search(rf'<option value="{vehicle.id}" selected>', page)
