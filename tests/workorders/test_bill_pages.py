"""The bill on the pages: the work order's "who pays what" card with its adjustment and payment forms,
and the printed settlement (结算单) with adjustments, every payer's share, the team leader's
recommendations and the preferred callback time."""
from __future__ import annotations

from decimal import Decimal


def _post(client, wo, action, **data):
    url = f"/work-orders/{wo.id}/act/{action}"
    html = client.post(url, data=data, headers={"Referer": url}, follow_redirects=True).get_data(as_text=True)
    assert "Done" in html, html[html.find("alert"):html.find("alert") + 600]
    _fresh(wo)


def _fresh(wo):
    from claimdesk.extensions import db

    db.session.expire_all()


def test_bill_card_forms_and_print(wo, mover, advisor, workshop, login, client):
    mover.to(wo, "quality_check")
    mover.run(wo, "pass_check", stage="self")
    mover.run(wo, "pass_check", stage="team_lead", recommendations="Replace the rear tyres within 3 months")
    mover.run(wo, "pass_check", stage="final")
    login(advisor)
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert "who pays what" in html and "Add adjustment" in html and "Record payment" in html
    _post(client, wo, "add_adjustment", kind="goodwill_discount", amount="80", description="Sorry for the wait")
    _post(client, wo, "record_payment", method="cash", amount="200.00")
    assert wo.settlement.customer == Decimal("700.00") and wo.settlement.received == Decimal("200.00")
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert "Sorry for the wait" in html and "¥500.00" in html  # still due
    _post(client, wo, "deliver", signed_by="Mr Wang", payment_method="wechat_pay", paid_amount="500.00",
          preferred_callback_time="weekday evenings", old_parts_handled="1", car_clean="1", nothing_left_inside="1")
    assert wo.state == "delivered" and wo.paid_amount == Decimal("700.00")
    html = client.get(f"/work-orders/{wo.id}/settlement").get_data(as_text=True)
    assert "settlement-adjustments" in html and "Sorry for the wait" in html
    assert "¥700.00" in html and "¥80.00" in html and "Dealer" in html  # the discount is the dealer's
    assert "Replace the rear tyres within 3 months" in html and "weekday evenings" in html
