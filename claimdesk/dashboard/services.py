"""Turning a request's filters (store, period, case type) into the store-scoped Filters every
aggregate takes — the one place that decides which stores' numbers a user may see."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from ..auth.models import Store
from ..auth.permissions import require, sees_store, visible_store_ids
from ..core.clock import now as clock_now
from ..core.errors import NotFound, ValidationFailed
from ..core.schemas import out_of_range
from ..extensions import db
from .queries import CASE_TYPES, Filters

DEFAULT_DAYS = 30


def group_wide(user) -> bool:
    return visible_store_ids(user) is None


def _parse_bound(raw, tz: ZoneInfo, *, end: bool):
    """A date (taken in the store's zone; an end date includes its whole day) or an ISO 8601 time."""
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw + timedelta(days=1) if end else raw, time(0), tz)
    else:
        text = str(raw).strip()
        try:
            if len(text) == 10:
                d = date.fromisoformat(text)
                value = datetime.combine(d + timedelta(days=1) if end else d, time(0), tz)
            else:
                value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except OverflowError:  # the day after 9999-12-31
            raise ValueError(out_of_range(date.min)) from None
        except ValueError:
            raise ValueError(str(_l("Not a date (YYYY-MM-DD) or an ISO 8601 time."))) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    message = out_of_range(value)
    if message:
        raise ValueError(message)
    return value


def filters_for(user, args: dict, *, permission: str = "dashboard.view") -> Filters:
    """Validate the filters against what the user may see. A store the user does not see is a 404,
    the same answer as for a store that does not exist (its existence never leaks)."""
    require(permission, user)
    errors: dict = {}
    store_id = args.get("store_id")
    if store_id in ("", None):
        store_id = None
    else:
        try:
            store_id = int(store_id)
        except (TypeError, ValueError):
            errors["store_id"] = [str(_l("Not a valid store id."))]
            store_id = None
    case_type = args.get("case_type") or None
    if case_type is not None and case_type not in CASE_TYPES:
        errors["case_type"] = [str(_l("One of: %(types)s.", types=", ".join(CASE_TYPES)))]
    store = None
    if store_id is not None and not errors.get("store_id"):
        store = db.session.get(Store, store_id)
        if store is None or not sees_store(user, store_id):
            raise NotFound(str(_l("Unknown store, or not one you may see.")))
    tz_name = (store or user.store).timezone or "Asia/Shanghai"
    tz = ZoneInfo(tz_name)
    at = clock_now()
    bounds = {}
    for key, end in (("from", False), ("to", True)):
        try:
            bounds[key] = _parse_bound(args.get(key), tz, end=end)
        except ValueError as err:
            errors[key] = [str(err)]
    if errors:
        raise ValidationFailed(str(_l("Some filters are invalid.")), fields=errors)
    date_to = bounds["to"] or at
    date_from = bounds["from"] or (date_to - timedelta(days=DEFAULT_DAYS))
    if date_from >= date_to:
        raise ValidationFailed(str(_l("Some filters are invalid.")),
                               fields={"from": [str(_l("The period must start before it ends."))]})
    if store is not None:
        store_ids = (store.id,)
    else:
        visible = visible_store_ids(user)
        store_ids = None if visible is None else tuple(visible)
    return Filters(store_ids=store_ids, date_from=date_from, date_to=date_to, case_type=case_type, now=at,
                   tz=tz_name, extra={"store_id": store_id})


def _local_today(user) -> date:
    """Today in the zone of the user's store (the reports' months and years are local)."""
    return clock_now().astimezone(ZoneInfo(user.store.timezone or "Asia/Shanghai")).date()


def month_filters(user, store_id, month: str | None) -> Filters:
    """The calendar month 'YYYY-MM' (default: the last complete month) for the monthly report."""
    if month:
        try:
            year, mon = (int(x) for x in month.split("-"))
            first = date(year, mon, 1)
            if out_of_range(first):
                raise ValueError
        except (ValueError, TypeError):
            raise ValidationFailed(str(_l("Some filters are invalid.")),
                                   fields={"month": [str(_l("A month as YYYY-MM."))]}) from None
    else:
        first = (_local_today(user).replace(day=1) - timedelta(days=1)).replace(day=1)
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return filters_for(user, {"store_id": store_id, "from": first.isoformat(),
                              "to": (nxt - timedelta(days=1)).isoformat()})


def year_filters(user, store_id, year: str | None) -> Filters:
    """The calendar year 'YYYY' for the annual report (default: this year); the current year runs to
    today."""
    today = _local_today(user)
    if year:
        try:
            number = int(str(year).strip())
            if not 2000 <= number <= 2100:
                raise ValueError
        except ValueError:
            raise ValidationFailed(str(_l("Some filters are invalid.")),
                                   fields={"year": [str(_l("A year as YYYY."))]}) from None
    else:
        number = today.year
    first, last = date(number, 1, 1), min(date(number, 12, 31), today)
    if last < first:
        raise ValidationFailed(str(_l("Some filters are invalid.")),
                               fields={"year": [str(_l("That year has not begun."))]})
    return filters_for(user, {"store_id": store_id, "from": first.isoformat(), "to": last.isoformat()})
