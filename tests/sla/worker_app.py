"""The app a real `flask claimdesk worker` runs in the integration tests: the production factory plus
the test case type (so the worker can load test cases). Configured from CLAIMDESK_* env like production."""
from claimdesk.app import create_app
from tests.sla import casetype  # noqa: F401 — registers the "gadget" case type

app = create_app()
