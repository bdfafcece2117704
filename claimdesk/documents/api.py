"""GET /api/v1/documents/{id} and /content — with the same access rules as the document's case; the
description of a case's upload route (each case API has its own)."""
from __future__ import annotations

from flask_smorest import Blueprint

from ..auth.permissions import actor
from . import services
from .schemas import DocumentOut, UploadFiles

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


def upload_route(blp: Blueprint, form_schema, out_schema):
    """The arguments and answers of a case's multipart upload route, as one decorator: the case's form
    part (`form_schema`), the file, 201 with `out_schema`, and the two refusals of the file itself
    (`services.save_upload`). The view gets `(form, files, case_id)`."""

    def decorate(view):
        view = blp.alt_response(415, description="Not a PDF, JPEG or PNG (checked by content, not by name).")(view)
        view = blp.alt_response(413, description="The file is larger than the upload limit.")(view)
        view = blp.response(201, out_schema)(view)
        view = blp.arguments(UploadFiles, location="files")(view)
        return blp.arguments(form_schema, location="form")(view)

    return decorate
