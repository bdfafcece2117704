"""The download link the HTML pages use (session login); same checks as the API."""
from __future__ import annotations

from flask_login import current_user

from ..core.web import staff_blueprint
from . import services

bp = staff_blueprint("documents", __name__, url_prefix="/documents")


@bp.route("/<int:document_id>/content")
def content(document_id: int):
    return services.send(services.load_for(current_user._get_current_object(), document_id))
