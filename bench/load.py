"""Load benchmark: gunicorn (2 workers) on PostgreSQL + Redis with an RQ worker, driven by wrk on loopback.

    PYTHONPATH=$PWD /work/venv/bin/python bench/load.py            # 60 s per phase, 2 rounds
    PYTHONPATH=$PWD /work/venv/bin/python bench/load.py --quick    # 10 s per phase
    … --duration 30 --rounds 3 --connections 8 --worker-class gthread --threads 4 --keep

What it does, in order:
1. its own PostgreSQL database (`claimdesk_load`, dropped and rebuilt with `flask db upgrade`) and its own
   Redis database number (locked in db 0 the way the test harness does, so parallel test runs never collide);
2. a store, a customer-relations clerk (CLI `create-store` / `create-user`), the RQ worker
   (`flask --app wsgi claimdesk worker`) and gunicorn (`gunicorn -c bench/gunicorn.conf.py wsgi:app`,
   2 workers); a bearer token (POST /api/v1/auth/tokens) and customers created through the API;
3. per round: phase "create" — every request is POST /api/v1/complaints with api.md's minimum fields;
   phase "mix" — each connection takes complaints through their life (create, listen, apologise, note,
   resolve, follow_up), one sixth each; then the floor: the rows one creation writes (complaint,
   timeline event, two SLA clocks, then the counter with the real number — copied column for column from a row the app wrote)
   through raw psycopg transactions at the same concurrency;
4. the table: throughput, p50/p95/p99 and errors (any non-2xx, and lost requests) per request type, the
   ratio app/raw, RSS of each gunicorn worker and of the RQ worker, the machine.

wrk (Debian's package) generates the load: C threads with one connection each, so the Lua script can time
each request and attribute it to its type (bench/load.lua). If wrk is missing it is installed with apt-get.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
BIN = Path(PY).parent
PG_ADMIN = os.environ.get("CLAIMDESK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("CLAIMDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
PASSWORD = "load-bench-pass-1"
FLOW = ["create", "listen", "apologise", "note", "resolve", "follow_up"]
TARGETS = {"create_rate": 400.0, "create_p95_ms": 25.0, "raw_ratio": 0.3, "web_rss_mb": 120.0,
           "rq_rss_mb": 150.0}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- the machine ----------------------------------------------------------------------------------
def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "mem_mb": mem, "load": os.getloadavg()}


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and of its reaped children) from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return sum(int(x) for x in fields[11:15]) / ticks
    except (OSError, IndexError, ValueError):
        return 0.0


# --- wrk ------------------------------------------------------------------------------------------
def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("wrk is not installed: installing Debian's package (apt-get install -y wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk could not be installed")
    return path


# --- services: database, Redis db number ----------------------------------------------------------
def pg_url(name: str, driver: str = "postgresql") -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://", 1)
    return f"{base}/{name}"


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RedisDb:
    """A Redis database number of our own, locked in db 0 like the test harness does (tests/conftest.py)."""

    def __init__(self):
        import redis

        self.base = redis.Redis.from_url(REDIS_BASE)
        self.token = f"{socket.gethostname()}:{os.getpid()}:load"
        self.number = None
        for n in range(15, 0, -1):  # from the top: the test harness takes numbers from the bottom
            if self.base.set(f"claimdesk:testlock:{n}", self.token, nx=True, ex=3 * 3600):
                self.number = n
                break
        if self.number is None:
            sys.exit("no free Redis database number (1-15)")
        self.url = f"{REDIS_BASE.rstrip('/')}/{self.number}"
        redis.Redis.from_url(self.url).flushdb()

    def stats(self) -> dict:
        import redis

        r = redis.Redis.from_url(self.url)
        prefix = "rq:scheduled:claimdesk-"
        scheduled = sum(r.zcard(k) for k in r.scan_iter(match=prefix + "*"))
        return {"keys": r.dbsize(), "scheduled_jobs": scheduled}

    def drain(self, timeout: float = 180.0) -> tuple[int, float, int]:
        """Wait until the RQ worker has no queued or running job left (scheduled SLA steps excepted), so that
        one phase's background work (e.g. the customer messages every new complaint sends) is not billed to the
        next phase. Returns (jobs that were waiting, seconds waited, jobs still waiting at the timeout)."""
        import redis

        r = redis.Redis.from_url(self.url)
        t0, first = time.monotonic(), None
        while True:
            waiting = sum(r.llen(f"rq:queue:claimdesk-{q}") + r.zcard(f"rq:wip:claimdesk-{q}")
                          for q in ("default", "sla", "mail"))
            first = waiting if first is None else first
            if waiting == 0 or time.monotonic() - t0 > timeout:
                return first, time.monotonic() - t0, waiting
            time.sleep(0.25)

    def release(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushdb()
        if self.base.get(f"claimdesk:testlock:{self.number}") == self.token.encode():
            self.base.delete(f"claimdesk:testlock:{self.number}")


def drained(redis_db: "RedisDb") -> None:
    """Let the RQ worker finish the last phase's jobs before the next phase starts, and say so."""
    waiting, waited, left = redis_db.drain()
    if left:
        log(f"  the RQ worker still had {left} of {waiting} queued jobs after {waited:.0f} s; going on")
    elif waiting:
        log(f"  the RQ worker first finished {waiting} queued jobs ({waited:.1f} s)")


