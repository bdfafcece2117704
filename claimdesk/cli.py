"""`flask --app wsgi claimdesk …`: stores, users, demo data, the worker and the periodic jobs."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .auth.models import ROLES


@click.group("claimdesk")
def claimdesk_cli():
    """claimdesk administration."""


def _commit_or_fail(fn):
    from .core import uow
    from .core.errors import DomainError

    try:
        result = fn()
        uow.commit()
        return result
    except DomainError as err:
        uow.rollback()
        detail = f" {err.fields}" if err.fields else ""
        raise click.ClickException(f"{err.message}{detail}") from None


@claimdesk_cli.command("create-store")
@click.option("--code", required=True, help="Short store code, e.g. S01")
@click.option("--name", required=True)
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@with_appcontext
def create_store(code, name, timezone):
    """Create a store of the dealer group."""
    from .auth import services

    store = _commit_or_fail(lambda: services.create_store(code, name, timezone))
    click.echo(f"store {store.code} (id {store.id}) created")


@claimdesk_cli.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--store", "store_code", required=True, help="Store code, e.g. S01")
@click.option("--group", is_flag=True, help="A group-wide user who sees every store")
@click.option("--name", "full_name", default=None)
@click.option("--store-manager", is_flag=True, help="The store manager (top of the escalation ladder)")
@with_appcontext
def create_user(username, password, role, store_code, group, full_name, store_manager):
    """Create a staff user."""
    import sqlalchemy as sa

    from .auth import services
    from .auth.models import Store
    from .extensions import db

    store = db.session.scalar(sa.select(Store).where(Store.code == store_code.upper()))
    if store is None:
        raise click.ClickException(f"no store with code {store_code}; create it with create-store")
    user = _commit_or_fail(lambda: services.create_user(username, password, role, store, group=group,
                                                        full_name=full_name,
                                                        is_store_manager=store_manager))
    click.echo(f"user {user.username} ({user.role}, store {store.code}{', group' if group else ''}) created")


@claimdesk_cli.command("set-password")
@click.option("--username", required=True)
@click.option("--password", required=True, help="the new password (the password policy applies)")
@with_appcontext
def set_password(username, password):
    """Reset a user's password; every session and API token of the user ends."""
    import sqlalchemy as sa

    from .auth import services
    from .auth.models import User
    from .extensions import db

    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    _commit_or_fail(lambda: services.set_password(user, password))
    click.echo(f"password of {username} reset; every session and token of {username} has ended")


@claimdesk_cli.command("seed-demo")
@click.option("--customers", default=60, show_default=True, help="customers per store")
@click.option("--stores", default=2, show_default=True)
@click.option("--months", default=6, show_default=True, help="months of case history")
@click.option("--cases", default=40, show_default=True, help="cases of each type per store")
@click.option("--seed", default=7, show_default=True, help="random seed (same seed, same data)")
@with_appcontext
def seed_demo(customers, stores, months, cases, seed):
    """Demo stores, users for every role (logins printed), customers, vehicles and cases."""
    from .demo import seed as run_seed

    logins = run_seed(stores=stores, customers=customers, months=months, cases=cases, seed_value=seed,
                  echo=click.echo)
    click.echo("")
    click.echo("Log in with one of these (password for all: demo-pass-1):")
    for username, role, store in logins:
        click.echo(f"  {username:<14} {role:<20} {store}")


@claimdesk_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty")
def worker(burst):
    """An RQ worker with its scheduler on all claimdesk queues (jobs run in app context)."""
    from .jobs.worker import run_worker

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("CLAIMDESK_REDIS_URL is not set: the embedded queue runs inside the web "
                                   "process, no separate worker is needed")
    run_worker(app, burst=burst)


@claimdesk_cli.command("cron")
def cron():
    """The periodic jobs (the SLA sweep among them) on RQ's cron scheduler."""
    from .jobs.worker import run_cron

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("CLAIMDESK_REDIS_URL is not set: the embedded runner already runs the "
                                   "periodic jobs inside the web process")
    run_cron(app)


@claimdesk_cli.command("i18n")
@click.argument("domain", required=False)
def i18n(domain):
    """Extract a domain's strings into its zh catalogue and compile every catalogue; lists what is missing."""
    from . import i18n as tr

    for d in [domain] if domain else tr.domains():
        count, missing = tr.update(d)
        click.echo(f"{d}: {count} strings, {len(missing)} without a translation")
        for m in missing[:200]:
            click.echo(f"  - {m}")


@claimdesk_cli.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--customers", default=60, show_default=True, help="customers per store on first run")
def demo(host, port, customers):
    """Build the schema, add demo data on first run, and serve the app (embedded queue if no Redis)."""
    from flask_migrate import upgrade

    from .domains import ROOT
    from .demo import PASSWORD
    from .jobs.worker import ensure_embedded_runner

    app = current_app._get_current_object()
    upgrade(directory=str(ROOT / "migrations"))
    ctx = click.get_current_context()
    ctx.invoke(seed_demo, customers=customers, stores=2, months=6, cases=40, seed=7)
    if ensure_embedded_runner(app):
        click.echo("Jobs and SLA timers run on the embedded queue inside this process (no Redis configured).")
    click.echo(f"\nclaimdesk is at http://{host}:{port}/  (password for every demo login: {PASSWORD})\n")
    from werkzeug.serving import run_simple

    run_simple(host, port, app, use_reloader=False, threaded=True)
