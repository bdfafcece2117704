"""The dashboard page, its exports (exactly the cells the page shows), acknowledge in place, and the
monthly report."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from claimdesk.core import clock, uow
from tests.dashboard.conftest import NOW, PERIOD, at
from tests.dashboard.factories import ClockFactory, FactFactory


class Tables(HTMLParser):
    """Cells of every <table data-section=…> (page-only action cells left out)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._key = None
        self._cell = None
        self._skip = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-section" in a:
            self._key = a["data-section"]
            self.tables[self._key] = []
        elif self._key and tag == "tr":
            self.tables[self._key].append([])
        elif self._key and tag in ("td", "th"):
            self._skip = "actions" in (a.get("class") or "")
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._key = None
        elif self._key and tag in ("td", "th") and self._cell is not None:
            if not self._skip:
                self.tables[self._key][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def page_tables(html: str) -> dict:
    p = Tables()
    p.feed(html)
    return p.tables


@pytest.fixture
def data(store, other_store, advisor):
    for elapsed in (100, 200, 300, 400):
        FactFactory(store=store, elapsed=elapsed, target=250, ended_at=at(3), holder_id=advisor.id,
                    paused_seconds=60, paused_by_reason={"waiting_customer": 60.0})
    FactFactory(store=other_store, elapsed=5000, target=250, policy_key="claim.assessment", case_type="claim",
                ended_at=at(3))
    ClockFactory(store_id=other_store.id, started_at=NOW, due_at=NOW - timedelta(hours=1), running_since=NOW)
    uow.commit()


def test_page_for_store_manager(data, manager, login, client):
    login(manager)
    resp = client.get("/dashboard/", query_string=PERIOD)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    tables = page_tables(html)
    assert tables["by_policy"][1] == ["Complaint: first response", "4", "2", "2", "50.0", "0.07", "0.10"]
    assert "by_store" not in tables  # one store: no per-store table, no store selector
    assert 'name="store_id"' not in html
    assert "Claim: assessment" not in html  # the other store's timer
    assert 'data-counter="breached_now">0<' in html
    assert 'id="dashboard-charts"' in html and "chart.umd.min.js" in html and "<script>" not in html


def test_page_for_group_manager_with_store_filter(data, group_manager, other_store, login, client):
    login(group_manager)
    html = client.get("/dashboard/", query_string=PERIOD).get_data(as_text=True)
    tables = page_tables(html)
    assert {row[0] for row in tables["by_store"][1:]} == {"S01 Tianhe", "S02 Futian"}
    assert 'data-counter="breached_now">1<' in html
    one = page_tables(client.get("/dashboard/", query_string={**PERIOD, "store_id": other_store.id})
                      .get_data(as_text=True))
    assert [r[0] for r in one["by_policy"][1:]] == ["Claim: assessment"]


def test_roles_and_foreign_store(data, advisor, other_manager, store, login, client):
    login(advisor)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export/by_policy.csv").status_code == 403
    client.post("/logout")
    login(other_manager)
    assert client.get("/dashboard/", query_string={"store_id": store.id}).status_code == 404
    assert client.get("/dashboard/export/by_policy.csv", query_string={"store_id": store.id}).status_code == 404


def test_exports_equal_the_page(data, group_manager, login, client):
    from openpyxl import load_workbook

    from claimdesk.dashboard.exports import NUMBER_FORMATS  # noqa: F401
    from claimdesk.dashboard.sections import cell_text

    login(group_manager)
    tables = page_tables(client.get("/dashboard/", query_string=PERIOD).get_data(as_text=True))
    shown = [k for k, rows in tables.items() if len(rows) > 1]
    assert {"by_policy", "by_holder", "by_store", "paused", "urgent"} <= set(shown)
    for key in shown:
        resp = client.get(f"/dashboard/export/{key}.csv", query_string=PERIOD)
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows == tables[key], key
        resp = client.get(f"/dashboard/export/{key}.xlsx", query_string=PERIOD)
        ws = load_workbook(io.BytesIO(resp.data)).active
        header = [c.value for c in ws[1]]
        assert header == tables[key][0]
        kinds = _kinds(key)
        body = [[cell_text(c.value, kinds[i]) if c.value is not None else "" for i, c in enumerate(r)]
                for r in ws.iter_rows(min_row=2)]
        assert body == tables[key][1:], key
    book = client.get("/dashboard/export/all.xlsx", query_string=PERIOD)
    assert len(load_workbook(io.BytesIO(book.data)).sheetnames) >= len(shown)
    assert client.get("/dashboard/export/nope.csv").status_code == 404
    assert client.get("/dashboard/export/by_policy.pdf").status_code == 404


def _kinds(key):
    from flask_login import current_user  # noqa: F401

    from claimdesk.dashboard import sections, services

    f = services.Filters(store_ids=None, date_from=NOW - timedelta(days=30), date_to=NOW, case_type=None, now=NOW)
    empty = {"urgent": [], "by_policy": [], "by_holder": [], "by_store": [], "by_insurer": [], "backlog": [],
             "escalations": [], "paused_by_reason": [], "granularity": "week", "complaint_categories": [],
             "complaint_channels": [], "complaint_outcomes": {k: None for k in (
                 "logged", "followed_up", "reopened", "reopen_rate", "satisfied", "not_satisfied",
                 "satisfaction_rate")},
             "work_order_satisfaction": {"callbacks": 0, "scores": {}, "average": None, "satisfied_rate": None},
             "documents_waiting": {"by_insurer": [], "claims": [], "total": 0},
             "payouts": {"by_insurer": [], "totals": {"claims": 0, "expected": 0, "received": 0, "outstanding": 0,
                                                      "ageing": {k: 0 for k, _d in sections.q.PAYOUT_BUCKETS}}}}
    secs = sections.by_key(sections.build(empty, f, group_wide=True))
    return [c.kind for c in secs[key].columns]


def test_acknowledge_in_place(store, manager, clerk, login, client):
    import sqlalchemy as sa

    from claimdesk.extensions import db
    from claimdesk.sla import batch
    from claimdesk.sla.models import SlaClock
    from tests.complaints.factories import open_complaint

    clock.set_now(NOW - timedelta(days=2))
    complaint = open_complaint(clerk, store=store)
    clock.set_now(NOW)
    ids = [c for c, _g, _l in batch.due_clock_ids(NOW)]
    batch.process_due(ids, NOW)
    uow.commit()
    assert complaint.escalation_level >= 1
    login(manager)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert complaint.number in html and 'action="/dashboard/acknowledge"' in html
    resp = client.post("/dashboard/acknowledge", data={"case_type": "complaint", "case_id": complaint.id,
                                                       "next": "/dashboard/?case_type=complaint"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dashboard/?case_type=complaint")
    db.session.expire_all()
    assert complaint.escalation_acknowledged_by_id == manager.id and complaint.assignee_id == manager.id
    acked = db.session.scalars(sa.select(SlaClock).where(SlaClock.case_id == complaint.id,
                                                         SlaClock.acknowledged_at.is_not(None))).all()
    assert acked
    # nothing left to acknowledge: the engine refuses (409 → flash), nothing changes
    resp = client.post("/dashboard/acknowledge", data={"case_type": "complaint", "case_id": complaint.id},
                       headers={"Referer": "/dashboard/"})
    assert resp.status_code == 302
    assert client.post("/dashboard/acknowledge", data={"case_type": "parcel", "case_id": 1}).status_code == 404


def test_acknowledge_refused_for_other_store_and_advisor(store, other_store, other_manager, advisor, clerk,
                                                         login, client):
    from tests.complaints.factories import open_complaint

    complaint = open_complaint(clerk, store=store)
    login(other_manager)
    assert client.post("/dashboard/acknowledge", data={"case_type": "complaint",
                                                       "case_id": complaint.id}).status_code == 404
    client.post("/logout")
    login(advisor)
    assert client.post("/dashboard/acknowledge", data={"case_type": "complaint",
                                                       "case_id": complaint.id}).status_code == 403


def test_monthly_report(data, manager, group_manager, other_store, login, client):
    login(manager)
    resp = client.get("/dashboard/report", query_string={"month": "2026-03"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "2026-03" in html and "S01 Tianhe" in html and "Complaint: first response" in html
    assert "Claim: assessment" not in html
    assert client.get("/dashboard/report", query_string={"month": "March"}).status_code == 422
    assert client.get("/dashboard/report", query_string={"store_id": other_store.id}).status_code == 404
    client.post("/logout")
    login(group_manager)
    html = client.get("/dashboard/report", query_string={"month": "2026-03", "store_id": other_store.id}) \
        .get_data(as_text=True)
    assert "S02 Futian" in html and "Claim: assessment" in html
    # S02's first response clock is still running, past its deadline of 16 March 09:00: it counts as
    # breached in March although it has not ended (issue 16 item 9)
    assert "<tr><td>Complaint: first response</td><td class=\"text-end\">1</td><td class=\"text-end\">1</td>" in html
    group = client.get("/dashboard/report", query_string={"month": "2026-03", "scope": "group"}).get_data(as_text=True)
    assert "Claim: assessment" in group and "Complaint: first response" in group


def test_managers_home_page_shows_timers_breached_and_at_risk(manager, other_manager, clerk, login, client):
    """The home page panel: counts, the least time left first, each linked to its case; other roles and
    other stores' managers do not get it."""
    import sqlalchemy as sa

    from claimdesk.extensions import db
    from claimdesk.sla.models import SlaClock
    from tests.complaints.factories import open_complaint

    late = open_complaint(clerk)
    soon = open_complaint(clerk)
    for case, due, warn in ((late, NOW - timedelta(hours=2), None), (soon, NOW + timedelta(minutes=30),
                                                                     NOW - timedelta(minutes=5))):
        c = db.session.scalar(sa.select(SlaClock).where(SlaClock.case_id == case.id,
                                                        SlaClock.policy_key == "complaint.first_response"))
        c.due_at, c.warn_at = due, warn
    uow.commit()
    login(manager)
    html = client.get("/").get_data(as_text=True)
    assert "SLA now: 1 breached, 1 at risk" in html
    assert html.index(late.number) < html.index(soon.number)  # least time left first
    assert f'href="/complaints/{late.id}"' in html
    assert "overdue by 2h 0m" in html or "overdue by 2h" in html
    client.post("/logout")
    login(other_manager)
    assert "SLA now: 0 breached, 0 at risk" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(clerk)
    assert "SLA now" not in client.get("/").get_data(as_text=True)


def test_annual_report(data, manager, group_manager, other_store, login, client):
    """The year's summary: this year runs to today; a past year is whole; bad years are a 422."""
    login(manager)
    resp = client.get("/dashboard/report", query_string={"period": "year"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "After-sales annual report · 2026" in html and "Year to date: 1 January – 2026-03-16" in html
    assert "Complaint: first response" in html  # the facts of early March are in the year
    assert "Opened in the year" in html and "Open at month end" not in html
    last_year = client.get("/dashboard/report", query_string={"period": "year", "year": "2025"}).get_data(as_text=True)
    assert "After-sales annual report · 2025" in last_year and "Year to date" not in last_year
    assert "No timer ended or breached in the year." in last_year
    for bad in ("20x6", "1999", "2027"):
        resp = client.get("/dashboard/report", query_string={"period": "year", "year": bad})
        assert resp.status_code == 422, bad
    client.post("/logout")
    login(group_manager)
    group = client.get("/dashboard/report", query_string={"period": "year", "scope": "group"}).get_data(as_text=True)
    assert "Dealer group: all stores" in group and "Claim: assessment" in group