# --- the app --------------------------------------------------------------------------------------
def flask_cli(env: dict, *args: str) -> str:
    res = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True)
    if res.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")
    return res.stdout


def http(method: str, url: str, body=None, token: str | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else {}


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """gunicorn + RQ worker on the bench database; stopped in reverse order."""

    def __init__(self, args, env: dict):
        self.args = args
        self.env = env
        self.port = args.port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.logdir = Path(args.logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        worker_log = open(self.logdir / "rq-worker.log", "w")
        self.rq = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "claimdesk", "worker"], cwd=ROOT,
                                   env=self.env, stdout=worker_log, stderr=subprocess.STDOUT)
        self.procs.append(self.rq)
        cmd = [str(BIN / "gunicorn"), "-c", str(BENCH / "gunicorn.conf.py"), "-w", str(self.args.workers),
               "-b", f"127.0.0.1:{self.port}", "-k", self.args.worker_class]
        if self.args.worker_class == "gthread":
            cmd += ["--threads", str(self.args.threads)]
        cmd += ["wsgi:app"]
        self.gunicorn_cmd = " ".join(cmd[1:])
        web_log = open(self.logdir / "gunicorn.log", "w")
        self.web = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=web_log, stderr=subprocess.STDOUT)
        self.procs.append(self.web)
        wait_http(self.base + "/healthz")
        deadline = time.time() + 30
        while len(children(self.web.pid)) < self.args.workers and time.time() < deadline:
            time.sleep(0.1)

    def workers(self) -> list[int]:
        return children(self.web.pid)

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def seed(env: dict) -> None:
    """A store and a customer-relations clerk, through the CLI of api.md."""
    flask_cli(env, "claimdesk", "create-store", "--code", "LD1", "--name", "Load test 4S store")
    flask_cli(env, "claimdesk", "create-user", "--username", "load-clerk", "--password", PASSWORD,
              "--role", "customer_relations", "--store", "LD1", "--name", "Load Clerk")


def login_and_customers(args, stack: Stack) -> tuple[str, list[int]]:
    status, body = http("POST", stack.base + "/api/v1/auth/tokens",
                        {"username": "load-clerk", "password": PASSWORD})
    if status != 201:
        sys.exit(f"token request answered {status}: {body}")
    token = body["token"]
    ids = []
    for i in range(args.customers):
        status, body = http("POST", stack.base + "/api/v1/customers",
                            {"name": f"客户{i:04d}", "phone": f"139{i:08d}"}, token)
        if status != 201:
            sys.exit(f"creating a customer answered {status}: {body}")
        ids.append(body["id"])
    return token, ids


