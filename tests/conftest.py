"""Shared fixtures: a site, an app on a fresh SQLite file with a fake printer and a clock we set."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contactpoint.config import SAMPLE_SITE, load_site
from contactpoint.domain.site import Site
from tests.csp_guard import CSP_VIOLATIONS, CspGuardedBrowser

BRUSSELS = ZoneInfo("Europe/Brussels")
# the tests' browsers and clients open device pages without a technician: they pair on first sight, in this
# process and in the live servers it starts (inherited). tests/test_pairing*.py turn pairing on for real.
os.environ.setdefault("CONTACTPOINT_PAIRING", "first-sight")


class Clock:
    """A clock tests set by hand: time only moves when a test says so."""

    def __init__(self, when: datetime | None = None) -> None:
        self.now = (when or datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS)).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, when: datetime) -> None:
        self.now = when.timestamp()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site() -> Site:
    return load_site(SAMPLE_SITE).site


@pytest.fixture
def printer() -> Any:
    from contactpoint.hardware.printer import FakePrinter

    return FakePrinter()


@pytest.fixture
def app(tmp_path: Path, clock: Clock, printer: Any) -> Iterator[Any]:
    from contactpoint.hardware.audio import FakeAnnouncer

    from contactpoint import create_app

    # a fake announcer: tests that want espeak-ng's real audio build their own (tests/test_announce.py, display)
    announcer = FakeAnnouncer(tmp_path / "audio")
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test"},
        printer=printer,
        clock=clock,
        announcer=announcer,
    )
    box = app.extensions["contactpoint"].start()  # the app builds the box; the test starts it and closes it
    yield app
    box.close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def engine(app: Any) -> Any:
    return app.extensions["contactpoint"].engine


def login_token(client: Any, path: str = "/counter/login") -> str:
    """The CSRF token a login form carries (tied to the pre-login session of `client`'s cookie)."""
    page = client.get(path.split("?")[0], follow_redirects=True).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, page[:500]
    return m.group(1)


def post_login(client: Any, path: str, data: dict[str, str], **kwargs: Any) -> Any:
    """Post a login form as a browser does: first get the form, then post it with its token."""
    return client.post(path, data={**data, "csrf_token": login_token(client, path)}, **kwargs)


class AuthActions:
    """Speaks the counter's language in tests: log in, then send commands with the CSRF token."""

    def __init__(self, app: Any, client: Any) -> None:
        self.app = app
        self.client = client
        self.csrf = ""

    def create(self, name: str = "alice", password: str = "correct horse battery", role: str = "agent") -> None:
        from contactpoint.auth import hash_password

        self.app.extensions["contactpoint"].store.add_agent(name, hash_password(password), role, 0.0)

    def login(self, name: str = "alice", password: str = "correct horse battery") -> Any:
        self.create(name, password)
        resp = post_login(self.client, "/counter/login", {"name": name, "password": password})
        page = self.client.get("/counter/").get_data(as_text=True)
        m = re.search(r'name="csrf-token" content="([^"]+)"', page)
        self.csrf = m.group(1) if m else ""
        return resp

    def cmd(self, command: str, **body: Any) -> Any:
        return self.client.post(f"/counter/api/{command}", json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def agent(app: Any, client: Any) -> AuthActions:
    return AuthActions(app, client)


# -- browser tests: Debian's Chromium driven by Playwright --------------------------------------------------
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


DEBIAN_CHROMIUM = "/usr/bin/chromium"


def chromium_path() -> str | None:
    """$CHROMIUM, else Debian's package (even when another `chromium` comes first on PATH), else PATH's."""
    import shutil

    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which browser the browser tests drove, so a CI log shows it (also under -q, unlike a header)."""
    terminalreporter.write_line(f"browser: {chromium_path() or 'none (browser tests skip, or fail under CI)'}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "browser tests need Debian's 'chromium' package (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # under CI, browser tests never skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        yield CspGuardedBrowser(b)  # every page watches for CSP violations (tests/csp_guard.py)
        b.close()


@pytest.fixture(autouse=True)
def _no_csp_violation() -> Iterator[None]:
    """A browser test whose page broke the Content-Security-Policy fails (tests/csp_guard.py)."""
    CSP_VIOLATIONS.clear()
    yield
    found, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    if found:
        pytest.fail("the page broke the Content-Security-Policy:\n" + "\n".join(found), pytrace=False)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Any]:
    from tests.live_server import LiveServer

    server = LiveServer(tmp_path / "data")
    server.data_dir.mkdir()
    server.start()
    yield server
    server.stop()


def shot(page: Any, name: str) -> None:
    """Keep a screenshot a person can look at (tests/artifacts/, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def require_tool(tool: str, package: str) -> None:
    """A test that needs a Debian tool: skipped on a developer's machine without it, never under CI."""
    import shutil

    if shutil.which(tool) is None:
        message = f"needs {tool} (Debian package {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def wait_for(predicate: Any, timeout: float = 5.0) -> Any:
    """Poll until `predicate()` is truthy (background threads: printer, broadcaster), or fail."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def caught_up(page: Any, base_url: str, timeout_ms: float = 15_000) -> None:
    """Wait until the page's live state has every event the box has logged so far.

    The sound base for "X did not happen on this page": after it, whatever the box sent has been drawn.
    """
    import json
    import urllib.request

    with urllib.request.urlopen(base_url + "/api/health", timeout=5) as r:
        seq = json.load(r)["seq"]
    page.wait_for_function(
        "s => window.contactpointLive && window.contactpointLive.seq >= s", arg=seq, timeout=timeout_ms
    )
