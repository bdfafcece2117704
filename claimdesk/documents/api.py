"""GET /api/v1/documents/{id} and /content — with the same access rules as the document's case."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..auth.permissions import actor
from . import services
from .schemas import DocumentOut

blp = Blueprint("documents_api", __name__, url_prefix="/api/v1", description="Uploaded documents")


@blp.route("/documents/<int:document_id>", endpoint="document")
@blp.response(200, DocumentOut)
def document(document_id):
    """An uploaded file's metadata (404 for another store's document)."""
    return services.load_for(actor(), document_id)


@blp.route("/documents/<int:document_id>/content", endpoint="document_content")
@blp.response(200, content_type="application/octet-stream")
def document_content(document_id):
    """Download the file. Images and PDF may be shown inline; anything else is an attachment."""
    return services.send(services.load_for(actor(), document_id))
