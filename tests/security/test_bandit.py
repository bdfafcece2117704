"""bandit over the package: no High finding that docs/security.md has not explained and accepted."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: (test id, file) -> why it is accepted; keep in step with docs/security.md ("bandit")
ACCEPTED_HIGH = {
    ("B324", "claimdesk/sla/jobs.py"): "SHA-1 makes a short, stable RQ job id from clock ids; nothing secret",
}


def test_bandit_has_no_unexplained_high_findings():
    pytest.importorskip("bandit")
    if shutil.which("bandit") is None and not (Path(sys.executable).parent / "bandit").exists():
        pytest.skip("bandit is not installed (pip install -e '.[test]')")
    out = subprocess.run([sys.executable, "-m", "bandit", "-r", "claimdesk", "-q", "-f", "json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    report = json.loads(out.stdout)
    assert not report.get("errors"), report["errors"]
    high = [r for r in report["results"] if r["issue_severity"] == "HIGH"]
    unexplained = [f"{r['test_id']} {r['filename']}:{r['line_number']} {r['issue_text']}" for r in high
                   if (r["test_id"], r["filename"]) not in ACCEPTED_HIGH]
    assert not unexplained, "new High bandit findings (fix them, or explain them in docs/security.md and " \
                            f"ACCEPTED_HIGH): {unexplained}"
    stale = set(ACCEPTED_HIGH) - {(r["test_id"], r["filename"]) for r in high}
    assert not stale, f"accepted findings that are gone (drop them from ACCEPTED_HIGH and the doc): {stale}"


def test_security_doc_lists_every_accepted_finding():
    doc = (ROOT / "docs" / "security.md").read_text()
    for test_id, filename in ACCEPTED_HIGH:
        assert test_id in doc and filename in doc
