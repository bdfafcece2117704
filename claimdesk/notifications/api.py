"""JSON API of the inbox: GET /api/v1/notifications, mark one or all read."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import actor
from ..core.http import paginate
from . import services
from .presenters import InboxPage, NotificationOut
from .schemas import InboxQuery, MarkedOut

blp = Blueprint("notifications_api", __name__, url_prefix="/api/v1", description="The caller's inbox")


@blp.route("/notifications")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, InboxPage)
    def get(self, args):
        """The caller's notices, newest first (`unread=true` for the unread ones); `unread` is the count."""
        user = actor()
        page = paginate(services.inbox(user.id, unread_only=args["unread"]), args)
        page["unread"] = services.unread_count(user.id)
        return page


@blp.route("/notifications/<int:notification_id>/read")
class MarkRead(MethodView):
    @blp.response(200, NotificationOut)
    def post(self, notification_id):
        """Mark one of the caller's notices read (404 for anyone else's)."""
        return services.mark_read(actor().id, notification_id)


@blp.route("/notifications/read-all")
class MarkAllRead(MethodView):
    @blp.response(200, MarkedOut)
    def post(self):
        return {"marked": services.mark_all_read(actor().id)}