# --- one load phase -------------------------------------------------------------------------------
def percentile(sorted_values: list, q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def run_wrk(args, wrk: str, stack: Stack, mode: str, token: str, customers: list[int], seconds: float,
            tag: str) -> dict:
    out = Path(args.logdir) / f"wrk-{tag}.txt"
    c = args.connections
    out.unlink(missing_ok=True)
    cmd = [wrk, "-t", str(c), "-c", str(c), "-d", f"{seconds:g}s", "--timeout", "10s", "-s",
           str(BENCH / "load.lua"), stack.base, "--", mode, token, ",".join(map(str, customers))]
    web, pg = stack.workers(), pg_backends(args.database)
    groups = {"web": web, "postgres": pg, "rq": [stack.rq.pid]}
    before = {name: sum(cpu_seconds(p) for p in pids) for name, pids in groups.items()}
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "BENCH_WRK_OUT": str(out)})
    wall = time.time() - t0
    client = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {name: sum(cpu_seconds(p) for p in pids) - before[name] for name, pids in groups.items()}
    cpu["wrk"] = (client.ru_utime + client.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
    if res.returncode != 0 or not out.exists():
        sys.exit(f"wrk failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    result = parse_wrk(out)
    result["wrk_stdout"] = res.stdout
    n = max(1, result["total"]["n"])
    # CPU per request is steadier than req/s when other work shares the machine
    result["cpu_ms_per_request"] = {name: secs * 1000 / n for name, secs in cpu.items()}
    result["cpu_share"] = {name: secs / wall for name, secs in cpu.items()}
    result["mode"] = mode
    return result


def pg_backends(database: str) -> list[int]:
    """PostgreSQL server processes serving the bench database (the pools keep them for the whole run)."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                                           "pg_backend_pid()", (database,))]


def parse_wrk(path: Path) -> dict:
    lat: dict[str, list[int]] = {k: [] for k in FLOW}
    codes: dict[str, dict[int, int]] = {k: {} for k in FLOW}
    lost: dict[str, int] = {k: 0 for k in FLOW}
    summary = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "summary":
            d, n, b, ec, er, ew, es, et = map(int, parts[1:9])
            summary = {"duration_s": d / 1e6, "requests": n, "socket_errors": ec + er + ew + et,
                       "timeouts": et}
        elif parts[0] == "code":
            codes[parts[1]][int(parts[2])] = codes[parts[1]].get(int(parts[2]), 0) + int(parts[3])
        elif parts[0] == "lost":
            lost[parts[1]] += int(parts[2])
        elif parts[0] == "lat":
            lat[parts[1]].extend(int(x) for x in parts[2:])
    dur = summary.get("duration_s") or 1.0
    types = {}
    for kind in FLOW:
        values = sorted(lat[kind])
        if not values and not lost[kind]:
            continue
        non2xx = sum(n for code, n in codes[kind].items() if not 200 <= code < 300)
        types[kind] = {"n": len(values), "rate": len(values) / dur,
                       "p50": percentile(values, 0.50) / 1000, "p95": percentile(values, 0.95) / 1000,
                       "p99": percentile(values, 0.99) / 1000, "non2xx": non2xx, "lost": lost[kind],
                       "codes": {str(k): v for k, v in sorted(codes[kind].items())}}
    all_values = sorted(v for k in FLOW for v in lat[k])
    total = {"n": len(all_values), "rate": len(all_values) / dur,
             "p50": percentile(all_values, 0.5) / 1000, "p95": percentile(all_values, 0.95) / 1000,
             "p99": percentile(all_values, 0.99) / 1000,
             "non2xx": sum(t["non2xx"] for t in types.values()), "lost": sum(lost.values())}
    return {"summary": summary, "types": types, "total": total}


# --- the floor: the same rows through raw psycopg -------------------------------------------------
def row_templates(dburl: str) -> dict:
    """One complaint the app created in the create phase (still in listen), its creation event and its two
    clocks, as column → value maps: the raw writer inserts exactly these columns."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(dburl, row_factory=dict_row) as conn:
        complaint = conn.execute("SELECT * FROM complaints WHERE state = 'listen' ORDER BY id DESC LIMIT 1") \
            .fetchone()
        event = conn.execute("SELECT * FROM case_events WHERE case_type = 'complaint' AND case_id = %s "
                             "AND action = 'create'", (complaint["id"],)).fetchone()
        clocks = conn.execute("SELECT * FROM sla_clocks WHERE case_type = 'complaint' AND case_id = %s "
                              "ORDER BY id", (complaint["id"],)).fetchall()
        counter = conn.execute("SELECT * FROM case_counters WHERE store_id = %s AND prefix = 'CP'",
                               (complaint["store_id"],)).fetchone()
    return {"complaint": complaint, "event": event, "clocks": clocks, "counter": counter}


def _insert_sql(table: str, row: dict) -> tuple[str, list[str]]:
    cols = [c for c in row if c != "id"]
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) RETURNING id")
    return sql, cols


def raw_writer(dburl: str, templates: dict, seconds: float, start_at: float, out) -> None:
    """One connection writing creation transactions back to back until the time is up."""
    from datetime import datetime, timezone

    import psycopg
    from psycopg.types.json import Jsonb

    def adapt(v):
        return Jsonb(v) if isinstance(v, (dict, list)) else v

    comp, ev, clocks, counter = (templates["complaint"], templates["event"], templates["clocks"],
                                 templates["counter"])
    c_sql, c_cols = _insert_sql("complaints", comp)
    e_sql, e_cols = _insert_sql("case_events", ev)
    k_sqls = [_insert_sql("sla_clocks", k) for k in clocks]
    # The app's order (core.numbering): the case goes in with a provisional number and the counter is
    # taken last, in the statement that sets the real number, so the counter's row lock is held only for
    # that statement and the commit.
    number_sql = ("WITH counter AS (INSERT INTO case_counters (store_id, prefix, year, last_value) "
                  "VALUES (%s, %s, %s, 1) ON CONFLICT (store_id, prefix, year) "
                  "DO UPDATE SET last_value = case_counters.last_value + 1 RETURNING last_value) "
                  "UPDATE complaints SET number = %s || lpad(counter.last_value::text, "
                  "greatest(6, length(counter.last_value::text)), '0') FROM counter WHERE complaints.id = %s "
                  "RETURNING number")
    lat = []
    with psycopg.connect(dburl) as conn:
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while True:
            t0 = time.perf_counter()
            if time.time() >= end:
                break
            at = datetime.now(timezone.utc)
            with conn.transaction():
                row = {**comp, "number": "~" + secrets.token_hex(12), "created_at": at, "updated_at": at}
                case_id = conn.execute(c_sql, [adapt(row[c]) for c in c_cols]).fetchone()[0]
                erow = {**ev, "case_id": case_id, "at": at}
                conn.execute(e_sql, [adapt(erow[c]) for c in e_cols])
                for (k_sql, k_cols), k in zip(k_sqls, clocks):
                    krow = {**k, "case_id": case_id, "started_at": at, "running_since": at}
                    conn.execute(k_sql, [adapt(krow[c]) for c in k_cols])
                conn.execute(number_sql, (counter["store_id"], "CP", counter["year"], f"CP-{counter['year']}-",
                                          case_id)).fetchone()
            lat.append(time.perf_counter() - t0)
    out.put(lat)


def run_raw(args, dburl: str, templates: dict, seconds: float) -> dict:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    start_at = time.time() + 1.0
    procs = [ctx.Process(target=raw_writer, args=(dburl, templates, seconds, start_at, q))
             for _ in range(args.connections)]
    for p in procs:
        p.start()
    lats = []
    for _ in procs:
        lats.extend(q.get())
    for p in procs:
        p.join()
    values = sorted(lats)
    return {"n": len(values), "rate": len(values) / seconds, "p50": percentile(values, 0.5) * 1000,
            "p95": percentile(values, 0.95) * 1000, "p99": percentile(values, 0.99) * 1000}


# --- the report -----------------------------------------------------------------------------------
def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f"{min(values):.0f}–{max(values):.0f}"


def print_report(args, info: dict, rounds: list[dict], raw: list[dict], rss: dict, stack: Stack,
                 redis_stats: dict) -> dict:
    print()
    print("=" * 100)
    print(f"claimdesk load benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['mem_mb']} MB RAM; "
          f"load average before: {info['load'][0]:.2f}")
    print(f"server:  gunicorn {stack.gunicorn_cmd}; PostgreSQL + Redis db {args.redis_number}; "
          f"RQ worker running")
    print(f"client:  wrk, {args.connections} connections (one per thread), {args.duration:g} s per phase, "
          f"{len(rounds)} round(s); best round shown, range over rounds in brackets")
    print("=" * 100)
    summary = {}
    for mode in ("create", "mix"):
        runs = [r[mode] for r in rounds if mode in r]
        if not runs:
            continue
        best = max(runs, key=lambda r: r["total"]["rate"])
        print(f"\nphase {mode!r}" + (" (POST /api/v1/complaints only)" if mode == "create" else
                                      " (create → listen → apologise → note → resolve → follow_up)"))
        print(f"{'request':<12}{'req/s':>9}{'(range)':>12}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
              f"{'non-2xx':>9}{'lost':>6}   status codes")
        for kind in FLOW + ["all"]:
            if kind == "all":
                t, ranges = best["total"], [r["total"]["rate"] for r in runs]
            elif kind in best["types"]:
                t, ranges = best["types"][kind], [r["types"][kind]["rate"] for r in runs if kind in r["types"]]
            else:
                continue
            codes = " ".join(f"{k}×{v}" for k, v in t.get("codes", {}).items())
            print(f"{kind:<12}{t['rate']:>9.1f}{spread(ranges):>12}{t['p50']:>9.1f}{t['p95']:>9.1f}"
                  f"{t['p99']:>9.1f}{t['non2xx']:>9}{t['lost']:>6}   {codes}")
        per, share = best["cpu_ms_per_request"], best["cpu_share"]
        print("CPU per request (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in per.items())
              + f"; web workers busy {share['web'] * 100:.0f} % of one core, postgres {share['postgres'] * 100:.0f} %")
        summary[mode] = best
    if raw:
        best_raw = max(raw, key=lambda r: r["rate"])
        print(f"\nfloor: raw psycopg, {args.connections} connections, the rows of one creation per transaction "
              f"(complaint, event, {len(args._clock_count)} clocks, then counter + number)")
        print(f"{'raw create':<12}{best_raw['rate']:>9.1f}{spread([r['rate'] for r in raw]):>12}"
              f"{best_raw['p50']:>9.1f}{best_raw['p95']:>9.1f}{best_raw['p99']:>9.1f}")
        summary["raw"] = best_raw
        if "create" in summary:
            ratio = summary["create"]["types"]["create"]["rate"] / best_raw["rate"]
            summary["ratio"] = ratio
            print(f"app/raw (create phase): {ratio:.2f}")
    print("\nmemory after the run (VmRSS):")
    for name, value in rss.items():
        print(f"  {name:<24}{value:>8.1f} MB")
    print(f"Redis db {args.redis_number}: {redis_stats['keys']} keys, {redis_stats['scheduled_jobs']} "
          f"scheduled SLA jobs")
    # targets
    checks = []
    if "create" in summary:
        c = summary["create"]["types"]["create"]
        checks.append(("complaint creation ≥ 400/s", c["rate"] >= TARGETS["create_rate"], f"{c['rate']:.0f}/s"))
        checks.append(("creation p95 ≤ 25 ms", c["p95"] <= TARGETS["create_p95_ms"], f"{c['p95']:.1f} ms"))
        errs = sum(r[m]["total"]["non2xx"] + r[m]["total"]["lost"] for r in rounds for m in r)
        checks.append(("0 errors (all phases, all rounds)", errs == 0, f"{errs}"))
    if "ratio" in summary:
        checks.append(("≥ 0.3 of the raw-psycopg rate", summary["ratio"] >= TARGETS["raw_ratio"],
                       f"{summary['ratio']:.2f}"))
    web = [v for k, v in rss.items() if k.startswith("gunicorn worker")]
    if web:
        checks.append(("web worker RSS ≤ 120 MB", max(web) <= TARGETS["web_rss_mb"], f"{max(web):.0f} MB"))
    if "rq worker" in rss:
        checks.append(("rq worker RSS ≤ 150 MB", rss["rq worker"] <= TARGETS["rq_rss_mb"],
                       f"{rss['rq worker']:.0f} MB"))
    print("\ntargets:")
    for name, ok, value in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {name:<36}{value}")
    print("=" * 100)
    summary["checks"] = [{"target": n, "ok": ok, "value": v} for n, ok, v in checks]
    return summary


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly (processes, database, Redis lock) on kill too
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds per phase (default 60)")
    ap.add_argument("--quick", action="store_true", help="10 s per phase")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of create + mix + raw (default 2)")
    ap.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync)")
    ap.add_argument("--threads", type=int, default=4, help="threads per worker with --worker-class gthread")
    ap.add_argument("--customers", type=int, default=50)
    ap.add_argument("--phases", default="create,mix,raw", help="comma-separated: create, mix, raw")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    ap.add_argument("--database", default="claimdesk_load")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the database and leave nothing running")
    ap.add_argument("--hold", action="store_true", help="after seeding, keep the stack up until Ctrl-C "
                                                        "(for profiling with py-spy)")
    ap.add_argument("--logdir", default=str(ROOT / "instance" / "load"))
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    if args.quick:
        args.duration = 10.0
    phases = set(args.phases.split(","))
    info = machine()
    wrk = ensure_wrk()
    redis_db = RedisDb()
    args.redis_number = redis_db.number
    dburl = pg_url(args.database)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMDESK_DATABASE_URL": pg_url(args.database,
                                                                                    "postgresql+psycopg"),
           "CLAIMDESK_REDIS_URL": redis_db.url, "CLAIMDESK_SECRET_KEY": "load-bench-secret",
           "CLAIMDESK_ENV": "production", "CLAIMDESK_QUEUE_PREFIX": "claimdesk"}
    stack = Stack(args, env)
    try:
        log(f"database {args.database}: recreate, flask db upgrade; Redis db {redis_db.number}")
        recreate_database(args.database)
        flask_cli(env, "db", "upgrade")
        seed(env)
        stack.start()
        log(f"gunicorn on {stack.base} (workers {stack.workers()}), RQ worker pid {stack.rq.pid}")
        token, customers = login_and_customers(args, stack)
        log(f"token issued; {len(customers)} customers created")
        if args.hold:
            log("holding: press Ctrl-C to stop")
            print(json.dumps({"base": stack.base, "token": token, "customers": customers,
                              "workers": stack.workers()}), flush=True)
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                return
        if args.warmup > 0:
            log(f"warm-up {args.warmup:g} s")
            run_wrk(args, wrk, stack, "mix", token, customers, args.warmup, "warmup")
        rounds, raw = [], []
        templates = None
        args._clock_count = []
        for i in range(1, args.rounds + 1):
            r = {}
            for mode in ("create", "mix"):
                if mode in phases:
                    drained(redis_db)
                    log(f"round {i}: phase {mode}, {args.duration:g} s")
                    r[mode] = run_wrk(args, wrk, stack, mode, token, customers, args.duration, f"{mode}-{i}")
                    t = r[mode]["total"]
                    log(f"  {t['rate']:.1f} req/s, p95 {t['p95']:.1f} ms, non-2xx {t['non2xx']}, lost {t['lost']}")
            rounds.append(r)
            if "raw" in phases:
                if templates is None:
                    templates = row_templates(dburl)
                    args._clock_count = templates["clocks"]
                drained(redis_db)
                log(f"round {i}: raw psycopg floor, {args.duration:g} s")
                raw.append(run_raw(args, dburl, templates, args.duration))
                log(f"  {raw[-1]['rate']:.1f} transactions/s, p95 {raw[-1]['p95']:.1f} ms")
        time.sleep(1.0)
        rss = {}
        for n, pid in enumerate(sorted(stack.workers()), 1):
            rss[f"gunicorn worker {n} ({pid})"] = rss_mb(pid) or 0.0
        rss["gunicorn master"] = rss_mb(stack.web.pid) or 0.0
        rss["rq worker"] = rss_mb(stack.rq.pid) or 0.0
        summary = print_report(args, info, rounds, raw, rss, stack, redis_db.stats())
        if args.json:
            Path(args.json).write_text(json.dumps({"machine": info, "args": {k: v for k, v in vars(args).items()
                                                                              if not k.startswith("_")},
                                                   "rounds": [{m: {k: v for k, v in ph.items() if k != "wrk_stdout"}
                                                               for m, ph in r.items()} for r in rounds],
                                                   "raw": raw, "rss_mb": rss, "summary": {
                                                       k: v for k, v in summary.items() if k in ("ratio", "checks")}},
                                                  indent=2, default=str))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        redis_db.release()
        if not args.keep:
            drop_database(args.database)


if __name__ == "__main__":
    main()
