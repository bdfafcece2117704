"""Where a complaint's creation spends its CPU: N creations through the WSGI app in one process, under
cProfile (or pyinstrument), against a throw-away PostgreSQL database and Redis db — the same code path as
`POST /api/v1/complaints` under gunicorn, without the network.

    PYTHONPATH=$PWD /work/venv/bin/python bench/profile_create.py [-n 1000] [--sort tottime] [--top 40]
    … --count-sql     print the SQL statements of one creation (parameters and length of each)
    … --pyinstrument  the call tree sampled by pyinstrument (PYI_ALL=1: with library frames)
    … --ab [--batches 10]  no profiler: batches of N creations alternating CREATION_FAST_PATH on and off in
                      this one process (machine noise hits both alike); CPU per creation and statements
                      per creation of each
    … --ab-epoch [--batches 10]  no profiler: batches alternating the SLA epoch's own read (as shipped) and
                      no read at all (the process's last epoch reused — unsafe, a measurement only: the
                      most any way of saving that round trip could win)
    … --sender [-n 500]  the RQ worker's side: N creations (each leaves a "complaint received" draft; half the
                      customers read English), then the batch sender's work (`messaging.sending.send_due`,
                      batches of MESSAGING_SEND_BATCH in one transaction each, as `send_due_messages` runs them)
                      under cProfile: CPU and statements per message, and the top of the profile
    … --database NAME --redis-db N   (default claimdesk_profile, 13)
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
    ap.add_argument("--database", default=DB)
    ap.add_argument("--ab", action="store_true", help="alternate CREATION_FAST_PATH on/off per batch, no profiler")
    ap.add_argument("--ab-epoch", action="store_true",
                    help="alternate the epoch's own read and no read (measurement only), no profiler")
    ap.add_argument("--sender", action="store_true", help="profile the batch sender's CPU per message")
    ap.add_argument("--batches", type=int, default=10, help="with --ab/--ab-epoch: batches per mode (default 10)")
    args = ap.parse_args()

    import psycopg
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {args.database}")
    import redis
    # a Redis db of its own, emptied: jobs left by an earlier run (same ids: the database is new) would turn
    # this run's enqueues into mere look-ups
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{args.redis_db}").flushdb()
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{args.database}"
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
        import redis.client
        sent: list[str] = []  # Redis commands of the creation (after its commit: the messaging kick)
        plain, piped = redis.client.Redis.execute_command, redis.client.Pipeline.execute

        def execute_command(self, *a, **k):
            if not isinstance(self, redis.client.Pipeline):
                sent.append(str(a[0]))
            return plain(self, *a, **k)

        def execute(self, *a, **k):
            sent.extend(f"{c[0][0]} (pipelined)" for c in self.command_stack)
            return piped(self, *a, **k)

        redis.client.Redis.execute_command, redis.client.Pipeline.execute = execute_command, execute
        create(0)
        redis.client.Redis.execute_command, redis.client.Pipeline.execute = plain, piped
        for s in seen:
            print("--", " ".join(s.split())[:200])
        print(len(seen), "statements")
        print(len(sent), "Redis commands:", ", ".join(sent))
        return
    if args.sender:
        sender(app, args, create)
        return
    if args.ab:
        ab(app, args, create)
        return
    if args.ab_epoch:
        ab(app, args, create, mode="epoch")
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


def sender(app, args, create) -> None:
    """The worker's CPU per message: N drafts written by N creations, then sent in batches as the sender job does
    (its own app context and transaction per batch; quiet hours off so every message goes out now)."""
    import sqlalchemy as sa

    from claimdesk.customers.models import Customer
    from claimdesk.extensions import db
    from claimdesk.messaging import sending, services
    from claimdesk.messaging.models import Message
    app.config["MESSAGING_QUIET_HOURS"] = "0-0"
    app.config["MESSAGING_DAILY_CAP"] = 0
    batch = app.config["MESSAGING_SEND_BATCH"]
    with app.app_context():  # every other customer reads English: a batch renders drafts in both languages
        for customer in db.session.scalars(sa.select(Customer).order_by(Customer.id)).all()[::2]:
            services.set_preference(customer, {"locale": "en"})
        db.session.commit()

    def drain(profile: cProfile.Profile | None) -> tuple[int, float, int]:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *_a: seen.append(1)  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        sent, cpu = 0, 0.0
        while True:
            t0 = time.process_time()
            if profile:
                profile.enable()
            with app.app_context():
                claimed = sending.send_due(batch)
                db.session.commit()
            if profile:
                profile.disable()
            cpu += time.process_time() - t0
            sent += claimed
            if claimed < batch:
                break
        sa.event.remove(engine, "before_cursor_execute", listener)
        return sent, cpu, len(seen)

    drain(None)  # the warm-up creations' messages
    rounds = []
    prof = cProfile.Profile()
    for r in range(3):
        for i in range(args.n):
            create(i)
        sent, cpu, stmts = drain(prof if r == 0 else None)
        rounds.append((sent, cpu, stmts))
    pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
    with app.app_context():
        states = dict(db.session.execute(sa.select(Message.state, sa.func.count()).group_by(Message.state)).all())
    for sent, cpu, stmts in rounds:
        print(json.dumps({"messages": sent, "cpu_ms_per_message": round(cpu / sent * 1000, 3),
                          "statements_per_message": round(stmts / sent, 2)}))
    print(json.dumps({"cpu_ms_per_message_unprofiled_min": round(min(c / s * 1000 for s, c, _ in rounds[1:]), 3),
                      "message_states": states}))


def ab(app, args, create, mode: str = "fast_path") -> None:
    """CREATION_FAST_PATH on and off (or, mode "epoch", the epoch's own read and none), batch by batch in
    this process: CPU per creation and statements."""
    import statistics

    import sqlalchemy as sa

    from claimdesk.extensions import db
    from claimdesk.sla import cache
    shipped_epoch = cache.epoch

    def set_mode(on: bool) -> None:
        if mode == "fast_path":
            app.config["CREATION_FAST_PATH"] = on
        else:  # on: as shipped; off: the last epoch this process read, with no query (unsafe)
            cache.epoch = shipped_epoch if on else (lambda: cache._state["epoch"])
    with app.app_context():
        engine = db.engine
    seen = []

    def record(*_a):
        seen.append(1)

    cpu = {True: [], False: []}
    sql = {}
    for b in range(args.batches * 2):
        fast = (b % 2 == 0) if (b // 2) % 2 == 0 else (b % 2 == 1)  # on, off, off, on, on, off …
        set_mode(fast)
        sa.event.listen(engine, "before_cursor_execute", record)
        seen.clear()
        create(b)
        sql[fast] = len(seen)
        sa.event.remove(engine, "before_cursor_execute", record)
        t0 = time.process_time()
        for i in range(args.n):
            create(i)
        cpu[fast].append((time.process_time() - t0) / args.n * 1000)
    for fast in (True, False):
        v = cpu[fast]
        print(json.dumps({mode: fast, "statements_per_creation": sql[fast],
                          "cpu_ms_per_creation_min": round(min(v), 2),
                          "cpu_ms_per_creation_median": round(statistics.median(v), 2),
                          "batches": [round(x, 2) for x in v]}))
    print(json.dumps({"off_over_on_cpu_median": round(statistics.median(cpu[False]) / statistics.median(cpu[True]), 3),
                      "off_over_on_cpu_min": round(min(cpu[False]) / min(cpu[True]), 3)}))
    set_mode(True)


if __name__ == "__main__":
    main()
