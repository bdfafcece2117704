"""The job class for a plain `rq worker --job-class claimdesk.rqjob.AppJob`.

`claimdesk.jobs` sits below the application factory and cannot import it; importing this module
hands `create_app` down, so the first job builds the app (the `flask claimdesk worker` command
binds its own app instead).
"""
from __future__ import annotations

from .app import create_app
from .jobs import AppJob, set_app_factory

set_app_factory(create_app)

__all__ = ["AppJob"]
