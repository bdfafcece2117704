"""The schema comes only from migrations: they build from empty on SQLite and PostgreSQL and match the models."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import ROOT, drop_pg_database, make_pg_database


def _upgrade_and_diff(url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from claimdesk.app import create_app
    from claimdesk.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "EMBEDDED_WORKER": "off", "SECRET_KEY": "x",
                      "UPLOAD_FOLDER": str(tmp_path)})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            metadata = sa.MetaData()
            for table in db.metadata.tables.values():
                if not table.name.startswith("test_"):  # engine tests' private tables
                    table.to_metadata(metadata)
            diff = compare_metadata(ctx, metadata)
            tables = set(sa.inspect(conn).get_table_names())
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        with db.engine.connect() as conn:
            left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    return diff, tables, left


def test_migrations_sqlite(tmp_path):
    diff, tables, left = _upgrade_and_diff(f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    assert {"stores", "users", "customers", "vehicles", "case_events", "case_counters"} <= tables
    assert diff == [], f"models and migrations differ: {diff}"
    assert left == set(), "downgrade to base leaves tables behind"


@pytest.mark.postgres
def test_migrations_postgres(tmp_path):
    import uuid

    name = f"claimdesk_mig_{uuid.uuid4().hex[:10]}"  # unique: parallel runs share the server
    url = make_pg_database(name)
    try:
        diff, tables, left = _upgrade_and_diff(url, tmp_path)
    finally:
        drop_pg_database(name)
    assert diff == [], f"models and migrations differ: {diff}"
    assert left == set()


def test_one_head():
    """`flask db upgrade` (to "head") needs a single line of revisions."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


#: ids handed out while the domains were built in parallel run in another order than their numbers;
#: they are shipped (databases store them), so they stay, and their messages carry the step instead
SHIPPED_OUT_OF_NUMBER = {"0004_complaints": 3, "0005_claims": 4, "0003_sla": 5}


def test_history_reads_in_order():
    """`flask db history` shows each revision's message: "step N · …" says where it runs when the id's
    number does not. A revision that carries a step must carry its real one; a new revision whose
    number is its step needs none."""
    import re

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    chain = list(reversed(list(ScriptDirectory.from_config(cfg).walk_revisions("base", "heads"))))
    for position, script in enumerate(chain, start=1):
        step = re.match(r"step (\d+) · ", script.doc)
        number = int(re.match(r"\d+", script.revision).group())
        if step is not None:
            assert int(step.group(1)) == position, (script.revision, script.doc)
        else:
            assert number == position, f"{script.revision} runs as step {position}: say so in its message"
    assert {s.revision: p for p, s in enumerate(chain, start=1)
            if s.revision in SHIPPED_OUT_OF_NUMBER} == SHIPPED_OUT_OF_NUMBER
