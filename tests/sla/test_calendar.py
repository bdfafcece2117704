"""Business calendars: examples a service advisor would check by hand, then properties (hypothesis)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimdesk.sla.calendar import (BusinessCalendar, NoBusinessHours, add_business_time, business_time_between,
                                    format_intervals, parse_intervals)

SH = ZoneInfo("Asia/Shanghai")
WORKDAY = ((time(8, 30), time(12, 0)), (time(13, 30), time(18, 0)))
SHOP = BusinessCalendar(tz="Asia/Shanghai", weekly=(WORKDAY,) * 5 + (((time(9), time(12)),), ()))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_two_business_hours_skip_the_lunch_break():
    assert add_business_time(local(2026, 3, 2, 11, 0), 2 * 3600, SHOP) == local(2026, 3, 2, 14, 30)


def test_logged_after_closing_counts_from_next_opening():
    assert add_business_time(local(2026, 3, 2, 19, 0), 3600, SHOP) == local(2026, 3, 3, 9, 30)


def test_saturday_short_day_and_closed_sunday():
    # Saturday 09-12 only, Sunday closed: 4 h from Saturday 11:00 → 1 h Sat + 3 h Monday
    assert add_business_time(local(2026, 3, 7, 11, 0), 4 * 3600, SHOP) == local(2026, 3, 9, 11, 30)


def test_holiday_run_is_skipped():
    golden_week = {date(2026, 10, d): None for d in range(1, 8)}
    cal = BusinessCalendar(tz="Asia/Shanghai", weekly=(WORKDAY,) * 7, closed=golden_week)
    assert add_business_time(local(2026, 9, 30, 17, 0), 2 * 3600, cal) == local(2026, 10, 8, 9, 30)
    assert business_time_between(local(2026, 9, 30, 18, 0), local(2026, 10, 8, 8, 30), cal) == 0


def test_partial_closure_and_makeup_workday():
    cal = BusinessCalendar(tz="Asia/Shanghai", weekly=(WORKDAY,) * 5 + ((), ()),
                           closed={date(2026, 3, 3): ((time(13, 30), time(16, 0)),)},
                           extra_open={date(2026, 3, 8): ((time(9), time(17)),)})
    assert business_time_between(local(2026, 3, 3, 0), local(2026, 3, 4, 0), cal) == 5.5 * 3600
    assert add_business_time(local(2026, 3, 7, 10), 3600, cal) == local(2026, 3, 8, 10)


def test_24x7_is_wall_time():
    start = local(2026, 3, 2, 23, 0)
    assert add_business_time(start, 7200, None) == start + timedelta(hours=2)
    assert business_time_between(start, start + timedelta(days=3), None) == 3 * 86400


def test_week_without_open_hours_raises_instead_of_looping():
    with pytest.raises(NoBusinessHours):
        add_business_time(local(2026, 3, 2, 9), 60, BusinessCalendar(tz="Asia/Shanghai"))
    assert business_time_between(local(2026, 3, 2), local(2026, 3, 20), BusinessCalendar()) == 0


def test_other_time_zone_and_naive_input_refused():
    ny = BusinessCalendar(tz="America/New_York", weekly=(((time(9), time(17)),),) * 7)
    # 8 March 2026: DST starts in New York; 09:00 local is still the opening time
    assert add_business_time(datetime(2026, 3, 8, 13, 0, tzinfo=timezone.utc), 3600, ny) == \
        datetime(2026, 3, 8, 14, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        add_business_time(datetime(2026, 3, 2), 10, SHOP)


def test_parse_and_format_opening_hours():
    assert parse_intervals("08:30-12:00, 13:30-18:00") == WORKDAY
    assert parse_intervals("13:30-18:00；08:30-12:00") == WORKDAY
    assert parse_intervals("") == ()
    assert format_intervals(parse_intervals("20:00-24:00")) == "20:00-24:00"
    for bad in ("8-12", "12:00-08:00", "08:00-12:00, 11:00-13:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_intervals(bad)


# --- properties ------------------------------------------------------------------------------------
@st.composite
def calendars(draw):
    def day():
        n = draw(st.integers(0, 3))
        cuts = sorted(draw(st.lists(st.integers(0, 96), min_size=2 * n, max_size=2 * n, unique=True)))
        return tuple((_q(a), _q(b, end=True)) for a, b in zip(cuts[::2], cuts[1::2]))

    week = tuple(day() for _ in range(7))
    if not any(week):
        week = (((time(9), time(17)),),) + week[1:]
    start = date(2026, 1, 1)
    holidays = draw(st.lists(st.integers(0, 120), max_size=12))
    closed = {start + timedelta(days=d): None for d in holidays}
    run = draw(st.integers(0, 10))  # a run of holidays (Spring Festival)
    closed.update({date(2026, 2, 16) + timedelta(days=d): None for d in range(run)})
    tz = draw(st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]))
    return BusinessCalendar(tz=tz, weekly=week, closed=closed)


def _q(quarter: int, end: bool = False) -> time:
    if quarter >= 96:
        return time(0) if end else time(23, 45)
    return time(quarter // 4, (quarter % 4) * 15)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 5, 1),
                        timezones=st.just(timezone.utc))
amounts = st.integers(0, 40 * 3600)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(calendars(), instants, amounts)
def test_round_trip_business_time_between_undoes_add(cal, start, seconds):
    end = add_business_time(start, seconds, cal)
    assert end >= start
    assert business_time_between(start, end, cal) == pytest.approx(seconds, abs=1e-6)


@SETTINGS
@given(calendars(), instants, amounts, amounts)
def test_add_is_monotonic_and_additive(cal, start, a, b):
    lo, hi = sorted((a, b))
    assert add_business_time(start, lo, cal) <= add_business_time(start, hi, cal)
    # adding in two steps lands where adding at once does
    mid = add_business_time(start, lo, cal)
    assert add_business_time(mid, hi - lo, cal) == add_business_time(start, hi, cal) or hi == lo


@SETTINGS
@given(calendars(), instants, instants, instants)
def test_between_is_additive_and_antisymmetric(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    ab, bc, ac = (business_time_between(a, b, cal), business_time_between(b, c, cal),
                  business_time_between(a, c, cal))
    assert ab >= 0 and bc >= 0
    assert ab + bc == pytest.approx(ac, abs=1e-6)
    assert business_time_between(c, a, cal) == pytest.approx(-ac, abs=1e-6)
    assert ac <= (c - a).total_seconds() + 1e-6


@SETTINGS
@given(calendars(), instants, st.integers(1, 20 * 3600))
def test_deadline_lands_in_open_time(cal, start, seconds):
    end = add_business_time(start, seconds, cal)
    # the last second before the deadline is open time
    assert business_time_between(end - timedelta(seconds=1), end, cal) > 0
