"""Browser end-to-end harness: the real app served in-process on 127.0.0.1 (a werkzeug server in a
background thread, CSRF on, on the test database with real commits) and Debian's headless Chromium driven
by Playwright. No browser is ever downloaded: without /usr/bin/chromium the suite is skipped and reported
(CI, with CLAIMDESK_TEST_REQUIRE_SERVICES=1, fails instead).

Every page a test visits is watched: a console error (CSP violations land there), an uncaught script error
or a 5xx answer fails the test. Screenshots of the key pages go to tests/artifacts/e2e/.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import REQUIRE, ROOT, SKIPPED_SUITES, test_config

ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
PASSWORD = "secret-pass-1"  # what tests/factories.py hashes for every user
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000


def _find_chromium() -> tuple[str | None, str | None]:
    """(path, None) or (None, why not)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "the playwright package is not installed (pip install -e '.[test]')"
    path = os.environ.get("CLAIMDESK_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        return None, f"no Chromium at {path} (apt-get install chromium fonts-noto-cjk; no browser is downloaded)"
    return path, None


CHROMIUM, BROWSER_MISSING = _find_chromium()
if BROWSER_MISSING:
    if REQUIRE:
        raise pytest.UsageError(f"CLAIMDESK_TEST_REQUIRE_SERVICES=1 but {BROWSER_MISSING}")
    SKIPPED_SUITES["browser"] = BROWSER_MISSING


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
            if BROWSER_MISSING:
                item.add_marker(pytest.mark.skip(reason=f"browser suite skipped: {BROWSER_MISSING}"))


# --- the app, served for real ---------------------------------------------------------------------
def _quiet_handler():
    from werkzeug.serving import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        """No access log line per request (the browser test reports what went wrong itself)."""

        def log_request(self, *args, **kwargs):
            pass

    return Quiet


@pytest.fixture(scope="session")
def live_server(app, database_url, redis_url, tmp_path_factory):
    """The app on a free port of 127.0.0.1 in a background thread; same database and Redis as the tests."""
    from werkzeug.serving import make_server

    from claimdesk.app import create_app

    config = {**test_config(database_url, redis_url, tmp_path_factory.mktemp("e2e-uploads")),
              "WTF_CSRF_ENABLED": True, "TESTING": False}
    served = create_app(config)
    server = make_server("127.0.0.1", 0, served, threaded=True, request_handler=_quiet_handler())
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        from claimdesk.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    if BROWSER_MISSING:  # only reached when a test is run despite the skip marker
        pytest.skip(BROWSER_MISSING)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Staff:
    """One member of staff in their own browser context (own cookies, own language)."""

    def __init__(self, browser, base_url: str, user, prefix: str):
        self.user = user
        self.base_url = base_url
        self.prefix = prefix
        self.context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900},
                                           locale="en-US", timezone_id="Asia/Shanghai", reduced_motion="reduce")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"{self.page.url}: script error {exc}"))
        self.page.on("response", self._response)
        self.shots: list[Path] = []

    def _console(self, msg):
        if msg.type == "error":
            self.problems.append(f"{self.page.url}: console error {msg.text}")

    def _response(self, resp):
        if resp.status >= 500:
            self.problems.append(f"{resp.url}: HTTP {resp.status}")

    # --- moving around ---------------------------------------------------------------------------
    def login(self):
        page = self.page
        page.goto("/login")
        page.get_by_label("Username").fill(self.user.username)
        page.get_by_label("Password").fill(PASSWORD)
        self.submit(page.get_by_role("button", name="Log in"))
        assert "/login" not in page.url, f"{self.user.username} could not log in"
        self.assert_clean()
        return self

    def goto(self, path: str):
        self.page.goto(path)
        self.assert_clean()
        return self.page

    def submit(self, locator):
        """Click a submit button (or link) and wait for the page it leads to."""
        return self.submit_by(locator.click)

    def submit_by(self, action):
        """Do something that leads to another page (a click, Enter in a field) and wait for that page."""
        with self.page.expect_navigation():
            action()
        self.assert_clean()
        return self.page

    def press(self, name: str, *, within=None):
        """Click the button called `name` (in `within`, else anywhere on the page) and wait for the next page."""
        scope = within if within is not None else self.page
        return self.submit(scope.get_by_role("button", name=name, exact=True))

    def follow(self, name: str, *, within=None):
        scope = within if within is not None else self.page
        return self.submit(scope.get_by_role("link", name=name, exact=True).first)

    def flash(self) -> str:
        return " ".join(self.page.locator("main > .alert").all_inner_texts())

    def expect_success(self, text: str | None = None):
        alerts = self.page.locator("main > .alert")
        danger = self.page.locator("main > .alert-danger")
        assert danger.count() == 0, f"refused: {self.flash()}"
        if text is not None:
            from playwright.sync_api import expect

            expect(alerts.filter(has_text=text)).to_have_count(1)

    def switch_language(self):
        """The navbar's language button (中文 / English), as a user would."""
        button = self.page.locator("nav form[action*='/lang/'] button")
        return self.submit(button)

    def shot(self, name: str) -> Path:
        path = ARTIFACTS / f"{self.prefix}-{len(self.shots) + 1:02d}-{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    def assert_clean(self):
        assert not self.problems, "problems in the browser:\n" + "\n".join(self.problems)

    def close(self):
        self.context.close()


@pytest.fixture
def staff(request, chromium, live_server, committed_db):
    """staff(user) → a logged-in Staff; every page they saw must be free of console errors and 5xx."""
    opened: list[Staff] = []
    prefix = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")

    def open_as(user, *, login=True) -> Staff:
        s = Staff(chromium, live_server, user, f"{prefix}-{user.username}")
        opened.append(s)
        return s.login() if login else s

    yield open_as
    try:
        for s in opened:
            s.assert_clean()
    finally:
        for s in opened:
            s.close()
