"""Soak benchmark: a working day compressed — 50 simulated staff on gunicorn (2 workers) + the RQ worker +
the cron, against PostgreSQL and Redis, for 30 minutes (not a test: it prints figures).

    PYTHONPATH=$PWD .venv/bin/python bench/soak.py                  # 30 minutes, 50 staff
    PYTHONPATH=$PWD .venv/bin/python bench/soak.py --minutes 5      # a short run
    … --staff 50 --think 1.5,4.5 --database claimdesk_soak --json out.json --keep

What it does, in order:
1. its own PostgreSQL database (`claimdesk_soak`, rebuilt with `flask db upgrade`) and its own Redis
   database number (bench/load.py's helpers: locked in db 0 like the test harness);
2. one store of demo data (`flask claimdesk seed-demo --stores 1`: customers, vehicles, months of cases)
   and the staff accounts, then gunicorn (`bench/gunicorn.conf.py`, 2 sync workers), the RQ worker
   (`flask claimdesk worker`) and the cron (`flask claimdesk cron`, which enqueues the SLA sweep);
3. 50 staff, one thread and one HTTP session each, in the proportions of an after-sales department:
   service advisors (reception, estimate, authorisation, delivery, work-order pages, search), claims
   advisors (report, assessment, document uploads, claim pages), workshop (board, dispatch, repair, the
   three checks), customer relations (complaint intake, listen → apologise → resolve → follow up,
   callbacks) and managers (home "SLA now", dashboard, monthly report, SLA timers and policies). Each logs
   in through the real login form (pages, with the CSRF token) and takes an API token (writes through
   the JSON API, as the pages' scripts and integrations do; notes through the page forms), and waits a
   think time between tasks. Staff of one role split the cases between them (by id), as a real team
   does, so they do not race each other for the same case;
4. at the end: requests, errors (any answer ≥ 400 or an unexpected one, or no answer;
   a 409 from a business gate is counted apart as "refused") and p50/p95/p99 per page or endpoint,
   failed RQ jobs, and the RSS of each gunicorn worker, the RQ worker and the cron at boot, after the
   first minute (warm: every page has been rendered once) and at the end.

Targets: 0 errors, p95 ≤ 150 ms per page, web and worker RSS growth < 10 % (from warm to end).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.load import (BIN, ROOT, RedisDb, Stack, cpu_seconds, drop_database, flask_cli, log, machine,
                        percentile, pg_url, recreate_database, rss_mb)

PASSWORD = "soak-bench-pass-1"
#: the department: role script → share of the 50 staff (a 4S store's after-sales floor)
MIX = {"advisor": 0.36, "claims": 0.08, "workshop": 0.24, "relations": 0.20, "manager": 0.12}
ROLE = {"advisor": "advisor", "claims": "advisor", "workshop": "workshop", "relations": "customer_relations",
        "manager": "manager"}
TARGETS = {"p95_ms": 150.0, "rss_growth": 0.10}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LINES = [{"kind": "labour", "description": "Replace front brake pads", "quantity": "1.5",
          "unit_price": "200.00", "pay_type": "customer"},
         {"kind": "part", "description": "Front brake pads", "quantity": "1", "unit_price": "480.00",
          "pay_type": "customer"}]


# --- measurements ----------------------------------------------------------------------------------
class Stats:
    """Latencies and failures per request name, shared by every simulated staff member."""

    def __init__(self):
        self.lock = threading.Lock()
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.codes: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: dict[str, int] = defaultdict(int)
        self.refused: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.kind: dict[str, str] = {}

    def add(self, name: str, kind: str, seconds: float, status: int | None, detail: str = "",
            refused: bool = False) -> None:
        with self.lock:
            self.kind[name] = kind
            self.lat[name].append(seconds)
            self.codes[name][status or 0] += 1
            if refused:
                self.refused[name] += 1
            elif status is None or status >= 400:
                self.errors[name] += 1
                if len(self.samples) < 30:
                    self.samples.append(f"{name}: {status or 'no answer'} {detail[:200]}")


class Staff(threading.Thread):
    """One member of staff: a browser-like session (cookies, CSRF) plus an API token."""

    def __init__(self, n: int, script: str, index: int, team: int, base: str, stats: Stats, stop_at: float,
                 think: tuple[float, float], seed: int):
        super().__init__(name=f"{script}-{index}", daemon=True)
        import requests

        self.n, self.script, self.index, self.team = n, script, index, team
        self.username = f"soak-{script}-{index}"
        self.base, self.stats, self.stop_at, self.think = base, stats, stop_at, think
        self.rng = random.Random(seed)
        self.web = requests.Session()
        self.api_session = requests.Session()
        self.token = None
        self.csrf = None
        self.tasks_done = 0

    # -- HTTP with timing --
    def _timed(self, name: str, kind: str, method: str, url: str, session, ok=(200, 201, 302, 303), **kw):
        import requests

        t0 = time.perf_counter()
        try:
            resp = session.request(method, self.base + url, timeout=30, allow_redirects=False, **kw)
        except requests.RequestException as exc:
            self.stats.add(name, kind, time.perf_counter() - t0, None, repr(exc))
            return None
        elapsed = time.perf_counter() - t0
        detail = "" if resp.status_code in ok else resp.text[:300]
        # an answer that is neither expected nor an error (a 200 where a form should redirect) counts as 599
        status = resp.status_code if resp.status_code in ok or resp.status_code >= 400 else 599
        # a gate the business rules close (the car of a claim still missing documents is not released) is
        # the app answering correctly, as the page would name it: counted apart, not as an error
        refused = status == 409 and '"gate_blocked"' in detail
        self.stats.add(name, kind, elapsed, status, detail, refused)
        return resp

    def page(self, name: str, url: str, ok=(200,), **params):
        resp = self._timed(name, "page", "GET", url, self.web, ok=ok, params=params or None)
        if resp is not None and resp.status_code == 200:
            m = CSRF.search(resp.text)
            if m:
                self.csrf = m.group(1)
        return resp

    def form(self, name: str, url: str, data: dict):
        return self._timed(name, "form", "POST", url, self.web, ok=(302, 303),
                           data={**data, "csrf_token": self.csrf})

    def api(self, name: str, method: str, path: str, ok=(200, 201), **kw):
        headers = {"Authorization": f"Bearer {self.token}"}
        resp = self._timed(name, "api", method, f"/api/v1/{path}", self.api_session, ok=ok, headers=headers,
                           **kw)
        return resp.json() if resp is not None and resp.status_code in ok else None

    # -- login --
    def login(self) -> bool:
        self.page("GET /login", "/login")
        resp = self.form("POST /login", "/login", {"username": self.username, "password": PASSWORD})
        if resp is None or resp.status_code not in (302, 303):
            return False
        resp = self._timed("POST /api/v1/auth/tokens", "api", "POST", "/api/v1/auth/tokens", self.api_session,
                           json={"username": self.username, "password": PASSWORD})
        if resp is None or resp.status_code != 201:
            return False
        self.token = resp.json()["token"]
        return True

    def mine(self, items: list[dict]) -> list[dict]:
        """The cases of this team member: the team splits a list by case id."""
        return [c for c in items if c["id"] % self.team == self.index % self.team]

    def listing(self, path: str, name: str, **params) -> list[dict]:
        body = self.api(name, "GET", path, params={"per_page": 200, **params})
        return body["items"] if body else []

    # -- the loop --
    def run(self) -> None:
        if not self.login():
            return
        script = getattr(self, f"task_{self.script}")
        while time.time() < self.stop_at:
            try:
                script()
            except Exception as exc:  # a bug in the script must show, not kill the thread silently
                self.stats.add(f"script {self.script}", "script", 0.0, None, repr(exc))
            self.tasks_done += 1
            pause = self.rng.uniform(*self.think)
            end = min(self.stop_at, time.time() + pause)
            while time.time() < end:
                time.sleep(min(0.5, end - time.time()))

    # -- service advisors: reception, estimate, authorisation, delivery --
    def vehicles(self) -> list[dict]:
        if not hasattr(self, "_vehicles"):
            self._vehicles = self.listing("vehicles", "GET /api/v1/vehicles")
        return self._vehicles

    def task_advisor(self) -> None:
        r = self.rng.random()
        if r < 0.30:  # reception: find the customer, open a work order, look at it
            vehicle = self.rng.choice(self.mine(self.vehicles()) or self.vehicles())
            self.page("GET /work-orders/new", "/work-orders/new")
            self.page("GET /search", "/search", ok=(200, 302), q=vehicle["plate"])
            # the mileage on file now (other orders since the list was read raised it)
            vehicle = self.api("GET /api/v1/vehicles/<id>", "GET", f"vehicles/{vehicle['id']}") or vehicle
            wo = self.api("POST /api/v1/work-orders", "POST", "work-orders", json={
                "customer_id": vehicle["customer_id"], "vehicle_id": vehicle["id"],
                "mileage_km": vehicle["mileage_km"] + self.rng.randint(100, 5000),
                "customer_description": "Routine service and a squeak when braking"})
            if wo:
                self.page("GET /work-orders/<id>", f"/work-orders/{wo['id']}")
        elif r < 0.55:  # estimate and authorise the orders waiting at reception
            todo = self.mine(self.listing("work-orders", "GET /api/v1/work-orders?state", state="reception"))
            if todo:
                wo = self.rng.choice(todo)
                self.page("GET /work-orders/<id>", f"/work-orders/{wo['id']}")
                if self.api("POST /api/v1/work-orders/<id>/actions/estimate", "POST",
                            f"work-orders/{wo['id']}/actions/estimate", json={"lines": LINES}):
                    promised = datetime.now(timezone.utc) + timedelta(hours=self.rng.randint(3, 30))
                    self.api("POST /api/v1/work-orders/<id>/actions/authorise", "POST",
                             f"work-orders/{wo['id']}/actions/authorise",
                             json={"signed_by": "Mr Wang", "promised_at": promised.isoformat()})
        elif r < 0.68:  # deliver what the workshop finished
            todo = self.mine(self.listing("work-orders", "GET /api/v1/work-orders?state", state="ready"))
            if todo:
                wo = self.rng.choice(todo)
                self.page("GET /work-orders/<id>", f"/work-orders/{wo['id']}")
                self.page("GET /work-orders/<id>/settlement", f"/work-orders/{wo['id']}/settlement")
                self.api("POST /api/v1/work-orders/<id>/actions/deliver", "POST",
                         f"work-orders/{wo['id']}/actions/deliver",
                         json={"signed_by": "Mr Wang", "payment_method": "alipay"})
        elif r < 0.80:  # a note on an open order, through the page's form
            items = self.mine(self.listing("work-orders", "GET /api/v1/work-orders?state", state="in_repair"))
            if items:
                wo = self.rng.choice(items)
                self.page("GET /work-orders/<id>", f"/work-orders/{wo['id']}")
                self.form("POST /work-orders/<id>/act/note", f"/work-orders/{wo['id']}/act/note",
                          {"text": "Customer called for an update", "visibility": "internal"})
        else:  # look around: lists, search, a customer
            self.page("GET /work-orders/", "/work-orders/")
            vehicle = self.rng.choice(self.vehicles())
            self.page("GET /search", "/search", ok=(200, 302), q=vehicle["vin"][-6:])
            self.page("GET /customers/<id>", f"/customers/{vehicle['customer_id']}")
            self.page("GET /", "/")

    # -- claims advisors --
    def task_claims(self) -> None:
        r = self.rng.random()
        if r < 0.25:  # a customer reports an accident
            if not hasattr(self, "_insurers"):
                self._insurers = self.listing("insurers", "GET /api/v1/insurers")
            vehicle = self.rng.choice(self.vehicles())
            if self._insurers:
                self.page("GET /claims/new", "/claims/new")
                claim = self.api("POST /api/v1/claims", "POST", "claims", json={
                    "customer_id": vehicle["customer_id"], "vehicle_id": vehicle["id"],
                    "insurer_id": self.rng.choice(self._insurers)["id"],
                    "policy_number": "PDAA2026440100001234",
                    "report_number": f"RDAA{self.rng.randint(10**15, 10**16 - 1)}",
                    "accident_at": (datetime.now(timezone.utc) - timedelta(days=1)).isoformat(),
                    "description": "Rear-ended at a red light"})
                if claim:
                    self.page("GET /claims/<id>", f"/claims/{claim['id']}")
        elif r < 0.50:  # the car arrives, the assessor comes
            for state, action, body in (("reported", "vehicle_arrived", {}),
                                        ("assessment", "assess", {"assessor_name": "Zhang",
                                                                  "approved_amount": "8200.00"})):
                todo = self.mine(self.listing("claims", "GET /api/v1/claims?state", state=state))
                if todo:
                    claim = self.rng.choice(todo)
                    self.page("GET /claims/<id>", f"/claims/{claim['id']}")
                    self.api(f"POST /api/v1/claims/<id>/actions/{action}", "POST",
                             f"claims/{claim['id']}/actions/{action}", json=body)
                    break
        elif r < 0.70:  # collect a document: upload it (multipart), as the checklist page does
            todo = self.mine(self.listing("claims", "GET /api/v1/claims?state", state="repair"))
            if todo:
                claim = self.rng.choice(todo)
                data = PDF + f"% {self.username} {time.time()}\n".encode()
                self.api("POST /api/v1/claims/<id>/documents", "POST", f"claims/{claim['id']}/documents",
                         data={"kind": self.rng.choice(["policy", "accident_certificate",
                                                        "vehicle_licence"])},
                         files={"file": ("scan.pdf", io.BytesIO(data), "application/pdf")})
                self.page("GET /claims/<id>", f"/claims/{claim['id']}")
        else:
            self.page("GET /claims/", "/claims/")
            self.page("GET /claims/waiting-documents", "/claims/waiting-documents")
            self.page("GET /claims/receivables", "/claims/receivables")

    # -- workshop --
    def task_workshop(self) -> None:
        self.page("GET /work-orders/board", "/work-orders/board")
        r = self.rng.random()
        if r < 0.35:
            state, action, body = "authorised", "dispatch", {"team": f"Team {'ABC'[self.index % 3]}"}
        elif r < 0.65:
            state, action, body = "in_repair", "complete_repair", {}
        else:
            state, action, body = "quality_check", "pass_check", None
        todo = self.mine(self.listing("work-orders", "GET /api/v1/work-orders?state", state=state))
        if not todo:
            return
        wo = self.rng.choice(todo)
        self.page("GET /work-orders/<id>", f"/work-orders/{wo['id']}")
        if body is None:  # the next of the three checks (this bench never fails one: a single round)
            full = self.api("GET /api/v1/work-orders/<id>", "GET", f"work-orders/{wo['id']}")
            if not full:
                return
            done = {c["stage"] for c in full.get("checks", []) if c.get("passed")}
            stage = next((s for s in ("self", "team_lead", "final") if s not in done), None)
            if stage is None:
                return
            body = {"stage": stage}
        self.api(f"POST /api/v1/work-orders/<id>/actions/{action}", "POST",
                 f"work-orders/{wo['id']}/actions/{action}", json=body)

    # -- customer relations --
    COMPLAINT_STEPS = {"listen": ("listen", {"account": "Waited three hours for an oil change"}),
                       "apologise": ("apologise", {"note": "Apologised by phone"}),
                       "resolve": ("resolve", {"attribution": "our_fault", "resolution": "Free car wash"}),
                       "follow_up": ("follow_up", {"satisfied": True, "note": "Happy now"})}

    def task_relations(self) -> None:
        r = self.rng.random()
        if r < 0.30:  # intake: find the customer by phone, record the complaint
            vehicle = self.rng.choice(self.vehicles())
            self.page("GET /complaints/new", "/complaints/new")
            self.page("GET /search", "/search", ok=(200, 302), q=vehicle["plate"])
            c = self.api("POST /api/v1/complaints", "POST", "complaints", json={
                "customer_id": vehicle["customer_id"], "vehicle_id": vehicle["id"], "channel": "phone",
                "category": self.rng.choice(["waiting_time", "repair_quality", "price", "service_attitude"]),
                "severity": self.rng.choice(["low", "medium", "medium", "high"]),
                "description": "The customer is unhappy with the waiting time"})
            if c:
                self.page("GET /complaints/<id>", f"/complaints/{c['id']}")
        elif r < 0.75:  # move one of mine on
            state = self.rng.choice(list(self.COMPLAINT_STEPS))
            todo = self.mine(self.listing("complaints", "GET /api/v1/complaints?state", state=state))
            if todo:
                c = self.rng.choice(todo)
                self.page("GET /complaints/<id>", f"/complaints/{c['id']}")
                action, body = self.COMPLAINT_STEPS[state]
                self.api(f"POST /api/v1/complaints/<id>/actions/{action}", "POST",
                         f"complaints/{c['id']}/actions/{action}", json=body)
        elif r < 0.85:  # a note through the page's form
            todo = self.mine(self.listing("complaints", "GET /api/v1/complaints?state", state="resolve"))
            if todo:
                c = self.rng.choice(todo)
                self.page("GET /complaints/<id>", f"/complaints/{c['id']}")
                self.form("POST /complaints/<id>/actions/note", f"/complaints/{c['id']}/actions/note",
                          {"text": "Called back, left a message", "visibility": "internal"})
        else:
            self.page("GET /complaints/mine", "/complaints/mine")
            self.page("GET /complaints/", "/complaints/")
            self.page("GET /notifications/", "/notifications/")

    # -- managers --
    def task_manager(self) -> None:
        r = self.rng.random()
        if r < 0.30:
            self.page("GET /", "/")
            self.page("GET /dashboard/", "/dashboard/")
        elif r < 0.45:
            self.page("GET /dashboard/report", "/dashboard/report")
        elif r < 0.70:
            self.page("GET /sla/timers", "/sla/timers")
            self.api("GET /api/v1/sla/dashboard", "GET", "sla/dashboard")
        elif r < 0.80:
            self.page("GET /sla/policies", "/sla/policies")
        else:
            self.page("GET /work-orders/", "/work-orders/")
            self.page("GET /complaints/", "/complaints/")
            self.page("GET /notifications/", "/notifications/")


# --- the stack: bench/load.py's gunicorn + RQ worker, plus the cron ---------------------------------
class SoakStack(Stack):
    def start(self) -> None:
        super().start()
        cron_log = open(self.logdir / "cron.log", "w")
        self.cron = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "claimdesk", "cron"], cwd=ROOT,
                                     env=self.env, stdout=cron_log, stderr=subprocess.STDOUT)
        self.procs.append(self.cron)  # stopped first

    def memory(self) -> dict[str, float]:
        out = {f"web worker {n}": rss_mb(pid) or 0.0 for n, pid in enumerate(sorted(self.workers()), 1)}
        out["rq worker"] = rss_mb(self.rq.pid) or 0.0
        out["cron"] = rss_mb(self.cron.pid) or 0.0
        return out


def seed_staff(env: dict, counts: dict[str, int]) -> None:
    """The staff accounts, in one process (the CLI would start Python once per user)."""
    spec = json.dumps({script: [ROLE[script], n] for script, n in counts.items()})
    code = f"""
