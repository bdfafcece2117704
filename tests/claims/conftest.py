"""CLAIMS_DEBUG=1 prints the traceback behind any 500 answer (the app logs and hides it otherwise)."""
import os
import traceback

import pytest


@pytest.fixture(autouse=True)
def _show_500s(monkeypatch):
    if os.environ.get("CLAIMS_DEBUG"):
        from claimdesk.core import errors

        monkeypatch.setattr(errors.log, "exception", lambda *a, **k: traceback.print_exc())
