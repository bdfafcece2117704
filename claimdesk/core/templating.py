"""Jinja helpers shared by every page: dates in the store's zone, money, durations, navigation."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .clock import now

#: navigation: (endpoint, label, roles or None for everyone); domains append to this list
NAV: list[tuple[str, object, frozenset | None]] = []


#: endpoints of configuration pages: listed after the everyday ones, set apart
SETTINGS_NAV: set[str] = set()


def nav_item(endpoint: str, label, roles=None, position: int | None = None, *, settings: bool = False) -> None:
    """A link in the top menu for `roles` (None: everyone); `settings`: a configuration page, listed last."""
    if settings:
        SETTINGS_NAV.add(endpoint)
    item = (endpoint, label, frozenset(roles) if roles else None)
    if any(existing[0] == endpoint for existing in NAV):
        return
    if position is None:
        NAV.append(item)
    else:
        NAV.insert(position, item)


def fmt_dt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if value is None:
        return "—"
    return format_datetime(value, fmt)


def fmt_money(value) -> str:
    if value is None:
        return "—"
    return f"¥{Decimal(value):,.2f}"


def fmt_duration(seconds: float | int | None) -> str:
    """1d 4h, 3h 20m, 12m, 40s; negative values read as overdue by the caller."""
    if seconds is None:
        return "—"
    s = int(abs(seconds))
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    zh = str(get_locale()).startswith("zh")
    units = ("天", "小时", "分", "秒") if zh else ("d", "h", "m", "s")
    if d:
        out = f"{d}{units[0]} {h}{units[1]}"
    elif h:
        out = f"{h}{units[1]} {m}{units[2]}"
    elif m:
        out = f"{m}{units[2]}"
    else:
        out = f"{sec}{units[3]}"
    return ("-" if seconds < 0 else "") + out


def init_app(app) -> None:
    app.jinja_env.filters["dt"] = fmt_dt
    # a time kept as an ISO 8601 string (JSON histories) → datetime, for `dt`
    app.jinja_env.filters["isodt"] = lambda value: datetime.fromisoformat(value) if value else None
    app.jinja_env.filters["money"] = fmt_money
    app.jinja_env.filters["duration"] = fmt_duration
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def _globals():
        def nav():
            if not getattr(current_user, "is_authenticated", False):
                return []
            items = []
            for endpoint, label, roles in sorted(NAV, key=lambda item: item[0] in SETTINGS_NAV):  # stable
                if roles is None or current_user.role in roles:
                    try:
                        items.append((url_for(endpoint), label, endpoint))
                    except Exception:  # endpoint of a domain not registered in this app
                        continue
            return items

        return {"nav_items": nav, "now": now, "locale": lambda: str(get_locale()),
                "has_endpoint": lambda name: name in app.view_functions}


nav_item("core.home", _l("Home"))
nav_item("customers.index", _l("Customers"))
nav_item("admin.users", _l("Users"), roles={"admin"}, settings=True)
nav_item("admin.stores", _l("Stores"), roles={"admin"}, settings=True)
nav_item("admin.my_store_settings", _l("Store settings"), roles={"manager", "admin"}, settings=True)
