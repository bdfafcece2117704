"""The domain packages, in registration order, and where the code base lives on disk.

A module of its own so that the factory (`app`), the CLI and the translation tools all read the
one list without importing each other.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent

#: domain packages, in registration order; each may have models, api (blp), views (bp), init_app
DOMAINS = ["auth", "customers", "core", "sla", "notifications", "workorders", "complaints", "documents", "claims",
           "warranty", "messaging", "appointments", "reminders", "sanbao", "dashboard"]
