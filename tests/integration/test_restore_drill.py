"""Restore drill: back up (pg_dump + the upload folder), restore into a fresh database and a fresh
folder, start the app on them with an empty Redis (Redis is not backed up) and check that every case,
document and clock came back, and that a clock which fell due while the service was down fires
exactly once — even when the sweep runs twice.

This is the procedure docs/security.md ("Backups and restore") describes, run end to end:

    pg_dump -Fc  DB        > db.dump            tar -czf uploads.tar.gz -C UPLOAD_FOLDER .
    createdb NEW && pg_restore --exit-on-error --no-owner -d NEW db.dump
    tar -xzf uploads.tar.gz -C NEW_FOLDER       start web, worker and cron on NEW / NEW_FOLDER
"""
from __future__ import annotations

import glob
import io
import os
import shutil
import socket
import subprocess
import tarfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.claims.factories import JPEG, PDF, PNG
from tests import conftest
from tests.conftest import REDIS_BASE, REQUIRE, AppClient, drop_pg_database, make_pg_database
from tests.workorders.conftest import LABOUR, PART

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PG_TOOLS = ("pg_dump", "pg_restore")


def pg_tool(name: str) -> str:
    """A PostgreSQL client program: $CLAIMDESK_PG_BIN, then the newest /usr/lib/postgresql/N/bin (Debian
    installs the client tools there with the server), then PATH. Missing: fail under CI, else skip."""
    candidates = []
    if os.environ.get("CLAIMDESK_PG_BIN"):
        candidates.append(Path(os.environ["CLAIMDESK_PG_BIN"]) / name)

    def version(path: str) -> int:
        try:
            return int(Path(path).parts[-3])
        except (ValueError, IndexError):
            return 0

    candidates += [Path(p) for p in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version,
                                           reverse=True)]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    message = f"{name} not found (set CLAIMDESK_PG_BIN, or install the PostgreSQL client tools)"
    if REQUIRE:
        pytest.fail(message)
    pytest.skip(message)


