"""China's statutory holidays and make-up working days (调休) for a store's business calendar, from the
maintained `chinesecalendar` package (the State Council's yearly notice). Pre-filled per year; the
store edits the days afterwards like any other (a day already set is left as the store set it)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from ..core.errors import ValidationFailed
from .models import SlaCalendar
from .policies import add_days, week_texts

#: the package's English names, with the Chinese ones the store sees in its calendar
NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
         "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
         "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}


def _name(holiday) -> str:
    english = getattr(holiday, "value", None) or str(holiday)
    return f"{NAMES.get(english, english)} {english}"


def statutory_days(year: int) -> tuple[list[tuple[date, str]], list[tuple[date, str]]]:
    """(holidays, make-up working days) of `year`, each (date, name); refused for a year the library
    does not know yet (the notice comes out in November for the next year)."""
    from chinese_calendar import constants

    known = {d.year for d in constants.holidays}
    if year not in known:
        span = "%s–%s" % (min(known), max(known))
        raise ValidationFailed(str(_l("The statutory holidays of %(year)s are not published in the holiday "
                                      "library yet (it knows %(years)s).", year=year, years=span)),
                               fields={"year": [str(_l("Not known yet."))]})
    holidays = sorted((d, _name(h)) for d, h in constants.holidays.items() if d.year == year and h is not None)
    workdays = sorted((d, _name(h)) for d, h in constants.workdays.items() if d.year == year and h is not None)
    return holidays, workdays


def prefill_year(row: SlaCalendar, year: int) -> dict[str, int]:
    """Mark the year's statutory holidays closed and its make-up working days open (with the store's
    Monday hours, or its first open weekday's). Days the calendar already has are left alone."""
    holidays, workdays = statutory_days(year)
    existing = {d.day for d in row.days}
    texts = week_texts(row)
    hours = next((t for t in texts if t.strip()), "")
    if not hours:
        raise ValidationFailed(str(_l("Set the opening hours of the week first.")), fields={"year": [
            str(_l("The make-up working days open with the week's hours."))]})
    added = {"holiday": 0, "workday": 0}
    for day, name in holidays:
        if day not in existing:
            add_days(row, day, None, "holiday", name)
            added["holiday"] += 1
    for day, name in workdays:
        if day not in existing:
            add_days(row, day, None, "workday", f"{name} 调休上班", hours)
            added["workday"] += 1
    return added
