"""The inbox page behind the bell: newest first, open a notice to go to its case, mark all read."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.http import paginate
from ..core.web import staff_blueprint
from . import services

bp = staff_blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
def inbox():
    unread_only = request.args.get("unread") == "1"
    args = {"page": max(request.args.get("page", 1, type=int), 1), "per_page": 50}
    page = paginate(services.inbox(current_user.id, unread_only=unread_only), args)
    rows = [(n, *services.render(n), services.case_link(n)) for n in page["items"]]
    return render_template("notifications/inbox.html", page=page, rows=rows, unread_only=unread_only,
                           unread=services.unread_count(current_user.id))


@bp.route("/<int:notification_id>/open", methods=["POST"])
def open_notice(notification_id: int):
    """Mark read and go to the case (or back to the inbox)."""
    n = services.mark_read(current_user.id, notification_id)
    return redirect(services.case_link(n) or url_for("notifications.inbox"))


@bp.route("/read-all", methods=["POST"])
def read_all():
    count = services.mark_all_read(current_user.id)
    flash(_("%(n)s notices marked read.", n=count), "success")
    return redirect(url_for("notifications.inbox"))
