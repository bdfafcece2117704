"""The words of reminders and campaigns."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {"open": _l("To call"), "booked": _l("Booked"), "declined": _l("Declined"),
                "unreachable": _l("Unreachable")}
CHANNEL_LABELS = {"message": _l("Message sent"), "call": _l("Call list")}
DUE_BY_LABELS = {"date": _l("by date"), "mileage": _l("by projected mileage")}
KIND_LABELS = {"recall": _l("Recall"), "free_inspection": _l("Free inspection")}
