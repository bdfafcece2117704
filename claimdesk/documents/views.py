"""The download link the HTML pages use (session login); same checks as the API. The case pages' upload
form (claims' documents, warranty claims' evidence) in one place."""
from __future__ import annotations

from typing import Callable, Collection

from flask import flash, request
from flask_login import current_user

from ..auth.permissions import require
from ..core.errors import DomainError, ValidationFailed
from ..core.web import go_back, refuse, staff_blueprint
from . import services

bp = staff_blueprint("documents", __name__, url_prefix="/documents")


@bp.route("/<int:document_id>/content")
def content(document_id: int):
    return services.send(services.load_for(current_user._get_current_object(), document_id))


def upload_from_form(case, *, kinds: Collection[str], back: str, upload: Callable, field: str, choose: str,
                     done: Callable[[str], str]):
    """A case page's upload (multipart `kind`, `file` and one optional text `field`) for a case the view
    has loaded with its read check: `upload(case, {"kind", field}, file, user)` is the case API's upload
    function. No file or a kind not in `kinds` goes back to `back` with `choose`, anything the upload
    refuses with why, both changing nothing; success flashes `done(kind)`."""
    user = require("documents.upload")
    file, kind = request.files.get("file"), request.form.get("kind")
    if file is None or not file.filename or kind not in kinds:
        return refuse(ValidationFailed(choose), back=back)
    try:
        upload(case, {"kind": kind, field: request.form.get(field) or None}, file, user)
    except DomainError as err:
        return refuse(err, back=back)
    flash(done(kind), "success")
    return go_back(back)
