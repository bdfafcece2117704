"""HTML pages: list, board, reception form, the work-order page in every state, prints, and the
whole flow driven through the forms."""
from __future__ import annotations

from datetime import timedelta

import pytest

from claimdesk.core.clock import now
from claimdesk.workorders.models import WorkOrder


def _page(client, url, status=200):
    resp = client.get(url)
    assert resp.status_code == status, resp.get_data(as_text=True)[:2000]
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("state", ["reception", "estimated", "authorised", "in_repair", "quality_check", "ready",
                                   "delivered", "closed"])
def test_detail_renders_in_every_state_with_next_step(state, wo, mover, advisor, login, client):
    if state != "reception":
        mover.to(wo, state)
    login(advisor)
    html = _page(client, f"/work-orders/{wo.id}")
    assert wo.number in html and "Timeline" in html
    if state != "closed":
        assert "Next step" in html


def test_list_board_prints(wo, mover, advisor, login, client):
    mover.to(wo, "delivered")
    login(advisor)
    assert wo.number in _page(client, "/work-orders/?open=0")
    assert wo.vehicle.plate in _page(client, "/work-orders/?q=" + wo.vehicle.plate[:3] + "&open=0")
    _page(client, "/work-orders/board")
    html = _page(client, "/work-orders/board?wall=1")
    assert 'data-refresh="60"' in html and "wall" in html
    html = _page(client, f"/work-orders/{wo.id}/print")
    assert "Check-in sheet" in html and wo.vehicle.vin in html
    html = _page(client, f"/work-orders/{wo.id}/settlement")
    assert "¥780.00" in html and "Gate pass" in html


def browser(app, user):
    c = app.test_client()
    resp = c.post("/login", data={"username": user.username, "password": "secret-pass-1"})
    assert resp.status_code == 302
    return c


def _post(c, url, data, expect_flash=None):
    resp = c.post(url, data=data, headers={"Referer": url}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:1500]
    if expect_flash:
        assert expect_flash in html, html[html.find("alert"):html.find("alert") + 600]
    return html


