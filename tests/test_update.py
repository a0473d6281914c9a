"""`contactpoint update` and `rollback` for real, between releases this test builds itself from the working tree:
the version as it is, the next patch version, and a broken one after it whose server exits at start. Each is
installed in its own venv of a temporary prefix, as on a box (docs/technician.md), and served by a real
`contactpoint serve` that a small service script starts and stops with a pid file, in place of systemd.

Marker `provision` (real venvs and installs, about a minute): run by `make test-provision`, not the default suite.
The runtime dependencies are built once into a wheelhouse cache (`pip wheel`), which each release installs from
offline (`--no-index --find-links`), as a release tarball's wheelhouse would.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

import contactpoint
from contactpoint.update_parts import read_log, switch
from tests.live_server import free_port

pytestmark = pytest.mark.provision

ROOT = Path(__file__).resolve().parent.parent
OLD = Version(contactpoint.__version__)
NEW = f"{OLD.major}.{OLD.minor}.{OLD.micro + 1}"
BROKEN = f"{OLD.major}.{OLD.minor}.{OLD.micro + 2}"


def _tree(dest: Path, version: str | None = None, broken: bool = False) -> Path:
    """A copy of the tracked files, its version bumped, its server made to exit at start if `broken`."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    if version:
        for rel, before, after in [
            ("pyproject.toml", f'version = "{OLD}"', f'version = "{version}"'),
            ("contactpoint/__init__.py", f'__version__ = "{OLD}"', f'__version__ = "{version}"'),
        ]:
            text = (dest / rel).read_text()
            assert before in text, rel
            (dest / rel).write_text(text.replace(before, after, 1))
    if broken:
        server = dest / "contactpoint" / "server.py"
        text = server.read_text()
        start = "    cp.start()\n"  # in serve(): the box never starts, the process exits
        assert text.count(start) == 1
        server.write_text(text.replace(start, '    raise SystemExit("broken on purpose (tests/test_update.py)")\n', 1))
    return dest


