"""The session-signing key: from CLAIMDESK_SECRET_KEY in production; otherwise one generated per
install, on first run, readable by its owner only — never a key shipped in the repository."""
from __future__ import annotations

import hashlib
import stat
import subprocess

import pytest

from claimdesk import config
from tests.conftest import ROOT

# a stand-in for the key that was tracked in git (whose hash config._PUBLISHED_KEYS holds)
PUBLISHED = "c2f1a0e5b8d94e3c7a6f0b1d2e3c4a5b6978d0e1f2a3b4c5d6e7f8091a2b3c4d"


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("CLAIMDESK_SECRET_KEY", raising=False)
    monkeypatch.delenv("CLAIMDESK_ENV", raising=False)


def test_first_run_generates_a_private_key_and_keeps_it(tmp_path):
    instance = tmp_path / "instance"
    key = config.load(str(instance))["SECRET_KEY"]
    path = instance / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64 and path.read_text() == key
    assert config.load(str(instance))["SECRET_KEY"] == key  # the next start signs with the same key
    assert not [p for p in instance.iterdir() if p.name != "secret_key"]  # no temporary file left


def test_every_install_has_its_own_key(tmp_path):
    a = config.load(str(tmp_path / "a"))["SECRET_KEY"]
    b = config.load(str(tmp_path / "b"))["SECRET_KEY"]
    assert a != b


def test_the_key_once_published_in_git_is_replaced(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    path = instance / "secret_key"
    path.write_text(PUBLISHED)
    path.chmod(0o644)
    monkeypatch.setattr(config, "_PUBLISHED_KEYS",
                        config._PUBLISHED_KEYS | {hashlib.sha256(PUBLISHED.encode()).hexdigest()})
    key = config.load(str(instance))["SECRET_KEY"]
    assert key != PUBLISHED and path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_older_readable_key_file_is_kept_but_made_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    path = instance / "secret_key"
    path.write_text("k" * 64 + "\n")
    path.chmod(0o644)
    assert config.load(str(instance))["SECRET_KEY"] == "k" * 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_production_requires_the_environment_key(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMDESK_ENV", "production")
    with pytest.raises(RuntimeError, match="CLAIMDESK_SECRET_KEY"):
        config.load(str(tmp_path / "instance"))
    assert not (tmp_path / "instance" / "secret_key").exists()
    monkeypatch.setenv("CLAIMDESK_SECRET_KEY", "from-the-environment")
    assert config.load(str(tmp_path / "instance"))["SECRET_KEY"] == "from-the-environment"


def test_a_configured_key_writes_no_file(tmp_path):
    assert config.load(str(tmp_path / "instance"), {"SECRET_KEY": "given"})["SECRET_KEY"] == "given"
    assert not (tmp_path / "instance" / "secret_key").exists()


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_no_key_is_tracked_in_the_repository():
    tracked = subprocess.run(["git", "ls-files", "instance"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert tracked == []
    ignored = subprocess.run(["git", "check-ignore", "-q", "instance/secret_key"], cwd=ROOT)
    assert ignored.returncode == 0  # a generated key is never added by accident
