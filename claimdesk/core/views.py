"""Home page, the global search box, and the liveness/readiness probes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, request
from flask_login import current_user

from ..customers import queries as customer_queries
from ..customers.validators import looks_like
from ..extensions import db
from .web import HISTORY_PROVIDERS, HOME_PANELS, NUMBER_LOOKUPS, staff_blueprint

bp = staff_blueprint("core", __name__)
probes = Blueprint("probes", __name__)


@bp.route("/")
def home():
    user = current_user._get_current_object()
    panels = [p for p in (panel(user) for panel in HOME_PANELS) if p]
    return render_template("core/home.html", panels=panels)


@bp.route("/search")
def search():
    user = current_user._get_current_object()
    q = (request.args.get("q") or "").strip()
    if not q:
        return render_template("core/search.html", q=q, customers=[], cases=[])
    if looks_like(q) == "number":
        for lookup in NUMBER_LOOKUPS:
            url = lookup(q.upper(), user)
            if url:
                return redirect(url)
    stmt = customer_queries.customer_search(user, {"q": q}).limit(50)
    customers = list(db.session.scalars(stmt).unique())
    if len(customers) == 1 and request.args.get("go") != "0":
        from flask import url_for

        return redirect(url_for("customers.detail", customer_id=customers[0].id))
    cases = []
    for provider in HISTORY_PROVIDERS:
        for c in customers[:10]:
            cases.extend(provider(c.id, user))
    return render_template("core/search.html", q=q, customers=customers, cases=cases)


@probes.route("/healthz")
def healthz():
    return jsonify(status="ok")


@probes.route("/readyz")
def readyz():
    checks = {}
    status = 200
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
        status = 503
    from .. import jobs

    if jobs.is_embedded():
        checks["redis"] = "embedded"
    else:
        try:
            jobs.connection().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    overall = "ok" if status == 200 and not checks["redis"].startswith("error") else \
        ("degraded" if status == 200 else "unavailable")
    return jsonify(status=overall, checks=checks), status


def init_probes(app):
    app.register_blueprint(probes)
