"""Business calendars as pure values: opening intervals per weekday, closed days, a time zone.

`add_business_time(start, seconds, cal)` and `business_time_between(a, b, cal)` never touch the
database; the engine builds a `BusinessCalendar` from a store's rows once and passes it in.
Instants are aware datetimes (any zone in, UTC out); opening hours are wall times in the calendar's
zone, so a 09:00 opening stays 09:00 across a DST change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

Interval = tuple[time, time]

#: how far to look for open time before giving up (a calendar closed for longer is an error)
MAX_SCAN_DAYS = 3 * 366


class NoBusinessHours(ValueError):
    """The calendar has no open time in the period searched (e.g. a week with no hours at all)."""


@dataclass(frozen=True)
class BusinessCalendar:
    """weekly[0..6] (Monday = 0): sorted, non-overlapping (open, close) wall times; close may be
    time(0) meaning midnight at the end of the day. `closed` maps a local date to None (closed all
    day) or to the intervals that are closed that day (a one-off closure). `extra_open` maps a date
    to intervals open that day whatever its weekday says (a make-up working day, 调休)."""

    tz: str = "Asia/Shanghai"
    weekly: tuple[tuple[Interval, ...], ...] = field(default_factory=lambda: ((),) * 7)
    closed: dict = field(default_factory=dict, hash=False, compare=False)
    extra_open: dict = field(default_factory=dict, hash=False, compare=False)
    #: open_intervals per day, worked out once (a calendar is kept per process: sla/cache.py)
    _days: dict = field(default_factory=dict, init=False, repr=False, hash=False, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.tz)

    def has_weekly_hours(self) -> bool:
        return any(self.weekly)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of one local day as aware UTC instants, in order."""
        known = self._days.get(day)
        if known is None:
            if len(self._days) > 4096:
                self._days.clear()
            known = self._days[day] = tuple(self._open_intervals(day))
        return list(known)

    def _open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.extra_open:
            base = list(self.extra_open[day])
        else:
            base = list(self.weekly[day.weekday()])
        closed = self.closed.get(day, ())
        if closed is None:
            return []
        spans = [(_secs(a), _secs(b, end=True)) for a, b in base]
        for a, b in closed:
            spans = _subtract(spans, (_secs(a), _secs(b, end=True)))
        zone = self.zone
        midnight = datetime.combine(day, time(0))
        out = []
        for a, b in spans:
            if b <= a:
                continue
            start = (midnight + timedelta(seconds=a)).replace(tzinfo=zone).astimezone(timezone.utc)
            end = (midnight + timedelta(seconds=b)).replace(tzinfo=zone).astimezone(timezone.utc)
            if end > start:
                out.append((start, end))
        return out


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _secs(t: time, end: bool = False) -> int:
    s = t.hour * 3600 + t.minute * 60 + t.second
    return 86400 if end and s == 0 else s


def _subtract(spans: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    ca, cb = cut
    for a, b in spans:
        if cb <= a or ca >= b:
            out.append((a, b))
            continue
        if a < ca:
            out.append((a, ca))
        if cb < b:
            out.append((cb, b))
    return out


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business calendar functions need aware datetimes")
    return value.astimezone(timezone.utc)


def _local_day(instant: datetime, cal: BusinessCalendar) -> date:
    return instant.astimezone(cal.zone).date()


def add_business_time(start: datetime, seconds: float, cal: BusinessCalendar | None) -> datetime:
    """The instant at which `seconds` of open time have passed since `start`.

    cal=None is a 24x7 calendar. Zero seconds returns `start` itself (even when closed).
    Raises NoBusinessHours when the calendar has no open time for MAX_SCAN_DAYS.
    """
    start = _aware(start)
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if cal is None:
        return start + timedelta(seconds=seconds)
    if seconds == 0:
        return start
    remaining = timedelta(seconds=seconds)
    day = _local_day(start, cal) - timedelta(days=1)  # an interval of yesterday may run past midnight UTC
    for _ in range(MAX_SCAN_DAYS + 2):
        for a, b in cal.open_intervals(day):
            if b <= start:
                continue
            a = max(a, start)
            span = b - a
            if span >= remaining:
                return a + remaining
            remaining -= span
        day += timedelta(days=1)
    raise NoBusinessHours("the calendar has no open hours in the next three years")


def business_time_between(a: datetime, b: datetime, cal: BusinessCalendar | None) -> float:
    """Open seconds in [a, b) (negative if b is before a). cal=None is 24x7."""
    a, b = _aware(a), _aware(b)
    if b < a:
        return -business_time_between(b, a, cal)
    if cal is None:
        return (b - a).total_seconds()
    total = 0.0
    day = _local_day(a, cal) - timedelta(days=1)
    last = _local_day(b, cal) + timedelta(days=1)
    while day <= last:
        for s, e in cal.open_intervals(day):
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


# --- parsing and printing opening hours ("08:30-12:00, 13:30-18:00") ----------------------------
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")


def parse_intervals(text: str) -> tuple[Interval, ...]:
    """'08:30-12:00, 13:30-18:00' → ((08:30, 12:00), (13:30, 18:00)); '' → closed.
    24:00 is allowed as an end. Raises ValueError on overlap, disorder or bad syntax."""
    text = (text or "").strip()
    if not text or text in ("-", "—"):
        return ()
    out: list[Interval] = []
    for part in re.split(r"[,;，；\s]+(?=\d)", text):
        m = _SPAN.match(part)
        if not m:
            raise ValueError(f"not a time span: {part!r} (write 08:30-12:00)")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"not a time of day: {part!r}")
        a = time(h1, m1)
        b = time(0) if h2 == 24 else time(h2, m2)
        if _secs(b, end=True) <= _secs(a):
            raise ValueError(f"span ends before it starts: {part!r}")
        out.append((a, b))
    out.sort(key=lambda iv: _secs(iv[0]))
    for (a1, b1), (a2, _b2) in zip(out, out[1:]):
        if _secs(a2) < _secs(b1, end=True):
            raise ValueError("spans overlap")
    return tuple(out)


def format_intervals(intervals) -> str:
    def fmt(t: time, end=False):
        return "24:00" if end and t == time(0) else t.strftime("%H:%M")

    return ", ".join(f"{fmt(a)}-{fmt(b, True)}" for a, b in intervals)


def intervals_to_json(intervals) -> list[list[str]]:
    return [[a.strftime("%H:%M"), "24:00" if b == time(0) else b.strftime("%H:%M")] for a, b in intervals]


def intervals_from_json(value) -> tuple[Interval, ...]:
    return parse_intervals(", ".join(f"{a}-{b}" for a, b in (value or [])))


#: a typical 4S after-sales week: Monday to Sunday 08:30–12:00 and 13:30–18:00 (lunch break)
DEFAULT_WEEK = [[["08:30", "12:00"], ["13:30", "18:00"]]] * 7
