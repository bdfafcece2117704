"""The diary's words."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {"booked": _l("Booked"), "arrived": _l("Arrived"), "no_show": _l("No-show"),
                "cancelled": _l("Cancelled")}
SOURCE_LABELS = {"phone": _l("Phone"), "reminder": _l("Service reminder"), "campaign": _l("Campaign"),
                 "case": _l("Case page"), "walk_in": _l("Walk-in"), "api": _l("API")}
SETTING_LABELS = {"slot_minutes": _l("Slot length (minutes)"), "opens": _l("Workshop opens"),
                  "closes": _l("Workshop closes"), "per_slot": _l("Cars per slot"), "per_day": _l("Cars per day"),
                  "no_show_hours": _l("No-show after (hours past the slot)"),
                  "reminder_days": _l("Service reminders: days ahead"),
                  "due_window_days": _l("Due list: days ahead")}
