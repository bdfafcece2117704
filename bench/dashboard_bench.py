"""Dashboard benchmark on PostgreSQL: dashboard JSON p95 (target ≤ 150 ms) and the first page of a
case list p95 (target ≤ 50 ms), plus the plan of the slowest dashboard query.

The data goes into a dedicated database (default `claimdesk_bench`), built with server-side SQL
(INSERT … SELECT generate_series), so a million cases take a minute or two, not hours:

    PYTHONPATH=$PWD /work/venv/bin/python bench/dashboard_bench.py            # 100k cases, 300k facts
    PYTHONPATH=$PWD /work/venv/bin/python bench/dashboard_bench.py --full     # 1M cases, 3M facts
    … --reuse    keep the database if it already holds that size (only measure)

Shape of the data: 10 stores, 3 years of history; work orders 50 %, complaints 30 %, claims 20 %;
each case has its three timers ended (3 facts per case), ~20 % breached, some paused; cases of the
last 30 days are mostly open with live clocks, some breached and escalated.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("CLAIMDESK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
STORES = 10
DAYS = 3 * 365
KEYS = {"work_order": ["work_order.promised_completion", "work_order.extra_work_approval", "work_order.follow_up_call"],
        "complaint": ["complaint.first_response", "complaint.resolution", "complaint.follow_up"],
        "claim": ["claim.assessment", "claim.documents", "claim.payout"]}
TABLES = {"work_order": "work_orders", "complaint": "complaints", "claim": "claims"}
SHARE = {"work_order": 0.5, "complaint": 0.3, "claim": 0.2}
OPEN = {"work_order": ["reception", "estimated", "authorised", "in_repair", "quality_check", "ready", "delivered"],
        "complaint": ["listen", "apologise", "resolve", "follow_up"],
        "claim": ["reported", "assessment", "repair", "documents", "payout"]}
CLOSED = {"work_order": "closed", "complaint": "closed", "claim": "closed"}
PREFIX = {"work_order": "WO", "complaint": "CP", "claim": "CL"}


def db_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- building the data ------------------------------------------------------------------------------
def fill_defaults(conn, table: str, given: dict[str, str]) -> tuple[str, str]:
    """Column list and SELECT expressions: the given ones, plus a neutral value for every other NOT NULL
    column without a server default (the models' defaults are Python-side)."""
    cols = sa.inspect(conn).get_columns(table)
    names, exprs = [], []
    for c in cols:
        if c["name"] in given:
            names.append(c["name"])
            exprs.append(given[c["name"]])
            continue
        if c["nullable"] or c.get("default") is not None or c["name"] == "id":
            continue
        t = str(c["type"]).upper()
        value = ("false" if "BOOL" in t else "0" if any(x in t for x in ("INT", "NUMERIC", "FLOAT", "DOUBLE", "REAL"))
                 else "'[]'::jsonb" if "JSON" in t else "now()" if "TIMESTAMP" in t else "current_date" if t == "DATE"
                 else "''")
        names.append(c["name"])
        exprs.append(value)
    return ", ".join(f'"{n}"' for n in names), ", ".join(exprs)


def insert_select(conn, table: str, given: dict[str, str], source: str) -> int:
    cols, exprs = fill_defaults(conn, table, given)
    res = conn.execute(sa.text(f'INSERT INTO "{table}" ({cols}) SELECT {exprs} {source}'))
    return res.rowcount


def build(name: str, cases: int) -> None:
    from flask_migrate import upgrade

    from claimdesk.app import create_app

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url(name), "EMBEDDED_WORKER": "off", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from claimdesk.extensions import db

        db.engine.dispose()
    engine = sa.create_engine(db_url(name))
    t0 = time.time()
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
        _people(conn)
        customers = max(1000, cases // 10)
        insert_select(conn, "customers", {"store_id": f"1 + (g % {STORES})", "name": "'客户' || g",
                                          "phone": "'13' || lpad(g::text, 9, '0')"},
                      f"FROM generate_series(1, {customers}) g")
        insert_select(conn, "vehicles", {"store_id": f"1 + (g % {STORES})", "customer_id": "g",
                                         "vin": "'LSVBENCH' || lpad(g::text, 9, '0')", "plate": "'粤A' || g",
                                         "model": "'Lavida'", "mileage_km": "10000 + g % 90000"},
                      f"FROM generate_series(1, {customers}) g")
        log(f"people, {customers} customers and vehicles")
        offset = 0
        for case_type in ("work_order", "complaint", "claim"):
            n = int(cases * SHARE[case_type])
            _cases(conn, case_type, n, customers)
            _clocks_and_facts(conn, case_type)
            offset += n
        _escalations(conn)
        _claims_money(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    log(f"built {name} in {time.time() - t0:.0f} s")


def _people(conn) -> None:
    conn.execute(sa.text(f"INSERT INTO stores (code, name, timezone, settings, created_at, updated_at) "
                         f"SELECT 'S' || lpad(g::text, 2, '0'), 'Bench store ' || g, 'Asia/Shanghai', '{{}}'::jsonb, "
                         f"now(), now() FROM generate_series(1, {STORES}) g"))
    from werkzeug.security import generate_password_hash

    pw = generate_password_hash("bench-pass-1")
    # per store: 8 advisors and a manager; plus one group manager
    conn.execute(sa.text(
        "INSERT INTO users (username, password_hash, full_name, role, store_id, is_group, is_store_manager, active, "
        "created_at, updated_at) SELECT 'adv' || s || '_' || a, :pw, 'Advisor ' || s || '-' || a, "
        "'advisor', s, false, false, true, now(), now() FROM generate_series(1, :stores) s, generate_series(1, 8) a"),
        {"pw": pw, "stores": STORES})
    conn.execute(sa.text(
        "INSERT INTO users (username, password_hash, full_name, role, store_id, is_group, is_store_manager, active, "
        "created_at, updated_at) SELECT 'mgr' || s, :pw, 'Manager ' || s, 'manager', s, false, true, "
        "true, now(), now() FROM generate_series(1, :stores) s"), {"pw": pw, "stores": STORES})
    conn.execute(sa.text(
        "INSERT INTO users (username, password_hash, full_name, role, store_id, is_group, is_store_manager, active, "
        "created_at, updated_at) VALUES ('group', :pw, 'Group manager', 'manager', 1, true, false, "
        "true, now(), now())"), {"pw": pw})
    conn.execute(sa.text(
        "INSERT INTO insurers (name, short_name, required_documents, contacts, active, created_at, updated_at) "
        "SELECT 'Insurer ' || g, 'INS' || g, '[\"vehicle_licence\",\"policy\",\"repair_invoice\"]'::jsonb, "
        "'[]'::jsonb, true, now(), now() FROM generate_series(1, 6) g"))


def _advisor(expr_store: str, g: str) -> str:
    # users: advisors have ids 1..STORES*8 in store order (s-1)*8 + a
    return f"(({expr_store}) - 1) * 8 + 1 + ({g} % 8)"


def _cases(conn, case_type: str, n: int, customers: int) -> None:
    table = TABLES[case_type]
    opens = OPEN[case_type]
    states = "ARRAY[" + ",".join(f"'{s}'" for s in opens) + "]"
    # age in days: uniform over 3 years; the newest 1.5 % are open (a realistic backlog)
    given = {
        "number": f"'{PREFIX[case_type]}-' || g",
        "store_id": f"1 + (g % {STORES})",
        "customer_id": f"1 + (g % {customers})",
        "assignee_id": _advisor(f"1 + (g % {STORES})", "(g / 7)"),
        "state": f"CASE WHEN age < {DAYS} * 0.015 THEN ({states})[1 + (g % {len(opens)})] "
                 f"ELSE '{CLOSED[case_type]}' END",
        "version": "1", "escalation_level": "0",
        "created_at": "now() - make_interval(secs => age * 86400)",
        "updated_at": "now() - make_interval(secs => age * 86400)",
        "closed_at": f"CASE WHEN age < {DAYS} * 0.015 THEN NULL ELSE now() - make_interval(secs => (age - 3) * 86400) END",
    }
    if case_type == "work_order":
        given.update(vehicle_id=f"1 + (g % {customers})", pay_type="'customer'", mileage_km="20000",
                     customer_description="'异响'", priority="'normal'",
                     followed_up_at="CASE WHEN age >= 3 AND g % 3 = 0 THEN now() - make_interval(secs => (age - 3) * 86400) END",
                     satisfaction="CASE WHEN age >= 3 AND g % 3 = 0 THEN 1 + (g * 7919 % 100) / 25 + (g % 2) END")
        given["satisfaction"] = "CASE WHEN age >= 3 AND g % 3 = 0 THEN LEAST(5, 1 + (g * 7919 % 100) / 20) END"
    elif case_type == "complaint":
        given.update(channel="(ARRAY['on_site','phone','callback','letter','manufacturer','regulator','online'])[1 + g % 7]",
                     category="(ARRAY['repair_quality','service_attitude','waiting_time','price','parts','sales','other'])"
                              "[1 + (g * 31) % 7]",
                     severity="(ARRAY['low','medium','medium','high'])[1 + g % 4]", description="'投诉'",
                     reopen_count="CASE WHEN g % 9 = 0 THEN 1 ELSE 0 END",
                     followed_up_at="CASE WHEN age >= 3 THEN now() - make_interval(secs => (age - 3) * 86400) END",
                     satisfied="CASE WHEN age >= 3 THEN g % 10 <> 0 END")
    else:
        given.update(vehicle_id=f"1 + (g % {customers})", insurer_id="1 + g % 6", policy_number="'P' || g",
                     accident_at="now() - make_interval(secs => (age + 1) * 86400)", description="'追尾'",
                     payer_route="'own_damage'", approved_amount="1000 + (g % 9000)",
                     assessed_at="now() - make_interval(secs => (age - 1) * 86400)",
                     submitted_at="CASE WHEN age > 10 OR (age < 16 AND g % 5 = 4) "
                                  "THEN now() - make_interval(secs => (age - 10) * 86400) END",
                     claimed_amount="CASE WHEN age > 10 OR (age < 16 AND g % 5 = 4) THEN 1000 + (g % 9000) END",
                     invoiced_amount="CASE WHEN age > 10 THEN 1000 + (g % 9000) END",
                     fully_paid_at="CASE WHEN age > 40 THEN now() - make_interval(secs => (age - 40) * 86400) END",
                     customer_owes_amount="0", written_off_amount="0", total_loss="false")
    source = (f"FROM (SELECT g, ({DAYS} * ((g * 2654435761::bigint) % 1000003) / 1000003.0) AS age "
              f"FROM generate_series(1::bigint, {n}) g) s")
    count = insert_select(conn, table, given, source)
    if case_type == "claim":  # claims in the payout stage: open and not fully paid
        conn.execute(sa.text("UPDATE claims SET state = 'payout', fully_paid_at = NULL WHERE submitted_at IS NOT NULL "
                             "AND state <> 'closed'"))
    log(f"{count} {table}")


def _clocks_and_facts(conn, case_type: str) -> None:
    table = TABLES[case_type]
    keys = KEYS[case_type]
    for i, key in enumerate(keys):
        pv = conn.execute(sa.text("SELECT id, target_seconds FROM sla_policy_versions WHERE key = :k AND store_id IS NULL "
                                  "ORDER BY version DESC LIMIT 1"), {"k": key}).one()
        # one ended clock per case and key; duration around the target with a long tail
        dur = f"({pv.target_seconds} * (0.2 + ((c.id::bigint * 7919 + {i}) % 1000) / 800.0) * (1 + ((c.id % 10 = 0)::int) * 2))"
        given = {"case_type": f"'{case_type}'", "case_id": "c.id", "store_id": "c.store_id", "policy_key": f"'{key}'",
                 "policy_version_id": str(pv.id), "generation": "1",
                 "state": f"CASE WHEN {dur} > {pv.target_seconds} THEN 'breached' ELSE 'met' END",
                 "calendar": "'24x7'", "target_seconds": str(pv.target_seconds),
                 "warn_seconds": str(int(pv.target_seconds * 0.75)), "escalate_after_seconds": "14400",
                 "started_at": f"c.created_at + make_interval(secs => {i} * 3600)",
                 "consumed_seconds": dur, "paused_seconds": "0",
                 "stopped_at": f"c.created_at + make_interval(secs => {i} * 3600 + {dur})",
                 "breached_at": f"CASE WHEN {dur} > {pv.target_seconds} THEN c.created_at + "
                                f"make_interval(secs => {i} * 3600 + {pv.target_seconds}) END",
                 "due_at": f"CASE WHEN {dur} > {pv.target_seconds} THEN c.created_at + "
                           f"make_interval(secs => {i} * 3600 + {pv.target_seconds}) END",
                 "escalation_level": f"CASE WHEN {dur} > {pv.target_seconds} THEN 2 ELSE 0 END",
                 "updated_at": "now()"}
        closed = f"FROM {table} c WHERE c.closed_at IS NOT NULL"
        insert_select(conn, "sla_clocks", given, closed)
        # open cases: a live clock (every state), deadlines around now — some breached, some at risk
        live = dict(given)
        live.update(state="CASE WHEN c.id % 5 = 0 THEN 'breached' WHEN c.id % 5 = 1 THEN 'warning' ELSE 'running' END",
                    running_since="c.created_at", consumed_seconds="0", stopped_at="NULL", breached_at="NULL",
                    due_at=f"now() + make_interval(secs => ((c.id % 5) - 1) * {pv.target_seconds} / 2.0 + 60)",
                    warn_at=f"now() + make_interval(secs => ((c.id % 5) - 1.5) * {pv.target_seconds} / 2.0)",
                    next_fire_at=f"now() + make_interval(secs => ((c.id % 5) - 1) * {pv.target_seconds} / 2.0 + 60)",
                    escalation_level="CASE WHEN c.id % 5 = 0 THEN 2 WHEN c.id % 5 = 1 THEN 1 ELSE 0 END")
        insert_select(conn, "sla_clocks", live, f"FROM {table} c WHERE c.closed_at IS NULL")
    paused = ("CASE WHEN k.id % 7 = 0 THEN jsonb_build_object((ARRAY['waiting_customer','waiting_insurer',"
              "'waiting_parts','waiting_documents'])[1 + k.id % 4], (k.id % 86400)::float) ELSE '{}'::jsonb END")
    insert_select(conn, "sla_facts", {
        "clock_id": "k.id", "generation": "1", "case_type": "k.case_type", "case_id": "k.case_id",
        "store_id": "k.store_id", "policy_key": "k.policy_key", "policy_version_id": "k.policy_version_id",
        "outcome": "CASE WHEN k.state = 'breached' THEN 'breached' ELSE 'met' END", "calendar": "k.calendar",
        "started_at": "k.started_at", "ended_at": "k.stopped_at", "due_at": "k.due_at",
        "target_seconds": "k.target_seconds", "wall_seconds": "k.consumed_seconds",
        "business_seconds": "k.consumed_seconds", "elapsed_seconds": "k.consumed_seconds",
        "paused_seconds": "CASE WHEN k.id % 7 = 0 THEN (k.id % 86400)::float ELSE 0 END",
        "paused_by_reason": paused, "margin_seconds": "k.target_seconds - k.consumed_seconds",
        "breached": "k.state = 'breached'", "max_level": "k.escalation_level",
        "holder_id": "c.assignee_id", "created_at": "k.stopped_at"},
        f"FROM sla_clocks k JOIN {table} c ON c.id = k.case_id WHERE k.case_type = '{case_type}' "
        f"AND k.stopped_at IS NOT NULL")
    log(f"{case_type}: clocks and facts")


def _escalations(conn) -> None:
    for level, when in ((2, "k.due_at"), (3, "k.due_at + interval '4 hours'")):
        cond = "k.escalation_level >= 2" if level == 2 else "k.escalation_level >= 2 AND k.id % 3 = 0"
        conn.execute(sa.text(
            f"INSERT INTO sla_escalations (clock_id, generation, level, case_type, case_id, scheduled_at, fired_at, "
            f"recipient_ids) SELECT k.id, 1, {level}, k.case_type, k.case_id, {when}, {when}, '[]'::jsonb "
            f"FROM sla_clocks k WHERE {cond} AND k.due_at IS NOT NULL AND {when} <= now()"))
    log("escalations")


def _claims_money(conn) -> None:
    conn.execute(sa.text(
        "INSERT INTO claim_payouts (claim_id, amount, paid_at, recorded_at) SELECT id, claimed_amount, "
        "submitted_at + interval '20 days', submitted_at + interval '20 days' FROM claims "
        "WHERE fully_paid_at IS NOT NULL AND claimed_amount IS NOT NULL"))
    conn.execute(sa.text(
        "INSERT INTO claim_payouts (claim_id, amount, paid_at, recorded_at) SELECT id, claimed_amount / 2, "
        "submitted_at + interval '5 days', submitted_at + interval '5 days' FROM claims "
        "WHERE state = 'payout' AND id % 2 = 0 AND submitted_at < now() - interval '5 days'"))
    conn.execute(sa.text(
        "INSERT INTO claim_documents (claim_id, kind, position, required, status) SELECT c.id, k.kind, k.pos, true, "
        "CASE WHEN (c.id + k.pos) % 3 = 0 THEN 'verified' ELSE 'missing' END FROM claims c, "
        "(VALUES ('vehicle_licence', 0), ('policy', 1), ('repair_invoice', 2)) AS k(kind, pos) "
        "WHERE c.state = 'documents'"))
    log("claims money and documents")


def prepare(name: str) -> None:
    """Bring a kept database to the current schema and fold the SLA ledgers into the dashboard's read
    copies (what the periodic fold job does every minute; here all at once)."""
    from flask_migrate import upgrade

    from claimdesk.app import create_app
    from claimdesk.dashboard import rollups
    from claimdesk.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url(name), "EMBEDDED_WORKER": "off", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        t0, total = time.time(), {"facts": 0, "escalations": 0}
        while rollups.behind():
            folded = rollups.fold(batch=1_000_000)
            db.session.commit()
            for k, v in folded.items():
                total[k] += v
        if total["facts"] or total["escalations"]:
            log(f"folded {total['facts']:,} facts and {total['escalations']:,} escalations in {time.time() - t0:.0f} s")
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE dash_sla_facts, dash_sla_pauses, dash_sla_escalations"))
        db.engine.dispose()


# --- measuring ----------------------------------------------------------------------------------------
def measure(name: str, runs: int) -> None:
    from claimdesk.app import create_app
    from claimdesk.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url(name), "EMBEDDED_WORKER": "off", "SECRET_KEY": "bench",
                      "LOGIN_RATE_LIMIT": "100000 per minute"})
    client = app.test_client()
    with app.app_context():
        counts = db.session.execute(sa.text(
            "SELECT (SELECT count(*) FROM work_orders) + (SELECT count(*) FROM complaints) + "
            "(SELECT count(*) FROM claims), (SELECT count(*) FROM sla_facts), "
            "(SELECT count(*) FROM sla_clocks WHERE stopped_at IS NULL)")).one()
    print(f"\n{name}: {counts[0]:,} cases, {counts[1]:,} clock facts, {counts[2]:,} open clocks\n")

    def token(username):
        r = client.post("/api/v1/auth/tokens", json={"username": username, "password": "bench-pass-1"})
        assert r.status_code == 201, r.get_data(as_text=True)
        return {"Authorization": f"Bearer {r.json['token']}"}

    store_mgr, group = token("mgr1"), token("group")
    cases = [
        ("dashboard JSON, store manager, last 30 days", "/api/v1/sla/dashboard", store_mgr, 150),
        ("dashboard JSON, group manager, all stores, last 30 days", "/api/v1/sla/dashboard", group, 150),
        ("dashboard JSON, group manager, one store, 90 days", "/api/v1/sla/dashboard?store_id=2&from="
         + time.strftime("%Y-%m-%d", time.localtime(time.time() - 90 * 86400)), group, 150),
        ("dashboard JSON, group manager, complaints only", "/api/v1/sla/dashboard?case_type=complaint", group, 150),
    ]
    for path in ("work-orders", "complaints", "claims"):
        cases.append((f"case list page 1, store manager: /{path}", f"/api/v1/{path}?page=1&per_page=50", store_mgr, 50))
        cases.append((f"case list page 1, group manager: /{path}", f"/api/v1/{path}?page=1&per_page=50", group, 50))
    cases.append(("case list page 1, group manager, open complaints in 'listen'",
                  "/api/v1/complaints?state=listen&page=1", group, 50))
    results = []
    for label, path, headers, target in cases:
        for _ in range(3):  # warm-up
            resp = client.get(path, headers=headers)
            assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:300])
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            client.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        results.append((label, p50, p95, target))
    print(f"{'what':<68} {'p50 ms':>8} {'p95 ms':>8} {'target':>7}")
    for label, p50, p95, target in results:
        ok = "ok" if p95 <= target else "MISSED"
        print(f"{label:<68} {p50:8.1f} {p95:8.1f} {target:>5} {ok}")
    _slowest_plan(app, client, group)


