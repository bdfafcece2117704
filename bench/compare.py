"""Before/after in one run: the same benchmarks against a base commit and this tree, side by side.

    PYTHONPATH=$PWD .venv/bin/python bench/compare.py                  # base e80f4d8, every benchmark once
    … --base <commit> --rounds 2 --only load,sla,dashboard --duration 20 --cases 100000 --clocks 100000

The base commit is checked out into a temporary git worktree (removed afterwards). Each benchmark runs
against both trees one right after the other — per round the order alternates (before, after; then after,
before) so a change of machine load shows as spread, not as a difference — and each tree runs its own
copy of the benchmark script (the scripts are maintained with the code they measure), with this
interpreter and `PYTHONPATH` set to that tree. Every run gets databases (and Redis numbers) of its own.

- load      `bench/load.py --phases create,raw`: creations/s, the raw-psycopg floor, their ratio app/raw,
            creation p95, web-worker CPU per creation (`--duration` s per phase, default 20)
- dashboard `bench/dashboard_bench.py --cases N` (default 100,000 — a tenth of `--full`): p95 of the
            dashboard JSON for the four views (database built once per tree and round)
- sla       `bench/sla_bench.py --clocks N --due-ratio R` (default 100,000 — a tenth of `--full` — and 5 % due,
            so the throughput is timed over three batch jobs, not one): escalation
            throughput (clocks/s of job time) and due → breach latency p95

Prints one table: per figure the value of each round for before and after, the median of each, and
after/before ("worse" is flagged when after is more than 10 % worse than before, by the median).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("CLAIMDESK_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DASH_VIEWS = {
    "dashboard JSON, store manager, last 30 days": "dashboard p95 ms, store manager 30 d",
    "dashboard JSON, group manager, all stores, last 30 days": "dashboard p95 ms, group 30 d",
    "dashboard JSON, group manager, one store, 90 days": "dashboard p95 ms, group one store 90 d",
    "dashboard JSON, group manager, complaints only": "dashboard p95 ms, group complaints",
}
#: figure → True when higher is better
HIGHER_BETTER = {"creations/s": True, "raw floor, creations/s": True, "app/raw": True,
                 "creation p95 ms": False, "web CPU ms per creation": False,
                 "escalation clocks/s (job time)": True, "due → breach p95 s": False,
                 **{v: False for v in DASH_VIEWS.values()}}
#: the figures issue 15 holds to "not worse by more than 10 %"
GATED = {"app/raw", "escalation clocks/s (job time)", "due → breach p95 s", *DASH_VIEWS.values()}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(tree: Path, script: str, args: list[str], logfile: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with open(logfile, "w") as out:
        res = subprocess.run([sys.executable, str(tree / "bench" / script), *args], cwd=tree, env=env,
                             stdout=out, stderr=subprocess.STDOUT, text=True)
    text = logfile.read_text()
    if res.returncode != 0:  # its figures may all have been printed before it failed (e.g. while cleaning up)
        log(f"  {script} exited with {res.returncode}; see {logfile}")
    return text


def bench_load(tree: Path, tag: str, work: Path, args) -> dict:
    result = work / f"load-{tag}.json"
    run(tree, "load.py", ["--phases", "create,raw", "--duration", f"{args.duration:g}", "--rounds", "1",
                          "--database", f"claimdesk_cmp_load_{os.getpid()}_{tag}", "--logdir", str(work / f"load-{tag}"),
                          "--json", str(result)], work / f"load-{tag}.log")
    data = json.loads(result.read_text())
    create = data["rounds"][0]["create"]
    rate, raw = create["types"]["create"]["rate"], data["raw"][0]["rate"]
    return {"creations/s": rate, "raw floor, creations/s": raw, "app/raw": rate / raw,
            "creation p95 ms": create["types"]["create"]["p95"],
            "web CPU ms per creation": create["cpu_ms_per_request"]["web"]}


def bench_dashboard(tree: Path, tag: str, work: Path, args) -> dict:
    db = f"claimdesk_cmp_dash_{os.getpid()}_{tag}"
    try:
        text = run(tree, "dashboard_bench.py", ["--cases", str(args.cases), "--db", db, "--runs", str(args.runs)],
                   work / f"dashboard-{tag}.log")
    finally:
        drop_database(f"{db}_{args.cases // 1000}k")
    out = {}
    for line in text.splitlines():
        for label, name in DASH_VIEWS.items():
            m = re.match(re.escape(label) + r"\s+([\d.]+)\s+([\d.]+)\s", line)
            if m:
                out[name] = float(m.group(2))
    return out


def bench_sla(tree: Path, tag: str, work: Path, args) -> dict:
    text = run(tree, "sla_bench.py", ["--clocks", str(args.clocks), "--due-ratio", f"{args.due_ratio:g}"],
               work / f"sla-{tag}.log")
    out = {}
    m = re.search(r"→ ([\d,]+) clocks/s \(target", text)
    if m:
        out["escalation clocks/s (job time)"] = float(m.group(1).replace(",", ""))
    m = re.search(r"\[latency\].*?p95 ([\d.]+) s", text)
    if m:
        out["due → breach p95 s"] = float(m.group(1))
    return out


BENCHES = {"load": bench_load, "dashboard": bench_dashboard, "sla": bench_sla}


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def fmt(name: str, v: float | None) -> str:
    if v is None:
        return "—"
    if name in ("app/raw",):
        return f"{v:.3f}"
    if name.endswith(" s"):
        return f"{v:.2f}"
    return f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def table(results: dict, rounds: int, base: str, head: str) -> list[tuple]:
    print()
    print("=" * 118)
    print(f"before = {base}, after = {head}; {rounds} round(s), order alternating per round; median of rounds")
    print("=" * 118)
    print(f"{'figure':<42}{'before (rounds)':>26}{'after (rounds)':>26}{'before':>8}{'after':>8}{'a/b':>7}")
    verdicts = []
    for name, better_high in HIGHER_BETTER.items():
        b, a = results["before"].get(name, []), results["after"].get(name, [])
        if not b and not a:
            continue
        mb = statistics.median(b) if b else None
        ma = statistics.median(a) if a else None
        ratio = ma / mb if mb and ma is not None else None
        flag = ""
        if ratio is not None and name in GATED:
            worse = (ratio < 0.9) if better_high else (ratio > 1.1)
            flag = " WORSE >10 %" if worse else " ok"
            verdicts.append((name, not worse))
        print(f"{name:<42}{' / '.join(fmt(name, v) for v in b):>26}{' / '.join(fmt(name, v) for v in a):>26}"
              f"{fmt(name, mb):>8}{fmt(name, ma):>8}{(f'{ratio:.2f}' if ratio else '—'):>7}{flag}")
    print("=" * 118)
    return verdicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="e80f4d8", help="the 'before' commit (default e80f4d8)")
    ap.add_argument("--only", default="load,dashboard,sla", help="comma-separated: load, dashboard, sla")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--duration", type=float, default=20.0, help="load.py seconds per phase (default 20)")
    ap.add_argument("--cases", type=int, default=100_000, help="dashboard_bench.py cases (default 100,000)")
    ap.add_argument("--runs", type=int, default=40, help="dashboard_bench.py requests per view (default 40)")
    ap.add_argument("--clocks", type=int, default=100_000, help="sla_bench.py running clocks (default 100,000)")
    ap.add_argument("--due-ratio", type=float, default=0.05,
                    help="sla_bench.py share of them due (default 0.05: 5,000 due, three batch jobs)")
    ap.add_argument("--workdir", help="keep logs and results here (default: a temporary directory, removed)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    which = [b for b in args.only.split(",") if b]
    unknown = set(which) - set(BENCHES)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    base = git("rev-parse", "--short", args.base)
    head = git("rev-parse", "--short", "HEAD") + ("+changes" if git("status", "--porcelain", "--untracked-files=no")
                                                 else "")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="claimdesk-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    before_tree = Path(tempfile.mkdtemp(prefix="claimdesk-base-")) / "tree"
    git("worktree", "add", "--detach", str(before_tree), base)
    trees = {"before": before_tree, "after": ROOT}
    results: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    failed = True
    try:
        log(f"before: {base} in {before_tree}; after: {head} in {ROOT}; logs in {work}")
        for r in range(1, args.rounds + 1):
            order = ["before", "after"] if r % 2 else ["after", "before"]
            for bench in which:
                for side in order:
                    log(f"round {r}: {bench}, {side}")
                    t0 = time.time()
                    try:
                        figures = BENCHES[bench](trees[side], f"{side}{r}", work, args)
                    except Exception as err:  # noqa: BLE001 — the other benchmarks still run
                        log(f"  {bench} failed: {err!r}")
                        figures = {}
                    for k, v in figures.items():
                        results[side].setdefault(k, []).append(v)
                    log("  " + ", ".join(f"{k} {fmt(k, v)}" for k, v in figures.items())
                        + f" ({time.time() - t0:.0f} s)")
        failed = False
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before_tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(before_tree.parent, ignore_errors=True)
        if failed:
            log(f"failed: logs kept in {work}")
        elif not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    verdicts = table(results, args.rounds, base, head)
    if verdicts:
        bad = [n for n, ok in verdicts if not ok]
        print("not worse by more than 10 %: " + ("yes" if not bad else "NO — " + ", ".join(bad)))
    if args.json:
        Path(args.json).write_text(json.dumps({"base": base, "head": head, "rounds": args.rounds,
                                               "results": results}, indent=2))


if __name__ == "__main__":
    main()