def _wheel(src: Path, out: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("contactpoint-*.whl")
    return path


def _wheelhouse(any_wheel: Path) -> Path:
    """The runtime dependencies as wheels, built once per set of dependencies and kept in a cache."""
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    key = hashlib.sha256(pyproject + sys.version.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "contactpoint-tests" / f"wheelhouse-{key}"
    if not (cache / ".complete").exists():
        shutil.rmtree(cache, ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(cache), str(any_wheel)],
            capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        for own in cache.glob("contactpoint-*.whl"):
            own.unlink()  # the releases come from the tests' own wheels
        (cache / ".complete").touch()
    return cache


SERVICE = textwrap.dedent(
    """\
    # the box's service for the test: start or stop `PREFIX/current/bin/contactpoint serve`, with a pid file
    import json, os, signal, subprocess, sys, time
    from pathlib import Path

    cfg = json.loads(Path(__file__).with_suffix(".json").read_text())
    pidfile = Path(cfg["pid"])

    def alive(pid):  # any of its threads not a zombie (the main thread may end before the others)
        states = []
        for task in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                states.append(task.read_text().rsplit(")", 1)[1].split()[0])
            except OSError:
                pass
        return any(state != "Z" for state in states)

    action = sys.argv[1]
    pid = int(pidfile.read_text()) if pidfile.exists() else 0
    if action == "start":
        if pid and alive(pid):
            sys.exit(0)
        with open(cfg["log"], "a") as log:
            p = subprocess.Popen(
                [cfg["prefix"] + "/current/bin/contactpoint", "serve", "--config", cfg["site"], "--host", "127.0.0.1",
                 "--port", str(cfg["port"]), "--data", cfg["data"]],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        pidfile.write_text(str(p.pid))
    elif action == "stop":
        if pid and alive(pid):
            os.kill(pid, signal.SIGTERM)
            for _ in range(300):
                if not alive(pid):
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)
                while alive(pid):
                    time.sleep(0.05)
        pidfile.unlink(missing_ok=True)
    else:
        sys.exit(f"unknown action {action}")
    """
)


class Box:
    def __init__(self, base: Path, wheels: dict[str, Path], wheelhouse: Path) -> None:
        self.prefix, self.data = base / "opt", base / "var"
        self.wheels, self.wheelhouse = wheels, wheelhouse
        self.port = free_port()
        self.health = f"http://127.0.0.1:{self.port}/api/health"
        self.log = base / "server.log"
        self.service = base / "service.py"
        self.service.write_text(SERVICE)
        self.service.with_suffix(".json").write_text(json.dumps({
            "prefix": str(self.prefix), "data": str(self.data), "port": self.port, "log": str(self.log),
            "site": str(ROOT / "contactpoint" / "sample_site.toml"), "pid": str(base / "server.pid"),
        }))
        self.data.mkdir()

    def install_old(self) -> None:
        release = self.prefix / "releases" / str(OLD)
        subprocess.run(["python3", "-m", "venv", str(release)], check=True)
        subprocess.run(
            [str(release / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
             str(self.wheelhouse), str(self.wheels[str(OLD)])], check=True, capture_output=True,
        )
        switch(self.prefix / "current", release)

    def sv(self, action: str) -> None:
        subprocess.run([sys.executable, str(self.service), action], check=True)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        where = ["--prefix", str(self.prefix), "--data", str(self.data), "--health-url", self.health,
                 "--service-cmd", f"{sys.executable} {self.service} {{action}}", "--timeout", str(timeout)]
        return subprocess.run([str(self.prefix / "current" / "bin" / "contactpoint"), *args, *where],
                              capture_output=True, text=True, timeout=600)

    def get(self, path: str = "/api/health") -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
            return json.load(r)

    def wait_up(self, version: str) -> Any:
        from contactpoint.update_parts import wait_healthy

        assert wait_healthy(self.health, version, 30) is None, self.log.read_text()[-2000:]
        return self.get()

    def take_ticket(self) -> str:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/kiosk/api/tickets",
            data=json.dumps({"need": "moving", "lang": "en"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            return str(json.load(r)["number"])

    def tickets(self) -> list[str]:
        db = sqlite3.connect(f"file:{self.data / 'contactpoint.sqlite3'}?mode=ro", uri=True)
        try:
            return [row[0] for row in db.execute("SELECT number FROM tickets ORDER BY number")]
        finally:
            db.close()

    def link(self, name: str) -> str | None:
        path = self.prefix / name
        return path.resolve().name if path.is_symlink() else None


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    base = tmp_path_factory.mktemp("update")
    wheels: dict[str, Path] = {}
    for version, broken in [(None, False), (NEW, False), (BROKEN, True)]:
        name = version or str(OLD)
        src = _tree(base / f"src-{name}", version, broken)
        wheels[name] = _wheel(src, base / f"dist-{name}")
        shutil.rmtree(src)
    wheelhouse = _wheelhouse(wheels[str(OLD)])
    (base / f"dist-{NEW}" / "wheelhouse").symlink_to(wheelhouse)  # found beside the package, as in a release tarball
    b = Box(base, wheels, wheelhouse)
    b.install_old()
    b.sv("start")
    yield b
    b.sv("stop")


def test_update_then_a_broken_update_rolled_back_by_itself_then_rollback(box: Box) -> None:
    assert box.wait_up(str(OLD))["version"] == str(OLD)
    before = sorted(box.take_ticket() for _ in range(3))

    # an older or equal package is refused before anything changes
    same = box.cli("update", str(box.wheels[str(OLD)]))
    assert same.returncode == 1 and f"{OLD} is the same as the running {OLD}: refused" in same.stderr

    # the update: new venv, saved database, migrated copy, switch, health with the new version
    done = box.cli("update", str(box.wheels[NEW]))
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("create the environment", "from the wheelhouse", "back up the live database", "stop the service",
                 "db migrate --data", "swap the migrated copy in", f"current -> {NEW}", "start the service",
                 f"updated {OLD} -> {NEW}"):
        assert step in done.stdout, step
    assert box.get()["version"] == NEW
    assert (box.link("current"), box.link("previous")) == (NEW, str(OLD))
    assert box.tickets() == before
    after_update = sorted([*before, box.take_ticket()])
    assert read_log_last(box)["result"] == "ok"

    # a release whose server exits at start: rolled back by itself, the box serves NEW again with its data
    broken = box.cli("update", str(box.wheels[BROKEN]), "--wheelhouse", str(box.wheelhouse), timeout=20)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"update to {BROKEN} failed" in broken.stderr and f"rolled back to {NEW}: it serves again" in broken.stderr
    assert "put the database back from" in broken.stdout
    assert box.get()["version"] == NEW
    assert (box.link("current"), box.link("previous")) == (NEW, str(OLD))
    assert not (box.prefix / "releases" / BROKEN).exists()
    assert box.tickets() == after_update
    assert read_log_last(box)["result"] == "rolled back"

    # rollback: the previous release with the database saved before the update; the newer one kept aside
    back = box.cli("rollback")
    assert back.returncode == 0, back.stdout + back.stderr
    assert box.get()["version"] == str(OLD)
    assert (box.link("current"), box.link("previous")) == (str(OLD), None)
    assert box.tickets() == before
    (aside,) = (box.data / "backups" / "pre-update").glob(f"{NEW}-at-rollback-*.sqlite3")
    assert str(aside) in back.stdout
    again = box.cli("rollback")
    assert again.returncode == 1 and "no previous release" in again.stderr


def read_log_last(box: Box) -> dict[str, Any]:
    from contactpoint.update_parts import Layout

    return read_log(Layout(box.prefix, box.data))[-1]
