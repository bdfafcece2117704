"""The dashboard lists the vehicles at 三包 risk per store (page and CSV), within the viewer's stores."""
from __future__ import annotations

from datetime import timedelta

import pytest

from claimdesk.core import clock, uow

from .conftest import cst


@pytest.fixture
def at_risk(car, repair):
    """Two repairs of the same problem and a third running for 7 days: warnings and the substitute duty."""
    repair(car, cst(2025, 4, 1, 9, 0), cst(2025, 4, 9, 9, 0))
    repair(car, cst(2025, 6, 1, 9, 0), cst(2025, 6, 10, 9, 0))
    repair(car, clock.now() - timedelta(days=7), None)
    from claimdesk.sanbao import jobs

    jobs.sweep()
    uow.commit()
    return car


@pytest.mark.parametrize("lang, title", [("en", "Vehicles at 三包 risk"), ("zh", "三包风险车辆")])
def test_the_dashboard_lists_the_vehicle(at_risk, login, manager, client, lang, title):
    login(manager)
    client.post(f"/lang/{lang}")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert title in page
    section = page.split('id="sec-sanbao_at_risk"', 1)[1].split("</section>", 1)[0]
    assert at_risk.plate in section and f"/sanbao/vehicles/{at_risk.id}" in section
    assert ">24<" in section  # 8 + 9 + 7 repair days


def test_the_csv_has_the_same_row(at_risk, login, manager, client):
    login(manager)
    r = client.get("/dashboard/export/sanbao_at_risk.csv")
    assert r.status_code == 200
    lines = r.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].split(",")[0] == "Plate"
    row = next(line for line in lines[1:] if line.startswith(at_risk.plate))
    assert ",24," in row


def test_another_stores_manager_does_not_see_it(at_risk, other_store, make_user, login, client):
    from tests.factories import UserFactory

    login(UserFactory(role="manager", store=other_store))
    page = client.get("/dashboard/").get_data(as_text=True)
    section = page.split('id="sec-sanbao_at_risk"', 1)[1].split("</section>", 1)[0]
    assert at_risk.plate not in section


def test_the_complaints_filter_leaves_it_out(at_risk, login, manager, client):
    login(manager)
    assert 'id="sec-sanbao_at_risk"' not in client.get("/dashboard/?case_type=complaint").get_data(as_text=True)
