"""The top menu: every page a role may open, everyday pages first, configuration pages last; the links wrap
rather than push the search, the bell and "Log out" off a laptop screen."""
from __future__ import annotations

import re

from tests.factories import UserFactory


def _nav_labels(html: str) -> list[str]:
    nav = html[html.index('<ul class="navbar-nav'):]
    nav = nav[:nav.index("</ul>")]
    return [re.sub(r"\s+", " ", label).strip() for label in re.findall(r'class="nav-link[^"]*" href="[^"]*">([^<]+)</a>', nav)]


def test_a_manager_s_configuration_pages_come_after_the_everyday_ones(client, login):
    manager = UserFactory(role="manager")
    html = login(manager).get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    labels = _nav_labels(html)
    assert labels[0] == "Home" and "Work orders" in labels and "Dashboard" in labels
    settings = [labels.index("Store settings"), labels.index("SLA policies")]
    everyday = [labels.index(x) for x in ("Work orders", "Complaints", "Dashboard")]
    assert min(settings) > max(everyday)
    assert '<ul class="navbar-nav me-auto flex-wrap">' in html  # wraps onto a second line when it must
    assert "Log out" in html


def test_an_advisor_sees_no_configuration_page(client, login):
    advisor = UserFactory(role="advisor")
    labels = _nav_labels(login(advisor).get("/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "Work orders" in labels
    assert not {"Store settings", "SLA policies", "Users", "Stores"} & set(labels)
