"""Where a complaint's creation spends its CPU: N creations through the WSGI app in one process, under
cProfile (or pyinstrument), against a throw-away PostgreSQL database and Redis db — the same code path as
`POST /api/v1/complaints` under gunicorn, without the network.

    PYTHONPATH=$PWD /work/venv/bin/python bench/profile_create.py [-n 1000] [--sort tottime] [--top 40]
    … --count-sql     print the SQL statements of one creation (parameters and length of each)
    … --pyinstrument  the call tree sampled by pyinstrument (PYI_ALL=1: with library frames)
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("CLAIMDESK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = "claimdesk_profile"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--count-sql", action="store_true")
    ap.add_argument("--pyinstrument", action="store_true",
                    help="sample with pyinstrument instead of cProfile (less distortion of many small calls; "
                         "prints the call tree; PYI_ALL=1 shows library frames too)")
    ap.add_argument("--redis-db", type=int, default=13)
    args = ap.parse_args()

    import psycopg
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{DB}"
    os.environ.update(CLAIMDESK_DATABASE_URL=url, CLAIMDESK_REDIS_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
                      CLAIMDESK_ENV="production", CLAIMDESK_SECRET_KEY="profile-secret-key-0123456789abcdef")
    from flask_migrate import upgrade

    from claimdesk.app import create_app
    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    runner = app.test_cli_runner()
    runner.invoke(args=["claimdesk", "create-store", "--code", "PF1", "--name", "Profile store"])
    runner.invoke(args=["claimdesk", "create-user", "--username", "clerk", "--password", "profile-pass-1",
                        "--role", "customer_relations", "--store", "PF1", "--name", "Clerk"])
    client = app.test_client()
    token = client.post("/api/v1/auth/tokens", json={"username": "clerk", "password": "profile-pass-1"}).json["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    cust = [client.post("/api/v1/customers", json={"name": f"客户{i}", "phone": f"139{i:08d}"}, headers=headers)
            .json["id"] for i in range(20)]

    def create(i):
        r = client.post("/api/v1/complaints", headers=headers, json={
            "customer_id": cust[i % 20], "channel": "phone", "category": "waiting_time", "severity": "medium",
            "description": "Waited two hours past the promised time."})
        assert r.status_code == 201, r.json

    for i in range(50):
        create(i)
    if args.count_sql:
        import sqlalchemy as sa

        from claimdesk.extensions import db
        seen = []
        with app.app_context():
            engine = db.engine
        def record(conn, cursor, stmt, params, *_a):
            seen.append(f"[{len(params or ())} params, {len(stmt)} chars] {stmt}")

        sa.event.listen(engine, "before_cursor_execute", record)
        create(0)
        for s in seen:
            print("--", " ".join(s.split())[:200])
        print(len(seen), "statements")
        return
    t0 = time.process_time()
    w0 = time.perf_counter()
    if args.pyinstrument:
        from pyinstrument import Profiler
        prof = Profiler(interval=0.0002)
        prof.start()
        for i in range(args.n):
            create(i)
        prof.stop()
    else:
        prof = cProfile.Profile()
        prof.enable()
        for i in range(args.n):
            create(i)
        prof.disable()
    cpu = (time.process_time() - t0) / args.n * 1000
    wall = (time.perf_counter() - w0) / args.n * 1000
    if args.pyinstrument:
        print(prof.output_text(unicode=True, color=False, show_all=bool(os.environ.get("PYI_ALL"))))
    else:
        pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
    print(json.dumps({"creations": args.n, "cpu_ms_per_creation_profiled": round(cpu, 2),
                      "wall_ms_per_creation_profiled": round(wall, 2)}))
    batches = []
    for _ in range(5):  # the least CPU of five batches: the figure least disturbed by the rest of the machine
        t0 = time.process_time()
        for i in range(args.n):
            create(i)
        batches.append((time.process_time() - t0) / args.n * 1000)
    print(json.dumps({"cpu_ms_per_creation": round(min(batches), 2),
                      "batches": [round(b, 2) for b in batches]}))


if __name__ == "__main__":
    main()