import json
import sqlalchemy as sa
from claimdesk.app import create_app
from claimdesk.auth import services
from claimdesk.auth.models import Store
from claimdesk.core import uow
from claimdesk.extensions import db
app = create_app()
with app.app_context():
    store = db.session.scalar(sa.select(Store).where(Store.code == "S01"))
    for script, (role, n) in json.loads({spec!r}).items():
        for i in range(n):
            services.create_user(f"soak-{{script}}-{{i}}", {PASSWORD!r}, role, store,
                                 full_name=f"{{script}} {{i}}")
    uow.commit()
"""
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"creating the staff failed:\n{res.stderr[-3000:]}")


def failed_jobs(redis_url: str) -> int:
    """Jobs in RQ's failed registries (a job that raised and has no retries left)."""
    import redis

    r = redis.Redis.from_url(redis_url)
    return sum(r.zcard(k) for k in r.scan_iter(match="rq:failed:*"))


ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"
NUMBER = re.compile(r"/\d+(?=/|$)")


def in_worker_times(logdir: Path) -> dict[str, list[float]]:
    """Seconds each request spent inside a gunicorn worker (its access log's %(D)s), by the same names the
    client uses: the client's time minus this is the wait for a free worker (and the network)."""
    out: dict[str, list[float]] = defaultdict(list)
    path = logdir / "access.log"
    if not path.exists():
        return out
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].isdigit():
            out[f"{parts[0]} {NUMBER.sub('/<id>', parts[1])}"].append(int(parts[3]) / 1e6)
    return out