def _slowest_plan(app, client, headers) -> None:
    """Time every statement of one group-wide dashboard request; EXPLAIN ANALYZE the slowest."""
    from sqlalchemy import event

    from claimdesk.extensions import db

    seen = []
    with app.app_context():
        engine = db.engine

        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("t", []).append(time.perf_counter())

        def after(conn, cursor, statement, parameters, context, executemany):
            seen.append(((time.perf_counter() - conn.info["t"].pop()) * 1000, statement, parameters))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            client.get("/api/v1/sla/dashboard", headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
        seen.sort(key=lambda x: -x[0])
        print(f"\n{len(seen)} statements in one group-wide dashboard request; slowest five (ms):")
        for ms, statement, _p in seen[:5]:
            print(f"  {ms:7.1f}  {' '.join(statement.split())[:150]}")
        ms, statement, params = seen[0]
        with engine.connect() as conn:
            conn.exec_driver_sql("SET work_mem = '32MB'")  # as the request's transaction has it (queries._work_mem)
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).all()
        print(f"\nslowest statement ({ms:.1f} ms):\n{statement}\n\nplan:")
        for (line,) in plan:
            print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="1,000,000 cases and 3,000,000 clock facts")
    parser.add_argument("--cases", type=int, help="number of cases (default 100000, or 1000000 with --full)")
    parser.add_argument("--db", default="claimdesk_bench")
    parser.add_argument("--reuse", action="store_true", help="measure an existing database of that size")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    cases = args.cases or (1_000_000 if args.full else 100_000)
    name = f"{args.db}_{cases // 1000}k"
    exists = False
    if args.reuse:
        admin = sa.create_engine(ADMIN_URL)
        with admin.connect() as c:
            exists = c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
        admin.dispose()
    if not exists:
        log(f"building {name}: {cases:,} cases, {cases * 3:,} clock facts")
        build(name, cases)
    prepare(name)
    measure(name, args.runs)


if __name__ == "__main__":
    main()
