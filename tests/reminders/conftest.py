"""Fixtures of the reminder tests: the diary's fixed clock and helpers."""
from __future__ import annotations

from tests.appointments.conftest import local, monday_morning  # noqa: F401  (autouse fixed clock)
