"""The application factory: load config, register extensions, blueprints, error handlers, CLI."""
from __future__ import annotations

import importlib

from flask import g, request, session

from . import config as config_module
from .core.http import ClaimdeskFlask
from .domains import DOMAINS, PACKAGE, ROOT


def create_app(config: dict | None = None) -> ClaimdeskFlask:
    app = ClaimdeskFlask(__name__, template_folder=str(ROOT / "templates"),
                         static_folder=str(PACKAGE / "static"), instance_path=str(ROOT / "instance"))
    app.config.update(config_module.load(app.instance_path, config))
    register_proxy_fix(app)
    register_extensions(app)
    register_domains(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def _domain_module(domain: str, name: str):
    try:
        return importlib.import_module(f"claimdesk.{domain}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"claimdesk.{domain}.{name}":
            return None
        raise


def translation_directories() -> str:
    dirs = [PACKAGE / d / "translations" for d in DOMAINS] + [PACKAGE / "translations"]
    return ";".join(str(d) for d in dirs if d.is_dir())


def register_proxy_fix(app) -> None:
    """Trust the X-Forwarded-* headers of this many reverse proxies (PROXY_FIX_X_*), so the client
    address (login throttle, logs) and https (secure cookies, HSTS) are the real ones. With 0 (the
    default) the headers are ignored: without a proxy in front, any client could forge them."""
    hops = {name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}") or 0) for name in ("for", "proto", "host")}
    if any(hops.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops["for"], x_proto=hops["proto"], x_host=hops["host"])


def register_extensions(app) -> None:
    from .extensions import api, babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    from .core.db import init_app as configure_engine

    configure_engine(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    api.init_app(app)
    from .core.schemas import Money

    api.register_field(Money, "string", "decimal")  # money is a decimal string in the OpenAPI spec
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    limiter.init_app(app)
    from .core.views import READY_CHECKS
    from .jobs import readiness

    READY_CHECKS["redis"] = readiness  # core's probe, the queue's check: wired here, above both

    @login_manager.user_loader
    def _load(user_id: str):
        from flask import g

        from .auth.services import session_user

        try:
            found = session_user(int(user_id), session.get("_sid"))
        except ValueError:
            return None
        if found is None:
            return None
        user, g.user_session = found
        return user


def select_locale() -> str:
    from flask import current_app, has_request_context
    from flask_login import current_user

    langs = ["en", "zh"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if g.get("page_locale") in langs:  # a page written for someone else (the customer's status page)
        return g.page_locale
    chosen = session.get("lang")
    if chosen in langs:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in langs:
        return current_user.locale
    return request.accept_languages.best_match(langs) or "en"


def select_timezone() -> str:
    from flask import current_app, has_request_context
    from flask_login import current_user

    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.store.timezone
    return current_app.config["TIMEZONE"]


def register_domains(app) -> None:
    from .extensions import api, csrf

    for domain in DOMAINS:
        _domain_module(domain, "models")
    for domain in DOMAINS:
        api_mod = _domain_module(domain, "api")
        if api_mod is not None and hasattr(api_mod, "blp"):
            api.register_blueprint(api_mod.blp)
            csrf.exempt(api_mod.blp)  # bearer tokens only; no cookies are honoured on /api/v1
        views = _domain_module(domain, "views")
        if views is not None and hasattr(views, "bp"):
            app.register_blueprint(views.bp)
        package = importlib.import_module(f"claimdesk.{domain}")
        if hasattr(package, "init_app"):
            package.init_app(app)


def register_error_handlers(app) -> None:
    from .core.errors import register_error_handlers as register

    register(app)


def register_request_hooks(app) -> None:
    from .auth.api import authenticate_api_request
    from .core.errors import DomainError

    @app.before_request
    def _api_auth():
        if request.path.startswith("/api/v1/"):
            if request.method in ("POST", "PUT", "PATCH") and request.content_length \
                    and request.mimetype not in ("application/json", "multipart/form-data"):
                raise DomainError("Send JSON (Content-Type: application/json).", status=415,
                                  code="unsupported_media_type")
            authenticate_api_request()

    from .core import jsonbody

    jsonbody.init_app(app)  # after authentication: a stranger gets 401, not a parse of the body
    from .core import idempotency

    idempotency.init_app(app)  # after the body check: it hashes the body

    if app.config.get("EMBEDDED_WORKER") == "thread" and not app.config.get("REDIS_URL"):
        @app.before_request
        def _embedded_worker():
            from .jobs.worker import ensure_embedded_runner

            ensure_embedded_runner(app)

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        if app.config.get("SESSION_COOKIE_SECURE") and request.is_secure:
            # production behind TLS: browsers stay on https (secure cookies would not be sent otherwise)
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return resp


def register_template_helpers(app) -> None:
    from .core import templating, timeline

    templating.init_app(app)
    timeline.init_app(app)


def register_cli(app) -> None:
    from .cli import claimdesk_cli

    app.cli.add_command(claimdesk_cli)
