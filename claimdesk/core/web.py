"""Pieces every HTML blueprint shares: login-protected blueprints, case links, running an action
from a form, home-page panels and the customer-history providers."""
from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import login_manager
from .errors import DomainError

#: case_type -> endpoint of its detail page (takes `case_id`)
CASE_ENDPOINTS: dict[str, str] = {}
#: functions(user) -> dict(title, rows, more_url) shown on the home page, by role
HOME_PANELS: list[Callable] = []
#: functions(customer_id, user) -> list of dict(case_type, number, state, created_at, url, title)
HISTORY_PROVIDERS: list[Callable] = []
#: functions(number, user) -> url or None, for the search box
NUMBER_LOOKUPS: list[Callable] = []
#: functions(customer, user) -> HTML (Markup) or None: cards other domains add to the customer page
CUSTOMER_PANELS: list[Callable] = []


def staff_blueprint(name: str, import_name: str, **kw) -> Blueprint:
    """A blueprint whose every page needs a logged-in user."""
    bp = Blueprint(name, import_name, **kw)

    @bp.before_request
    def _require_login():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()

    return bp


def local_url(url: str | None) -> str | None:
    """`url` as a path on this site (path and query), or None when it leads elsewhere: a form's `next`
    or the Referer may only send the browser back into the app (no open redirect)."""
    if not url or "\\" in url or any(ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    return f"{path}?{parts.query}" if parts.query else path


def case_url(case_type: str, case_id: int) -> str | None:
    endpoint = CASE_ENDPOINTS.get(case_type)
    return url_for(endpoint, case_id=case_id) if endpoint else None


def run_form_action(workflow, case, action: str, data: dict, *, success: str | None = None,
                    redirect_to: str | None = None):
    """Run a workflow action from an HTML form; refusals come back as a flash message naming why.

    The request boundary commits on success; a DomainError is refused (rolled back) and goes back.
    """
    target = redirect_to or request.referrer or "/"
    try:
        workflow.perform(case, action, data, current_user._get_current_object())
    except DomainError as err:
        return refuse(err, back=target)
    flash(success or _("Done: %(action)s.", action=workflow.action_label(workflow.action(action))), "success")
    return redirect(target)


def refuse(err: DomainError, *, back: str | None = None, field: str = "_", category: str = "danger"):
    """The one way an HTML view turns down a request after a domain error.

    Rolls the unit of work back now (nothing half-done is flushed while the page renders; the page
    shows the stored values) and marks the request refused, so the boundary rolls back instead of
    committing even when the answer is a redirect (`uow.refuse`).

    With `back`: flashes why (in `category`) and returns the answer that goes back to that page.
    Without: returns the form's field errors — the error's own, else `{field: [message]}` — for the
    view to render its form with them and status 422.
    """
    from . import uow

    uow.refuse()
    if back is not None:
        flash(_error_text(err), category)
        return go_back(back)
    return err.fields or {field: [err.message]}


def _error_text(err: DomainError) -> str:
    if not err.fields:
        return err.message
    parts = []
    for field, msgs in err.fields.items():
        if isinstance(msgs, dict):
            msgs = [f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in msgs.items()]
        parts.append(f"{field}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}")
    return f"{err.message} {'; '.join(parts)}"


def form_error_text(err: DomainError) -> str:
    return _error_text(err)


#: the header app.js sends when it uploads a form itself to show the upload's progress
PROGRESS_HEADER = "X-Claimdesk-Progress"


def go_back(url: str):
    """The end of an HTML form POST: redirect to `url`. An upload sent by app.js (which shows the upload's
    progress) gets the address as JSON instead and navigates there itself, so the flashed message
    is still waiting for that page."""
    if request.headers.get(PROGRESS_HEADER):
        return jsonify(redirect=url)
    return redirect(url)