def test_full_flow_through_the_pages(app, vehicle, advisor, workshop, clerk):
    from claimdesk.extensions import db

    from tests.factories import check_signer

    adv, ws, cr = browser(app, advisor), browser(app, workshop), browser(app, clerk)
    # one person signs one check: the technician, the team leader, the QC inspector
    by_stage = {"self": ws, "team_lead": browser(app, check_signer(workshop.store, "team_lead")),
                "final": browser(app, check_signer(workshop.store, "final"))}
    # reception: find the customer, open the work order with the check-in sheet
    html = _page(adv, f"/work-orders/new?q={vehicle.customer.phone}")
    assert f"customer_id={vehicle.customer_id}" in html
    _page(adv, f"/work-orders/new?customer_id={vehicle.customer_id}")
    resp = adv.post("/work-orders/new", data={
        "customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "mileage_km": "21000",
        "customer_description": "Squeak when braking", "pay_type": "customer", "priority": "normal",
        "fuel_level": "50", "damage__present": "1", "damage-rear_bumper": "scratch", "damage-rear_bumper-note": "2 cm",
        "covers_fitted__present": "1", "covers_fitted": "1", "licence_checked__present": "1",
        "booklet_checked__present": "1", "valuables": "umbrella"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    wo = db.session.scalars(sa_select_wo()).first()
    url = f"/work-orders/{wo.id}"
    assert wo.damage == [{"panel": "rear_bumper", "kind": "scratch", "note": "2 cm"}] and wo.covers_fitted
    assert wo.licence_checked is False and wo.fuel_level == 50
    # estimate through the line rows
    _post(adv, f"{url}/act/estimate", {
        "version": wo.version, "diagnosis": "pads worn",
        "lines-0-kind": "labour", "lines-0-description": "Replace pads", "lines-0-code": "BR01",
        "lines-0-quantity": "1.5", "lines-0-unit_price": "200", "lines-0-pay_type": "customer",
        "lines-1-kind": "part", "lines-1-description": "Brake pads", "lines-1-quantity": "1",
        "lines-1-unit_price": "480", "lines-1-pay_type": "customer",
        "lines-2-kind": "part", "lines-2-description": "Brake hose", "lines-2-quantity": "1",
        "lines-2-unit_price": "120", "lines-2-pay_type": "customer", "lines-2-safety_related": "1",
        "lines-3-description": ""}, expect_flash="Done")
    wo = _fresh(wo)
    assert wo.state == "estimated" and len(wo.lines) == 3 and wo.lines[0].operation_code == "BR01"
    hose = wo.lines[2]
    # authorise: the customer declines the (safety-related) hose
    _post(adv, f"{url}/act/authorise", {
        "signed_by": "Mr Wang", "promised_at": "2099-05-01T17:30", "signature_channel": "in_person",
        "payment_method": "wechat_pay", "old_parts": "customer_takes", f"decision-{hose.id}": "declined",
        f"decision-{wo.lines[0].id}": "approved", f"decision-{wo.lines[1].id}": "approved"}, expect_flash="Done")
    wo = _fresh(wo)
    assert wo.state == "authorised" and wo.promised_at.isoformat() == "2099-05-01T09:30:00+00:00"
    # an advisor may not dispatch: refused with the reason, nothing changes
    _post(adv, f"{url}/act/dispatch", {"team": "Team A"}, expect_flash="Your role may not do this: Dispatch")
    assert _fresh(wo).state == "authorised"
    _post(ws, f"{url}/act/dispatch", {"team": "Team A", "technician_id": str(workshop.id), "priority": "high"},
          expect_flash="Done")
    _post(ws, f"{url}/act/request_extra_work", {
        "reason": "leaking", "lines-0-kind": "part", "lines-0-description": "Brake fluid", "lines-0-quantity": "1",
        "lines-0-unit_price": "90", "lines-0-pay_type": "customer"}, expect_flash="Done")
    wo = _fresh(wo)
    extra = wo.pending_extra_lines[0]
    html = _post(ws, f"{url}/act/complete_repair", {}, expect_flash="waits for the customer")
    _post(adv, f"{url}/act/decide_extra_work", {f"decision-{extra.id}": "approved", "decided_by": "Mr Wang",
                                                "channel": "phone"}, expect_flash="Done")
    _post(ws, f"{url}/act/complete_repair", {"note": "done"}, expect_flash="Done")
    html = _post(ws, f"{url}/act/pass_check", {"stage": "team_lead"}, expect_flash="self-check is not signed")
    _post(ws, f"{url}/act/pass_check", {"stage": "self", "items__present": "1", "item-0": "1", "item-1": "1",
                                        "item-2": "1", "item-3": "1", "item-4": "1"}, expect_flash="Done")
    _post(by_stage["team_lead"], f"{url}/act/pass_check", {"stage": "team_lead", "items__present": "1", "item-0": "1"},
          expect_flash="Items failed")
    _post(by_stage["team_lead"], f"{url}/act/fail_check", {"stage": "team_lead", "reason": "pads not bedded in"},
          expect_flash="Done")
    assert _fresh(wo).rework_count == 1 and _fresh(wo).state == "in_repair"
    _post(ws, f"{url}/act/complete_repair", {}, expect_flash="Done")
    for stage in ("self", "team_lead", "final"):
        _post(by_stage[stage], f"{url}/act/pass_check", {"stage": stage}, expect_flash="Done")
    assert _fresh(wo).state == "ready"
    # the page names what still blocks delivery
    html = _page(adv, url)
    assert "declined safety-related items need the customer" in html
    _post(adv, f"{url}/act/notify_customer", {"pickup_at": "2099-05-01T18:00"}, expect_flash="Done")
    _post(adv, f"{url}/act/deliver", {"signed_by": "Mr Wang", "old_parts_handled": "1", "car_clean": "1",
                                      "nothing_left_inside": "1", "payment_method": "wechat_pay",
                                      "paid_amount": "870.00"}, expect_flash="Brake hose")
    _post(adv, f"{url}/act/deliver", {"signed_by": "Mr Wang", "old_parts_handled": "1", "car_clean": "1",
                                      "payment_method": "wechat_pay", "paid_amount": "870.00",
                                      "declined_signoff": str(hose.id)}, expect_flash="tools or covers left inside")
    _post(adv, f"{url}/act/deliver", {"signed_by": "Mr Wang", "old_parts_handled": "1", "car_clean": "1",
                                      "nothing_left_inside": "1", "payment_method": "wechat_pay",
                                      "paid_amount": "870.00", "declined_signoff": str(hose.id),
                                      "next_service_km": "31000"}, expect_flash="Done")
    assert _fresh(wo).state == "delivered"
    html = _page(adv, f"{url}/settlement")
    assert "¥870.00" in html and "Brake hose" in html and "Mr Wang" in html
    _post(cr, f"{url}/act/follow_up", {"outcome": "reached", "satisfaction": "2", "note": "still squeaks"},
          expect_flash="Done")
    wo = _fresh(wo)
    assert wo.state == "closed" and wo.satisfaction == 2
    html = _page(adv, url)
    assert "unhappy at the callback" in html and "New comeback work order" in html
    # comeback: a new work order linked to its parent
    html = _page(adv, f"/work-orders/new?customer_id={wo.customer_id}&vehicle_id={wo.vehicle_id}&parent_id={wo.id}")
    assert f'name="parent_id" value="{wo.id}"' in html
    resp = adv.post("/work-orders/new", data={"customer_id": wo.customer_id, "vehicle_id": wo.vehicle_id,
                                              "parent_id": wo.id, "mileage_km": "21100", "pay_type": "internal",
                                              "customer_description": "squeak is back"})
    assert resp.status_code == 302
    child = db.session.scalars(sa_select_wo().where(WorkOrder.parent_id == wo.id)).one()
    assert child.pay_type == "internal"
    assert child.number in _page(adv, url)


def sa_select_wo():
    import sqlalchemy as sa

    return sa.select(WorkOrder).order_by(WorkOrder.id)


def _fresh(wo):
    from claimdesk.extensions import db

    db.session.expire_all()
    return db.session.get(WorkOrder, wo.id)


def test_reception_form_errors(app, vehicle, advisor):
    adv = browser(app, advisor)
    resp = adv.post("/work-orders/new", data={"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                              "mileage_km": "100", "customer_description": "noise"})
    assert resp.status_code == 422
    assert "below the last recorded" in resp.get_data(as_text=True)
    resp = adv.post("/work-orders/new", data={"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                              "mileage_km": "21000"})
    assert resp.status_code == 422


def test_pages_need_login_and_role(app, wo, workshop, clerk, client):
    assert client.get("/work-orders/").status_code == 302
    assert browser(app, workshop).get("/work-orders/new").status_code == 403
    assert browser(app, clerk).get(f"/work-orders/{wo.id}").status_code == 200


def test_next_step_for_another_role_says_who(app, wo, mover, advisor):
    mover.to(wo, "authorised")
    html = _page(browser(app, advisor), f"/work-orders/{wo.id}")
    assert "Waiting on the workshop" in html


def test_unhappy_callback_offers_a_linked_complaint(app, wo, mover, advisor):
    """The unhappy callback opened a complaint: the page links it. A work order unhappy before complaints
    were opened automatically (no linked complaint) still offers the pre-filled complaint form."""
    import sqlalchemy as sa
    from flask import render_template, url_for

    from claimdesk.complaints.models import Complaint
    from claimdesk.extensions import db
    from claimdesk.workorders import views

    mover.to(wo, "delivered")
    mover.run(wo, "follow_up", satisfaction=1, note="very unhappy")
    complaint = db.session.scalars(sa.select(Complaint).where(Complaint.work_order_id == wo.id)).one()

    with app.test_request_context(f"/work-orders/{wo.id}"):
        from flask_login import login_user

        login_user(advisor)
        link = url_for("complaints.new", customer_id=wo.customer_id, vehicle_id=wo.vehicle_id,
                       work_order_id=wo.id, channel="callback")
        html = render_template("workorders/detail.html", **views.detail_context(wo, advisor))
        assert url_for("complaints.detail", case_id=complaint.id) in html and link.replace("&", "&amp;") not in html
        complaint.work_order_id = None  # as if opened before this link existed
        db.session.flush()
        html = render_template("workorders/detail.html", **views.detail_context(wo, advisor))
        assert link.replace("&", "&amp;") in html
        html = render_template("workorders/detail.html", **views.detail_context(wo, advisor),
                               has_endpoint=lambda name: name != "complaints.new" and name in app.view_functions)
        assert "/complaints/new" not in html and "unhappy at the callback" in html


def test_search_history_and_home_panel(app, wo, mover, advisor, clerk):
    adv = browser(app, advisor)
    resp = adv.get(f"/search?q={wo.number}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/work-orders/{wo.id}")
    assert wo.number in _page(adv, f"/customers/{wo.customer_id}")
    assert wo.number in _page(adv, f"/customers/vehicles/{wo.vehicle_id}")
    assert "My work orders" in _page(adv, "/") and wo.number in _page(adv, "/")
    mover.to(wo, "delivered")
    html = _page(browser(app, clerk), "/")
    assert "Callbacks due" in html and wo.number in html


def test_pages_in_chinese(app, wo, mover, advisor):
    mover.to(wo, "ready")
    c = browser(app, advisor)
    c.post("/lang/zh", data={"next": f"/work-orders/{wo.id}"})
    html = _page(c, f"/work-orders/{wo.id}")
    assert "接车登记表" in html and "待交车" in html and "下一步" in html
    html = _page(c, f"/work-orders/{wo.id}/settlement")
    assert "结算单" in html and "客户付款" in html
    assert "车间看板" in _page(c, "/work-orders/board")


def test_parts_page_lists_and_adds(app, store, advisor, clerk):
    from tests.workorders.factories import PartFactory

    PartFactory(store=store, part_number="1K0698151", name="Front brake pads")
    adv = browser(app, advisor)
    assert "1K0698151" in _page(adv, "/work-orders/parts?q=1K0")
    resp = adv.post("/work-orders/parts", data={"part_number": "5q0615301", "name": "Brake disc",
                                                "unit_price": "350", "stock_qty": "2", "safety_related": "1"})
    assert resp.status_code == 302
    assert "5Q0615301" in _page(adv, "/work-orders/parts")
    resp = adv.post("/work-orders/parts", data={"part_number": "5Q0615301", "name": "dup", "unit_price": "1"})
    assert resp.status_code == 422
    resp = adv.post("/work-orders/parts", data={"part_number": "X1", "name": "bad", "unit_price": "-1"})
    assert resp.status_code == 422
    assert browser(app, clerk).post("/work-orders/parts", data={"part_number": "Y", "name": "y",
                                                                 "unit_price": "1"}).status_code == 403


def test_recommendations_from_earlier_visits(app, wo, mover, advisor, api_as):
    from claimdesk.core import uow
    from claimdesk.workorders.services import open_work_order
    from tests.workorders.conftest import LABOUR, PART

    mover.to(wo, "estimated", lines=[LABOUR, PART, {**PART, "description": "Wiper blades"}])
    mover.run(wo, "authorise", signed_by="W", promised_at=(now() + timedelta(hours=4)).isoformat(), payment_method="cash",
              decisions=[{"line_id": wo.lines[2].id, "decision": "deferred"}])
    mover.to(wo, "closed")
    nxt = open_work_order(advisor, {"customer_id": wo.customer_id, "vehicle_id": wo.vehicle_id, "mileage_km": 25000,
                                    "customer_description": "service"})
    uow.commit()
    html = _page(browser(app, advisor), f"/work-orders/{nxt.id}")
    assert "Recommended from earlier visits" in html and "Wiper blades" in html
    r = api_as(advisor).get(f"work-orders/{nxt.id}/recommendations")
    assert [(i["description"], i["decision"], i["work_order_number"]) for i in r.json["items"]] == [
        ("Wiper blades", "deferred", wo.number)]
