"""HTML pages: list, board, reception form, the work-order page in every state, prints, and the
whole flow driven through the forms."""
from __future__ import annotations

from datetime import timedelta

import pytest

from claimdesk.core.clock import now
from claimdesk.workorders.models import WorkOrder
from tests.factories import VehicleFactory


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
