"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""
from claimdesk.app import create_app

app = create_app()
