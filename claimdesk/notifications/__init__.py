"""The in-app inbox (and optional e-mail): `unread_notifications()` feeds the bell in base.html."""
from __future__ import annotations


def init_app(app) -> None:
    from flask_login import current_user

    from . import services

    @app.context_processor
    def _bell():
        def unread_notifications():
            if not getattr(current_user, "is_authenticated", False):
                return ""
            count = services.unread_count(current_user.id)
            return count or ""

        return {"unread_notifications": unread_notifications}
