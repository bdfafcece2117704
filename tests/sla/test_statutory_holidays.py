"""China's statutory holidays and make-up working days pre-filled into a store's business calendar from the
holiday library (chinesecalendar), per year, and editable afterwards."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from claimdesk.core.errors import ValidationFailed
from claimdesk.sla import policies
from claimdesk.sla.calendar import business_time_between
from claimdesk.sla.holidays import prefill_year, statutory_days

SH = ZoneInfo("Asia/Shanghai")


def test_2025_national_day_and_its_make_up_saturday():
    holidays, workdays = statutory_days(2025)
    off = dict(holidays)
    on = dict(workdays)
    # 国庆 + 中秋 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are working days
    assert all(date(2025, 10, d) in off for d in range(1, 9))
    assert date(2025, 10, 9) not in off
    assert "国庆节" in off[date(2025, 10, 1)]
    assert date(2025, 10, 11) in on and date(2025, 9, 28) in on
    assert "National Day" in on[date(2025, 10, 11)]
    assert date(2025, 1, 26) in on  # a Spring Festival make-up Sunday


def test_an_unpublished_year_is_refused():
    with pytest.raises(ValidationFailed) as err:
        statutory_days(1999)
    assert "year" in err.value.fields


def test_prefill_marks_the_year_and_keeps_the_store_edits(store, manager):
    row = policies.calendar_for_edit(store, manager)
    # the store already decided: open on National Day morning
    policies.add_days(row, date(2025, 10, 1), None, "closure", "open in the morning", "13:00-18:00")
    added = prefill_year(row, 2025)
    days = {d.day: d for d in row.days}
    assert days[date(2025, 10, 1)].kind == "closure"  # the store's own entry is left alone
    assert days[date(2025, 10, 2)].kind == "holiday" and "国庆节" in days[date(2025, 10, 2)].name
    saturday = days[date(2025, 10, 11)]
    assert saturday.kind == "workday" and saturday.spans and "调休" in saturday.name
    assert added["workday"] == len(statutory_days(2025)[1])
    assert added["holiday"] == len(statutory_days(2025)[0]) - 1
    assert prefill_year(row, 2025) == {"holiday": 0, "workday": 0}  # again: nothing new
    # business time follows it: the make-up Saturday counts, the holiday does not
    cal = policies.to_business_calendar(row)
    sat = business_time_between(datetime(2025, 10, 11, 0, 0, tzinfo=SH), datetime(2025, 10, 12, 0, 0, tzinfo=SH), cal)
    hol = business_time_between(datetime(2025, 10, 3, 0, 0, tzinfo=SH), datetime(2025, 10, 4, 0, 0, tzinfo=SH), cal)
    assert sat > 0 and hol == 0


def test_calendar_page_prefills_a_year(client, login, manager, advisor, store):
    login(manager)
    page = client.get("/sla/calendar").get_data(as_text=True)
    assert "data-statutory" in page
    resp = client.post(f"/sla/calendar/{store.id}/statutory", data={"year": "2025"})
    assert resp.status_code == 302
    html = client.get("/sla/calendar").get_data(as_text=True)
    assert "国庆节" in html and "调休" in html
    bad = client.post(f"/sla/calendar/{store.id}/statutory", data={"year": "1999"}, follow_redirects=True)
    assert "not published" in bad.get_data(as_text=True)
    client.post("/logout")
    login(advisor)
    assert client.post(f"/sla/calendar/{store.id}/statutory", data={"year": "2025"}).status_code == 403