def libpq_url(sqlalchemy_url: str) -> str:
    """The database URL as pg_dump/pg_restore take it (no SQLAlchemy driver suffix)."""
    url = sa.engine.make_url(sqlalchemy_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{Path(cmd[0]).name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"


class FreshRedis:
    """An empty Redis database number of our own (locked in db 0, as tests/conftest.py does): the
    restored site starts with nothing in Redis, as after losing the server."""

    def __init__(self):
        import redis

        self.base = redis.Redis.from_url(REDIS_BASE)
        self.token = f"{socket.gethostname()}:{os.getpid()}:drill"
        self.lock = None
        for n in range(1, 16):
            if self.base.set(f"claimdesk:testlock:{n}", self.token, nx=True, ex=3600):
                self.lock = f"claimdesk:testlock:{n}"
                self.url = f"{REDIS_BASE.rstrip('/')}/{n}"
                break
        if self.lock is None:
            pytest.fail("no free Redis database number (1-15) for the restore drill")
        redis.Redis.from_url(self.url).flushdb()

    def release(self):
        import redis

        redis.Redis.from_url(self.url).flushdb()
        if self.base.get(self.lock) == self.token.encode():
            self.base.delete(self.lock)


# --- the comparison ------------------------------------------------------------------------------
def table_rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table (and the Alembic head), in a stable order."""
    from claimdesk.extensions import db

    out = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name.startswith("test_"):
                continue
            out[table.name] = sorted((tuple(r) for r in conn.execute(table.select())), key=repr)
        out["alembic_version"] = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        out["sequences"] = sorted(conn.execute(sa.text(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")).all())
    return out


def firings(engine) -> dict[str, list[tuple]]:
    """What firing a clock writes: the escalation ledger, the SLA timeline events, the notices."""
    with engine.connect() as conn:
        return {
            "ledger": sorted(conn.execute(sa.text("SELECT clock_id, level FROM sla_escalations")).all()),
            "events": sorted(conn.execute(sa.text(
                "SELECT case_type, case_id, kind, action FROM case_events "
                "WHERE kind IN ('sla', 'escalation')")).all()),
            "notices": sorted(conn.execute(sa.text(
                "SELECT user_id, kind, dedupe_key FROM notifications")).all()),
        }


# --- the dataset ---------------------------------------------------------------------------------
def with_check_digit(vin: str) -> str:
    from claimdesk.customers.validators import vin_check_digit

    return vin[:8] + vin_check_digit(vin) + vin[9:]


def build_dataset(app, store, make_user, api_as) -> dict:
    """A working store through the API: cases of all three types in several states, claim documents,
    running and paused clocks — and a complaint whose first response falls due 10 minutes later."""
    from claimdesk.core import clock

    users = {"advisor": make_user("advisor", username="advisor"), "clerk": make_user("customer_relations",
                                                                                      username="clerk"),
             "tech": make_user("workshop", username="tech"), "asm": make_user("manager", username="asm"),
             "boss": make_user("manager", username="boss", is_store_manager=True)}
    api = {name: api_as(user) for name, user in users.items()}
    adv, cr, ws, boss = api["advisor"], api["clerk"], api["tech"], api["boss"]

    def ok(resp, status=(200, 201)):
        assert resp.status_code in status, resp.get_data(as_text=True)[:800]
        return resp.json

    ok(boss.put("sla/policies/complaint.first_response", {"target_seconds": 600, "calendar": "24x7",
                                                          "warn_ratio": 0.5, "escalate_after_seconds": 3600}))
    people = []
    for i in range(4):
        customer = ok(adv.post("customers", {"name": f"客户{i}", "phone": f"1381234{i:04d}"}))
        vin = with_check_digit(f"LSVAU2180N21{i:05d}")
        vehicle = ok(adv.post("vehicles", {"customer_id": customer["id"], "vin": vin, "plate": f"粤A{i:05d}",
                                            "model": "Lavida", "mileage_km": 20000 + i}))
        people.append((customer, vehicle))

    def complaint(customer, text):
        return ok(cr.post("complaints", {"customer_id": customer["id"], "channel": "phone",
                                         "severity": "medium", "category": "waiting_time",
                                         "description": text}))

    due = complaint(people[0][0], "Waited three hours for an oil change")  # falls due while down
    listened = complaint(people[1][0], "The car came back dirty")
    ok(cr.action("complaints", listened["id"], "listen", account="Interior not cleaned after repair"))
    ok(cr.action("complaints", listened["id"], "apologise", note="Apologised by phone"))
    paused = complaint(people[2][0], "Charged twice for the parts")
    ok(cr.action("complaints", paused["id"], "listen", account="Two charges on the card"))
    ok(cr.action("complaints", paused["id"], "pause", reason="waiting_customer"))

    def work_order(customer, vehicle, text):
        return ok(adv.post("work-orders", {"customer_id": customer["id"], "vehicle_id": vehicle["id"],
                                           "mileage_km": vehicle["mileage_km"] + 100,
                                           "customer_description": text}))

    wo_new = work_order(*people[0], "Annual service")
    ok(adv.action("work-orders", wo_new["id"], "note", text="Customer waits in the lounge",
                  visibility="internal"))
    wo_repair = work_order(*people[1], "Squeak when braking")
    ok(adv.action("work-orders", wo_repair["id"], "estimate", lines=[LABOUR, PART]))
    ok(adv.action("work-orders", wo_repair["id"], "authorise", signed_by="Mr Wang",
                  promised_at=(clock.now() + timedelta(days=2)).isoformat()))
    ok(ws.action("work-orders", wo_repair["id"], "dispatch", team="Team A"))
    wo_parts = work_order(*people[2], "Rattle from the dashboard")
    ok(adv.action("work-orders", wo_parts["id"], "estimate", lines=[LABOUR]))
    ok(adv.action("work-orders", wo_parts["id"], "authorise", signed_by="Ms Li",
                  promised_at=(clock.now() + timedelta(days=1)).isoformat()))
    ok(adv.action("work-orders", wo_parts["id"], "pause", reason="waiting_parts"))

    insurer = ok(adv.post("insurers", {"name": "PICC Property", "required_documents": ["policy",
                                                                                      "accident_certificate",
                                                                                      "vehicle_licence"]}))

    def claim(customer, vehicle, report):
        return ok(adv.post("claims", {"customer_id": customer["id"], "vehicle_id": vehicle["id"],
                                      "insurer_id": insurer["id"], "policy_number": "PDAA2026440100001234",
                                      "report_number": report,
                                      "accident_at": (clock.now() - timedelta(days=1)).isoformat(),
                                      "description": "Rear-ended at a red light"}))

    claim_reported = claim(*people[3], "RDAA2026440100000001")
    claim_repair = claim(*people[2], "RDAA2026440100000002")
    ok(adv.action("claims", claim_repair["id"], "vehicle_arrived"))
    ok(adv.action("claims", claim_repair["id"], "assess", assessor_name="Zhang", approved_amount="8200.00"))
    uploads = {}
    for kind, data, name in (("policy", PDF, "保单.pdf"), ("accident_certificate", PNG, "certificate.png"),
                             ("vehicle_licence", JPEG, "licence.jpg")):
        # distinct bytes per file (content-addressed storage would share identical ones)
        data = data + f"\n{uuid.uuid4().hex}\n".encode()
        doc = ok(adv.post(f"claims/{claim_repair['id']}/documents",
                          data={"kind": kind, "file": (io.BytesIO(data), name)}))["document"]
        uploads[doc["id"]] = data
    doc = ok(adv.post(f"claims/{claim_reported['id']}/documents",
                      data={"kind": "policy", "file": (io.BytesIO(PDF + b"% reported\n"), "policy.pdf")}))
    uploads[doc["document"]["id"]] = PDF + b"% reported\n"
    ok(adv.action("claims", claim_repair["id"], "collect_document", kind="policy", status="verified"))
    return {"user_ids": {name: user.id for name, user in users.items()}, "api": api, "due_complaint": due,
            "cases": {"complaints": [due["id"], listened["id"], paused["id"]],
                      "work-orders": [wo_new["id"], wo_repair["id"], wo_parts["id"]],
                      "claims": [claim_reported["id"], claim_repair["id"]]},
            "uploads": uploads}


# --- the drill -----------------------------------------------------------------------------------
def test_backup_restore_and_the_clock_that_fell_due_while_down(app, committed_db, store, make_user, api_as,
                                                               tmp_path):
    from claimdesk import jobs
    from claimdesk.app import create_app
    from claimdesk.core import clock
    from claimdesk.extensions import db
    from claimdesk.jobs.worker import EmbeddedRunner
    from claimdesk.sla.scheduling import fire_job_id

    pg_dump, pg_restore = (pg_tool(t) for t in PG_TOOLS)
    t0 = clock.now().replace(microsecond=0)
    clock.set_now(t0)
    data = build_dataset(app, store, make_user, api_as)
    source_url = app.config["SQLALCHEMY_DATABASE_URI"]
    source_uploads = Path(app.config["UPLOAD_FOLDER"])
    due_clock = db.session.execute(sa.text(
        "SELECT id, generation, due_at, escalate_at, state FROM sla_clocks WHERE case_type = 'complaint' "
        "AND case_id = :c AND policy_key = 'complaint.first_response'"),
        {"c": data["due_complaint"]["id"]}).one()
    db.session.remove()
    assert due_clock.state == "running" and due_clock.due_at == t0 + timedelta(seconds=600)

    # --- backup: the database (custom format) and the upload folder, at t0 + 1 min ---------------
    clock.set_now(t0 + timedelta(minutes=1))
    backup = tmp_path / "backup"
    backup.mkdir()
    run([pg_dump, "-Fc", "--no-owner", "-f", str(backup / "db.dump"), libpq_url(source_url)])
    with tarfile.open(backup / "uploads.tar.gz", "w:gz") as tar:
        tar.add(source_uploads, arcname=".")
    source_engine = sa.create_engine(source_url)
    source_rows = table_rows(source_engine)
    assert all(source_rows[t] for t in ("complaints", "work_orders", "claims", "documents", "sla_clocks"))

    # --- the site is down for 25 minutes; the complaint's first response falls due at t0 + 10 min ---
    restored_name = f"claimdesk_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    restored_url = make_pg_database(restored_name)
    redis_db = FreshRedis()
    restored_engine = None
    restored = None
    try:
        run([pg_restore, "--exit-on-error", "--no-owner", "-d", libpq_url(restored_url),
             str(backup / "db.dump")])
        restored_uploads = tmp_path / "restored-uploads"
        restored_uploads.mkdir()
        with tarfile.open(backup / "uploads.tar.gz") as tar:
            tar.extractall(restored_uploads, filter="data")
        restored_engine = sa.create_engine(restored_url)

        # every row of every table is back, identical; the sequences continue where they were
        restored_rows = table_rows(restored_engine)
        assert restored_rows.keys() == source_rows.keys()
        for table in source_rows:
            assert restored_rows[table] == source_rows[table], f"table {table} differs after the restore"

        # --- start the app on the restored database, folder and an empty Redis ------------------
        clock.set_now(t0 + timedelta(minutes=25))
        restored = create_app(conftest.test_config(restored_url, redis_db.url, restored_uploads))
        restored.test_client_class = AppClient
        web = restored.test_client()
        assert web.get("/readyz").get_json()["status"] == "ok"
        old = app.test_client()

        def as_user(client, name, path):
            headers = data["api"][name].headers
            resp = client.get(f"/api/v1/{path}", headers=headers)
            assert resp.status_code == 200, (path, resp.get_data(as_text=True)[:500])
            return resp.json

        # the staff's API tokens are rows in the database: they work on the restored site as before
        for cases, ids in data["cases"].items():
            listed = as_user(web, "boss", f"{cases}?per_page=100")
            assert listed == as_user(old, "boss", f"{cases}?per_page=100")
            assert set(ids) <= {c["id"] for c in listed["items"]}
            for case_id in (c["id"] for c in listed["items"]):
                path = f"{cases}/{case_id}"
                assert as_user(web, "boss", path) == as_user(old, "boss", path)
                assert (as_user(web, "boss", f"{cases}/{case_id}/events")
                        == as_user(old, "boss", f"{cases}/{case_id}/events"))
                case_type = {"complaints": "complaint", "work-orders": "work_order", "claims": "claim"}[cases]
                timers = f"sla/timers?case_type={case_type}&case_id={case_id}"
                assert as_user(web, "boss", timers) == as_user(old, "boss", timers)
        for doc_id, content in data["uploads"].items():
            resp = web.get(f"/api/v1/documents/{doc_id}/content", headers=data["api"]["advisor"].headers)
            assert resp.status_code == 200 and resp.data == content, doc_id
        # a page through the real login form
        resp = web.post("/login", data={"username": "advisor", "password": "secret-pass-1"})
        assert resp.status_code == 302
        claim_page = web.get(f"/claims/{data['cases']['claims'][1]}")
        assert claim_page.status_code == 200
        assert as_user(old, "boss", f"claims/{data['cases']['claims'][1]}")["number"] in claim_page.get_data(
            as_text=True)

        # --- the worker and the cron on the restored site: the sweep finds what fell due ------------
        assert firings(restored_engine) == firings(source_engine)  # nothing fired before the backup
        before = firings(restored_engine)
        jobs.load_job_modules()
        runner = EmbeddedRunner(restored)
        with restored.app_context():
            # Redis came back empty: no queued or scheduled job survived (the site's requests so far
            # left only their own keys, e.g. the login throttle's)
            assert not list(jobs.connection().scan_iter("rq:*"))
        runner.run_once(now=time.time())
        after_one = firings(restored_engine)
        new_ledger = sorted(set(after_one["ledger"]) - set(before["ledger"]))
        # the first response is past due (not yet at its escalation): breached once, warning skipped
        assert new_ledger == [(due_clock.id, 2)], new_ledger
        new_events = sorted(set(after_one["events"]) - set(before["events"]))
        assert [(e[0], e[1]) for e in new_events] == [("complaint", data["due_complaint"]["id"])], new_events
        assert len(after_one["events"]) == len(before["events"]) + 1
        notices = sorted(set(after_one["notices"]) - set(before["notices"]))
        # one notice per person for the breach: the assignee (the clerk who took the complaint) among them
        assert notices and all(kind == "sla.breach" for _u, kind, _d in notices), notices
        assert data["user_ids"]["clerk"] in {u for u, _k, _d in notices}
        assert len({u for u, _k, _d in notices}) == len(notices), notices
        assert len(notices) == len(after_one["notices"]) - len(before["notices"])
        with restored_engine.connect() as conn:
            state, next_fire = conn.execute(sa.text(
                "SELECT state, next_fire_at FROM sla_clocks WHERE id = :i"), {"i": due_clock.id}).one()
        assert state == "breached" and next_fire == due_clock.escalate_at
        # the exact-time job of its next step, lost with Redis, is scheduled again in the new Redis
        with restored.app_context():
            scheduled = jobs.get_queue("sla").scheduled_job_registry.get_job_ids()
        assert fire_job_id(due_clock.id, due_clock.generation, due_clock.escalate_at) in scheduled

        # the sweep runs again (the next minute's cron): nothing fires twice
        runner.run_once(now=time.time() + 120)
        assert firings(restored_engine) == after_one

        # the restored site goes on: a new case takes the next number
        last = max(as_user(web, "boss", f"complaints/{i}")["number"] for i in data["cases"]["complaints"])
        fresh = web.post("/api/v1/complaints", headers=data["api"]["clerk"].headers, json={
            "customer_id": data["due_complaint"]["customer_id"], "channel": "on_site", "category": "other",
            "severity": "low", "description": "After the restore"})
        assert fresh.status_code == 201, fresh.get_data(as_text=True)
        assert fresh.json["number"] > last and fresh.json["id"] > max(data["cases"]["complaints"])
    finally:
        clock.set_now(None)
        if restored is not None:
            with restored.app_context():
                db.session.remove()
                db.engine.dispose()
        jobs.reset_connections()
        jobs.bind_app(app)
        redis_db.release()
        source_engine.dispose()
        if restored_engine is not None:
            restored_engine.dispose()
        drop_pg_database(restored_name)
