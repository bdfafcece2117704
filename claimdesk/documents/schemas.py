"""Output schema of an uploaded document, and the file part of an upload (uploads come in as multipart
through each case's API)."""
from __future__ import annotations

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields


class UploadFiles(Schema):
    """The `file` of a case's multipart upload (its form part is the case's own schema)."""

    file = Upload(required=True)


class DocumentOut(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    case_type = fields.String()
    case_id = fields.Integer()
    kind = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    original_filename = fields.String()
    uploaded_by_id = fields.Integer(allow_none=True)
    uploaded_by_name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    content_url = fields.Function(lambda d: url_for("documents_api.document_content", document_id=d.id))
