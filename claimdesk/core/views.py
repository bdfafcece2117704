"""Home page and the liveness/readiness probes (the search box is the customers' page)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import current_user

from ..extensions import db
from .web import HOME_PANELS, staff_blueprint

bp = staff_blueprint("core", __name__)
probes = Blueprint("probes", __name__)
#: name -> function() returning "ok", "embedded" or "error: …"; the layers above add theirs (the queue)
READY_CHECKS: dict = {}


@bp.route("/")
def home():
    user = current_user._get_current_object()
    panels = [p for p in (panel(user) for panel in HOME_PANELS) if p]
    return render_template("core/home.html", panels=panels)


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
    for name, check in READY_CHECKS.items():
        checks[name] = check()
    degraded = any(str(v).startswith("error") for k, v in checks.items() if k != "database")
    overall = "ok" if status == 200 and not degraded else \
        ("degraded" if status == 200 else "unavailable")
    return jsonify(status=overall, checks=checks), status


def init_probes(app):
    app.register_blueprint(probes)
