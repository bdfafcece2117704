"""Migration 0014_photo_meta: the panel and note of check-in photos, until then only in the photo_added
timeline events, are copied onto the document rows, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, drop_pg_database, make_pg_database

BEFORE = "0013_messaging"
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _doc(store_id, case_type, case_id, kind, name):
    return {"store_id": store_id, "case_type": case_type, "case_id": case_id, "kind": kind, "sha256": "0" * 64,
            "size": 10, "content_type": "image/png", "original_filename": name, "created_at": AT}


def _event(store_id, case_type, case_id, action, data):
    return {"case_type": case_type, "case_id": case_id, "store_id": store_id, "kind": "note", "action": action,
            "at": AT, "visibility": "internal", "data": data}


def _backfill(url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from claimdesk.app import create_app
    from claimdesk.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "EMBEDDED_WORKER": "off", "SECRET_KEY": "x",
                      "UPLOAD_FOLDER": str(tmp_path)})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision=BEFORE)
        with db.engine.begin() as conn:
            meta = sa.MetaData()
            stores, documents, events = (sa.Table(t, meta, autoload_with=conn)
                                         for t in ("stores", "documents", "case_events"))
            assert "panel" not in documents.c
            store_id = conn.execute(stores.insert().values(
                code="S1", name="Store", timezone="Asia/Shanghai", settings={}, created_at=AT,
                updated_at=AT).returning(stores.c.id)).scalar_one()
            ids = {}
            for key, case_type, case_id, kind in (("bumper", "work_order", 7, "check_in_photo"),
                                                  ("untold", "work_order", 7, "check_in_photo"),
                                                  ("note_only", "work_order", 8, "check_in_photo"),
                                                  ("claim_doc", "claim", 7, "invoice")):
                ids[key] = conn.execute(documents.insert().values(
                    _doc(store_id, case_type, case_id, kind, f"{key}.png")).returning(documents.c.id)).scalar_one()
            conn.execute(events.insert(), [
                _event(store_id, "work_order", 7, "photo_added",
                       {"document_id": ids["bumper"], "panel": "front_bumper", "note": "scratch left of plate"}),
                # the API took any panel text up to 40 characters: kept as it was given
                _event(store_id, "work_order", 8, "photo_added",
                       {"document_id": ids["note_only"], "panel": None, "note": "  dent  "}),
                # an event naming a document of another case fills nothing
                _event(store_id, "work_order", 7, "photo_added",
                       {"document_id": ids["claim_doc"], "panel": "roof", "note": "x"}),
                _event(store_id, "work_order", 7, "create", {"document_id": ids["untold"], "panel": "roof"}),
            ])
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        with db.engine.connect() as conn:
            documents = sa.Table("documents", sa.MetaData(), autoload_with=conn)
            got = {row.id: (row.panel, row.note) for row in conn.execute(sa.select(documents))}
        downgrade(directory=str(ROOT / "migrations"), revision=BEFORE)
        with db.engine.connect() as conn:
            left = {c["name"] for c in sa.inspect(conn).get_columns("documents")}
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()
    return ids, got, left


def _check(ids, got, left):
    assert got[ids["bumper"]] == ("front_bumper", "scratch left of plate")
    assert got[ids["note_only"]] == (None, "dent")
    assert got[ids["untold"]] == (None, None)  # no photo_added event for it
    assert got[ids["claim_doc"]] == (None, None)
    assert not {"panel", "note"} & left


def test_backfill_sqlite(tmp_path):
    _check(*_backfill(f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path))


@pytest.mark.postgres
def test_backfill_postgres(tmp_path):
    name = f"claimdesk_photo_{uuid.uuid4().hex[:10]}"
    url = make_pg_database(name)
    try:
        result = _backfill(url, tmp_path)
    finally:
        drop_pg_database(name)
    _check(*result)