def log_errors(logdir: Path) -> dict[str, int]:
    out = {}
    for name in ("gunicorn.log", "rq-worker.log", "cron.log"):
        path = logdir / name
        text = path.read_text(errors="replace") if path.exists() else ""
        out[name] = text.count("Traceback")
    return out


# --- the report ------------------------------------------------------------------------------------
def report(args, info, stats: Stats, mem: dict[str, dict[str, float]], staff: list[Staff], wall: float,
           cpu: dict, failed: int, tracebacks: dict[str, int], inside: dict[str, list[float]]) -> dict:
    print()
    print("=" * 108)
    print(f"claimdesk soak benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {wall / 60:.1f} minutes, "
          f"{len(staff)} staff")
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['mem_mb']} MB RAM; load average before: "
          f"{info['load'][0]:.2f}")
    counts = defaultdict(int)
    for s in staff:
        counts[s.script] += 1
    print("staff:   " + ", ".join(f"{n} {k}" for k, n in counts.items())
          + f"; think time {args.think[0]:g}–{args.think[1]:g} s; "
          f"tasks done {sum(s.tasks_done for s in staff)}")
    print("=" * 108)
    print(f"{'request':<56}{'kind':<6}{'n':>6}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'refused':>8}{'in worker p50/p95':>19}")
    rows = []
    total_n = total_err = 0
    for name in sorted(stats.lat, key=lambda k: (stats.kind[k], k)):
        values = sorted(stats.lat[name])
        n, err = len(values), stats.errors.get(name, 0)
        total_n += n
        total_err += err
        row = {"name": name, "kind": stats.kind[name], "n": n, "errors": err,
               "p50": percentile(values, 0.5) * 1000, "p95": percentile(values, 0.95) * 1000,
               "p99": percentile(values, 0.99) * 1000, "max": values[-1] * 1000 if values else 0.0,
               "codes": dict(stats.codes[name])}
        rows.append(row)
        row["refused"] = stats.refused.get(name, 0)
        served = sorted(inside.get(name.split("?")[0], []))
        row["worker_p50"], row["worker_p95"] = percentile(served, 0.5) * 1000, percentile(served, 0.95) * 1000
        print(f"{name:<56}{row['kind']:<6}{n:>6}{err:>7}{row['p50']:>9.1f}{row['p95']:>9.1f}"
              f"{row['p99']:>9.1f}{row['max']:>9.1f}{row['refused'] or '':>8}"
              f"{row['worker_p50']:>10.1f}/{row['worker_p95']:.1f}")
    print(f"{'all':<62}{total_n:>6}{total_err:>7}   ({total_n / wall:.1f} requests/s)")
    # CPU per request is steadier than latency when other work shares the machine
    print(f"CPU: web workers {cpu['web'] * 1000 / max(1, total_n):.1f} ms per request "
          f"({cpu['web'] / wall * 100:.0f} % of one core), RQ worker {cpu['rq'] / wall * 100:.1f} % "
          "of one core "
          f"(its jobs run in forked work horses, counted when reaped); load average at the end "
          f"{cpu['load_after']:.2f}")
    if stats.samples:
        print("\nfirst errors:")
        for line in stats.samples[:15]:
            print("  " + line)
    print(f"\nfailed RQ jobs: {failed}; tracebacks in the logs: "
          + ", ".join(f"{k} {v}" for k, v in tracebacks.items()))
    print("\nmemory (VmRSS, MB):")
    print(f"  {'process':<16}{'boot':>9}{'warm':>9}{'end':>9}{'warm→end':>10}")
    growth = {}
    for name in mem["end"]:
        boot, warm, end = mem["boot"].get(name, 0.0), mem["warm"].get(name, 0.0), mem["end"][name]
        growth[name] = (end - warm) / warm if warm else float("nan")
        print(f"  {name:<16}{boot:>9.1f}{warm:>9.1f}{end:>9.1f}{growth[name] * 100:>9.1f}%")
    pages = [r for r in rows if r["kind"] == "page"]
    worst = max(pages, key=lambda r: r["p95"]) if pages else None
    checks = [("0 errors", total_err == 0 and failed == 0,
               f"{total_err} request errors, {failed} failed jobs")]
    if worst:
        checks.append((f"p95 ≤ {TARGETS['p95_ms']:.0f} ms on every page", worst["p95"] <= TARGETS["p95_ms"],
                       f"worst {worst['name']} {worst['p95']:.0f} ms"))
    tracked = {k: v for k, v in growth.items() if k != "cron"}
    if tracked:
        name = max(tracked, key=lambda k: tracked[k])
        checks.append(("web/worker RSS growth < 10 %", tracked[name] < TARGETS["rss_growth"],
                       f"largest {name} {tracked[name] * 100:+.1f} %"))
    print("\ntargets:")
    for name, ok, value in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {name:<36}{value}")
    print("=" * 108)
    return {"rows": rows, "memory": mem, "cpu": cpu, "failed_jobs": failed, "tracebacks": tracebacks,
            "wall_s": wall, "staff": dict(counts),
            "checks": [{"target": n, "ok": ok, "value": v} for n, ok, v in checks]}


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0, help="length of the run (default 30)")
    ap.add_argument("--staff", type=int, default=50, help="simulated staff (default 50)")
    ap.add_argument("--think", default="5,15", help="think time between tasks, min,max seconds (default "
                                                    "5,15: ~180 tasks per person in 30 min, a day's work)")
    ap.add_argument("--warm-seconds", type=float, default=60.0, help="when the 'warm' RSS is taken")
    ap.add_argument("--customers", type=int, default=300, help="demo customers (seed-demo)")
    ap.add_argument("--cases", type=int, default=120, help="demo cases of each type (seed-demo)")
    ap.add_argument("--months", type=int, default=3, help="months of demo history (seed-demo)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--database", default="claimdesk_soak")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--logdir", default=str(ROOT / "instance" / "soak"))
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    args.think = tuple(float(x) for x in args.think.split(","))
    args.worker_class, args.threads = "sync", 1  # what bench/load.py's Stack reads
    info = machine()
    counts = {k: max(1, round(args.staff * share)) for k, share in MIX.items()}
    counts["advisor"] += args.staff - sum(counts.values())
    redis_db = RedisDb()
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "CLAIMDESK_DATABASE_URL": pg_url(args.database, "postgresql+psycopg"),
           "CLAIMDESK_REDIS_URL": redis_db.url, "CLAIMDESK_SECRET_KEY": "soak-bench-secret",
           "CLAIMDESK_ENV": "production", "CLAIMDESK_QUEUE_PREFIX": "claimdesk",
           # plain HTTP on loopback: production's Secure cookies would never come back over it
           "CLAIMDESK_SECURE_COOKIES": "0",
           # 50 people log in from one address here; in a store they sit behind the store's one NAT
           # address too, which is why the deployment must raise this limit for a department this size
           "CLAIMDESK_LOGIN_RATE_LIMIT": "600 per minute",
           # each request's time inside the worker, to tell the app's time from the wait for a worker
           "GUNICORN_CMD_ARGS": f"--access-logfile {Path(args.logdir) / 'access.log'} "
                                f"--access-logformat '{ACCESS_FORMAT}'"}
    stack = SoakStack(args, env)
    (Path(args.logdir) / "access.log").unlink(missing_ok=True)
    staff: list[Staff] = []
    try:
        log(f"database {args.database}: recreate, flask db upgrade; Redis db {redis_db.number}")
        recreate_database(args.database)
        flask_cli(env, "db", "upgrade")
        t = time.time()
        flask_cli(env, "claimdesk", "seed-demo", "--stores", "1", "--customers", str(args.customers),
                  "--cases", str(args.cases), "--months", str(args.months))
        seed_staff(env, counts)
        log(f"demo store and {sum(counts.values())} staff seeded in {time.time() - t:.0f} s")
        stack.start()
        log(f"gunicorn on {stack.base} (workers {stack.workers()}), RQ worker {stack.rq.pid}, "
            f"cron {stack.cron.pid}")
        time.sleep(1.0)
        mem = {"boot": stack.memory()}
        stats = Stats()
        t0 = time.time()
        stop_at = t0 + args.minutes * 60
        rng = random.Random(args.seed)
        for script, n in counts.items():
            for i in range(n):
                staff.append(Staff(len(staff), script, i, n, stack.base, stats, stop_at, args.think,
                                   rng.randrange(1 << 30)))
        rng.shuffle(staff)
        cpu0 = {"web": sum(cpu_seconds(p) for p in stack.workers()), "rq": cpu_seconds(stack.rq.pid)}
        for s in staff:  # people arrive over the first minute (a third of the run at most), not in one burst
            s.start()
            time.sleep(min(60.0, args.minutes * 20) / len(staff))
        warm_at = t0 + min(args.warm_seconds, args.minutes * 60 / 3)
        last = 0.0
        while time.time() < stop_at:
            if "warm" not in mem and time.time() >= warm_at:
                mem["warm"] = stack.memory()
                log("warm: " + ", ".join(f"{k} {v:.0f} MB" for k, v in mem["warm"].items()))
            if time.time() - last >= 60:
                last = time.time()
                with stats.lock:
                    n, err = sum(len(v) for v in stats.lat.values()), sum(stats.errors.values())
                log(f"{(time.time() - t0) / 60:.1f} min: {n} requests, {err} errors")
            time.sleep(1.0)
        for s in staff:
            s.join(timeout=60)
        wall = time.time() - t0
        time.sleep(2.0)  # let the worker finish what the last requests enqueued
        cpu = {"web": sum(cpu_seconds(p) for p in stack.workers()) - cpu0["web"],
               "rq": cpu_seconds(stack.rq.pid) - cpu0["rq"], "load_after": os.getloadavg()[0]}
        mem["end"] = stack.memory()
        mem.setdefault("warm", mem["boot"])
        summary = report(args, info, stats, mem, staff, wall, cpu, failed_jobs(redis_db.url),
                         log_errors(stack.logdir), in_worker_times(stack.logdir))
        if args.json:
            Path(args.json).write_text(json.dumps({"machine": info, "args": vars(args), **summary}, indent=2,
                                                  default=str))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        redis_db.release()
        if not args.keep:
            drop_database(args.database)


if __name__ == "__main__":
    main()
