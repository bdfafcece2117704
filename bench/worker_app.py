"""The app of the benchmark's `flask claimdesk worker`: production factory + the benchmark case type."""
from bench import benchcase  # noqa: F401
from claimdesk.app import create_app

app = create_app()
