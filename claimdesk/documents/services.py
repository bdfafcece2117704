"""Storing and serving uploaded files: type from the bytes, path from the hash, access from the case."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable

import filetype
from flask import current_app, send_file
from flask_babel import lazy_gettext as _l

from ..auth.permissions import sees_store
from ..core.errors import Conflict, DomainError, NotFound, ValidationFailed
from ..extensions import db
from .models import ACCEPTED_TYPES, Document

#: case_type -> reader(case_id, user) that returns the case or raises NotFound/Forbidden exactly as
#: the case's own pages do; a document is readable by whoever may read its case.
CASE_READERS: dict[str, Callable] = {}


def register_case_reader(case_type: str, reader: Callable) -> None:
    CASE_READERS[case_type] = reader


def detect_type(data: bytes) -> str | None:
    """The MIME type from magic numbers, if it is one we accept; the file name plays no part."""
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        return None
    return kind.mime


def storage_path(sha256: str) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / sha256[:2] / sha256


def _write_once(path: Path, data: bytes) -> None:
    """Content-addressed: the same bytes land in the same place, written atomically once.

    The file is written before the transaction commits; if it then rolls back the file is simply
    unreferenced, and the next upload of the same bytes reuses it.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _clean_name(name: str | None) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return (name or "upload")[:255]


def save_upload(actor, case, kind: str, upload) -> Document:
    """Check and store one uploaded file (werkzeug FileStorage) for `case`; returns the new row."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    data = upload.read() if limit is None else upload.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise DomainError(str(_l("The upload is too large.")), status=413, code="payload_too_large")
    if not data:
        raise ValidationFailed(str(_l("The file is empty.")), fields={"file": [str(_l("The file is empty."))]})
    mime = detect_type(data)
    if mime is None:
        raise DomainError(str(_l("Only PDF, JPEG and PNG files are accepted (checked by content).")),
                          status=415, code="unsupported_media_type",
                          fields={"file": [str(_l("Not a PDF, JPEG or PNG file."))]})
    sha = hashlib.sha256(data).hexdigest()
    _write_once(storage_path(sha), data)
    doc = Document(store_id=case.store_id, case_type=case.CASE_TYPE, case_id=case.id, kind=kind, sha256=sha,
                   size=len(data), content_type=mime, original_filename=_clean_name(upload.filename),
                   uploaded_by_id=getattr(actor, "id", None))
    db.session.add(doc)
    db.session.flush()
    return doc


def attach_upload(case, workflow, action: str, kind: str, upload, actor, data: dict, *,
                  closed: str) -> Document:
    """Store an upload for `case` and record it with the case's own action (a claim's checklist item, a
    warranty claim's evidence), which gets `kind`, `document_id` and `data`. A case in a final state takes
    no more files: 409 with the `closed` message."""
    if case.state in workflow.final_states:
        raise Conflict(closed, code="invalid_state")
    doc = save_upload(actor, case, kind, upload)
    workflow.perform(case, action, {"kind": kind, **data, "document_id": doc.id}, actor)
    return doc


def documents_of(case) -> list[Document]:
    import sqlalchemy as sa

    return list(db.session.scalars(
        sa.select(Document).where(Document.case_type == case.CASE_TYPE, Document.case_id == case.id)
        .order_by(Document.id)))


def load_for(user, document_id: int) -> Document:
    """The document if `user` may read its case; another store's document is a plain 404."""
    doc = db.session.get(Document, int(document_id))
    if doc is None or not sees_store(user, doc.store_id):
        raise NotFound(str(_l("Document %(id)s not found.", id=document_id)))
    reader = CASE_READERS.get(doc.case_type)
    if reader is not None:
        reader(doc.case_id, user)
    return doc


def download_name(doc: Document) -> str:
    """The uploader's file name, but ending in the extension of what the bytes are: a PDF uploaded as
    "x.html" is saved as "x.html.pdf", so that opening the saved file never runs it as a page."""
    name = doc.original_filename or "document"
    ext = ACCEPTED_TYPES.get(doc.content_type)
    aliases = {"jpg": (".jpg", ".jpeg")}.get(ext, (f".{ext}",)) if ext else ()
    if ext and not name.lower().endswith(aliases):
        name = f"{name}.{ext}"
    return name


def send(doc: Document):
    """The file as a download; only images and PDF may be shown inline, never as HTML."""
    path = storage_path(doc.sha256)
    if not path.is_file():
        raise NotFound(str(_l("The file of document %(id)s is missing from storage.", id=doc.id)))
    resp = send_file(path, mimetype=doc.content_type, as_attachment=not doc.inline_ok,
                     download_name=download_name(doc), max_age=0, conditional=True, etag=doc.sha256)
    if doc.inline_ok:
        # send_file only sets Content-Disposition for attachments; say "inline" explicitly.
        from werkzeug.http import dump_options_header

        resp.headers["Content-Disposition"] = _disposition("inline", download_name(doc), dump_options_header)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _disposition(kind: str, filename: str, dump) -> str:
    from urllib.parse import quote

    try:
        filename.encode("ascii")
        return dump(kind, {"filename": filename})
    except UnicodeEncodeError:
        simple = filename.encode("ascii", "ignore").decode("ascii") or "file"
        return dump(kind, {"filename": simple, "filename*": f"UTF-8''{quote(filename, safe='')}"})
