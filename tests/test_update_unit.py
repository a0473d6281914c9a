"""The pure parts of `contactpoint update` and `rollback` (contactpoint/update.py, update_parts.py): the package's
metadata, the version check, the symlink switch, the database copies, the refusals. The real update between two
built releases is tests/test_update.py (marker `provision`)."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import sqlite3
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contactpoint.provisioning.cli import main
from packaging.version import Version

import contactpoint
from contactpoint.lockfile import hold
from contactpoint.update import Layout, Service, UpdateError, Updater
from contactpoint.update_parts import (
    append_log,
    backup_db,
    check_newer,
    ensure_stopped,
    place_db,
    read_log,
    read_package,
    release_version,
    switch,
)


def wheel(path: Path, name: str = "contactpoint", version: str = "0.2.0") -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}-{version}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        z.writestr(f"{name}/__init__.py", "")
    return path


def sdist(path: Path, version: str = "0.3.0") -> Path:
    with tarfile.open(path, "w:gz") as t:
        data = f"Metadata-Version: 2.1\nName: contactpoint\nVersion: {version}\n".encode()
        info = tarfile.TarInfo(f"contactpoint-{version}/PKG-INFO")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return path


# -- the package and its version -------------------------------------------------------------------------------
def test_a_wheel_and_a_source_tarball_say_their_version(tmp_path: Path) -> None:
    assert read_package(wheel(tmp_path / "contactpoint-0.2.0-py3-none-any.whl")).version == Version("0.2.0")
    pkg = read_package(sdist(tmp_path / "contactpoint-0.3.0.tar.gz"))
    assert (pkg.version, pkg.kind) == (Version("0.3.0"), "sdist")


def test_what_is_not_a_contactpoint_package_is_refused_with_a_reason(tmp_path: Path) -> None:
    other = wheel(tmp_path / "flask-3.0.0-py3-none-any.whl", name="flask", version="3.0.0")
    with pytest.raises(UpdateError, match="a package of 'flask', not of contactpoint"):
        read_package(other)
    fake = tmp_path / "contactpoint-0.2.0-py3-none-any.whl"
    fake.write_text("not a zip")
    with pytest.raises(UpdateError, match="not a readable wheel"):
        read_package(fake)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(UpdateError, match=r"not a package: give a wheel \(.whl\) or a source tarball"):
        read_package(notes)
    with pytest.raises(UpdateError, match="no such file"):
        read_package(tmp_path / "missing.whl")
    empty = tmp_path / "contactpoint-1.0.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(UpdateError, match="no package metadata inside"):
        read_package(empty)


def test_only_a_newer_version_updates_unless_forced() -> None:
    check_newer(Version("0.1.1"), Version("0.1.0"), force=False)
    check_newer(Version("0.10.0"), Version("0.9.0"), force=False)  # versions, not strings
    with pytest.raises(UpdateError, match=r"0.1.0 is the same as the running 0.1.0: refused \(--force"):
        check_newer(Version("0.1.0"), Version("0.1.0"), force=False)
    with pytest.raises(UpdateError, match="0.0.9 is older than the running 0.1.0"):
        check_newer(Version("0.0.9"), Version("0.1.0"), force=False)
    check_newer(Version("0.0.9"), Version("0.1.0"), force=True)


def test_the_running_version_is_the_one_the_package_metadata_says() -> None:
    assert contactpoint.__version__ == importlib.metadata.version("contactpoint")


def test_a_release_says_its_version_from_its_dist_info(tmp_path: Path) -> None:
    release = tmp_path / "releases" / "0.1.0-2"
    (release / "lib" / "python3.11" / "site-packages" / "contactpoint-0.1.0.dist-info").mkdir(parents=True)
    assert release_version(release) == Version("0.1.0")
    assert release_version(tmp_path / "releases" / "0.4.0") == Version("0.4.0")  # no venv: the folder's name
    with pytest.raises(UpdateError, match="no contactpoint installed there"):
        release_version(tmp_path / "releases")


# -- links and databases ---------------------------------------------------------------------------------------
def test_switch_replaces_a_link_in_one_rename_with_a_relative_target(tmp_path: Path) -> None:
    a, b = tmp_path / "releases" / "0.1.0", tmp_path / "releases" / "0.1.1"
    a.mkdir(parents=True)
    b.mkdir()
    link = tmp_path / "current"
    switch(link, a)
    assert link.resolve() == a
    switch(link, b)
    assert link.resolve() == b and str(link.readlink()) == "releases/0.1.1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "releases"]  # no temporary link left


def _db(path: Path, rows: list[str]) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [(r,) for r in rows])
    db.commit()
    db.close()


def _rows(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT v FROM t ORDER BY rowid")]
    finally:
        db.close()


def test_a_backup_is_consistent_and_placing_it_drops_the_old_wal(tmp_path: Path) -> None:
    live = tmp_path / "contactpoint.sqlite3"
    _db(live, ["a", "b"])
    writer = sqlite3.connect(live)  # an open writer with its WAL not checkpointed
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO t VALUES ('c')")
    writer.commit()
    saved = tmp_path / "backups" / "saved.sqlite3"
    backup_db(live, saved)
    assert _rows(saved) == ["a", "b", "c"]
    writer.execute("INSERT INTO t VALUES ('d')")
    writer.commit()
    wal = Path(str(live) + "-wal")
    stale = wal.read_bytes()  # the WAL a crashed server would leave beside the file
    writer.close()
    wal.write_bytes(stale)
    place_db(saved, live, keep_src=True)
    assert not wal.exists() and saved.exists()
    assert _rows(live) == ["a", "b", "c"]  # the old file's WAL frames were not applied to the new one


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_files_root_makes_in_the_state_folder_stay_the_service_users(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    live = data / "contactpoint.sqlite3"
    _db(live, ["a"])
    for path in (data, live):
        os.chown(path, 4321, 4321)  # the service user's
    backup_db(live, data / "backups" / "pre-update" / "saved.sqlite3")
    ensure_stopped(live)
    for made in ("backups", "backups/pre-update", "backups/pre-update/saved.sqlite3", "contactpoint.sqlite3.lock"):
        assert (data / made).stat().st_uid == 4321, made


def test_a_database_still_locked_by_a_server_means_the_service_did_not_stop(tmp_path: Path) -> None:
    db = tmp_path / "contactpoint.sqlite3"
    lock = hold(str(db) + ".lock")
    try:
        with pytest.raises(UpdateError, match="the service did not stop"):
            ensure_stopped(db, wait=0.2)
    finally:
        lock.close()
    ensure_stopped(db)


def test_the_update_waits_for_a_server_that_lets_its_lock_go_a_moment_after_the_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contactpoint.update_parts as parts

    db = tmp_path / "contactpoint.sqlite3"
    lock = hold(str(db) + ".lock")
    naps: list[float] = []

    def nap(seconds: float) -> None:  # the server's last thread ends while the update waits
        naps.append(seconds)
        lock.close()

    monkeypatch.setattr(parts.time, "sleep", nap)
    ensure_stopped(db, wait=30)
    assert len(naps) == 1


def test_the_service_command_is_a_template() -> None:
    assert Service().command("stop") == ["systemctl", "stop", "contactpoint"]
    assert Service("/usr/local/bin/svc '{action}' now").command("start") == ["/usr/local/bin/svc", "start", "now"]
    with pytest.raises(UpdateError, match="has no {action}"):
        Service("systemctl restart contactpoint")


# -- the refusals, before anything changes ---------------------------------------------------------------------
def installed(tmp_path: Path, *versions: str) -> Layout:
    lay = Layout(tmp_path / "opt", tmp_path / "var")
    for v in versions:
        (lay.releases / v).mkdir(parents=True)
    lay.data.mkdir(parents=True)
    return lay


def updater(lay: Layout, *, health_url: str = "http://127.0.0.1:9/api/health", said: list[str] | None = None) -> Any:
    # `false`: a service command that fails if ever run, so a refusal that ran it would say so
    return Updater(lay, Service("false {action}"), health_url, timeout=1, say=(said if said is not None else []).append)


def test_an_older_package_is_refused_before_any_environment_is_made(tmp_path: Path) -> None:
    lay = installed(tmp_path, "0.1.0")
    switch(lay.current, lay.releases / "0.1.0")
    with pytest.raises(UpdateError, match="0.0.9 is older than the running 0.1.0"):
        updater(lay).update(wheel(tmp_path / "contactpoint-0.0.9-py3-none-any.whl", version="0.0.9"))
    assert sorted(p.name for p in lay.releases.iterdir()) == ["0.1.0"]
    with pytest.raises(UpdateError, match="not a link to a release: install the box first"):
        updater(installed(tmp_path / "empty")).update(wheel(tmp_path / "contactpoint-0.2.0-py3-none-any.whl"))


def test_rollback_is_refused_without_a_previous_release_or_its_saved_database(tmp_path: Path) -> None:
    lay = installed(tmp_path, "0.1.0", "0.1.1")
    switch(lay.current, lay.releases / "0.1.1")
    with pytest.raises(UpdateError, match="no previous release"):
        updater(lay).rollback()
    switch(lay.previous, lay.releases / "0.1.0")
    with pytest.raises(UpdateError, match="has no update from 0.1.0 to 0.1.1: no database saved before it"):
        updater(lay).rollback()
    append_log(lay, action="update", result="ok", to="0.1.1", saved=str(lay.saved / "gone.sqlite3"),
               **{"from": "0.1.0"})
    with pytest.raises(UpdateError, match="the database saved before the update to 0.1.1 is gone"):
        updater(lay).rollback()
    assert lay.current.resolve().name == "0.1.1"


@pytest.fixture
def health() -> Iterator[tuple[str, dict[str, Any]]]:
    """A tiny /api/health that answers what the test puts in `answer`."""
    answer: dict[str, Any] = {"ok": True}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/health", answer
    server.shutdown()
    server.server_close()


def test_rollback_puts_the_saved_database_back_and_keeps_the_newer_one_aside(
    tmp_path: Path, health: tuple[str, dict[str, Any]]
) -> None:
    url, answer = health
    lay = installed(tmp_path, "0.1.0", "0.1.1")
    switch(lay.current, lay.releases / "0.1.1")
    switch(lay.previous, lay.releases / "0.1.0")
    saved = lay.saved / "0.1.0-before-0.1.1.sqlite3"
    saved.parent.mkdir(parents=True)
    _db(saved, ["before"])
    _db(lay.database, ["before", "after"])
    append_log(lay, action="update", result="ok", to="0.1.1", saved=str(saved), **{"from": "0.1.0"})
    answer["version"] = "0.1.0"
    calls = tmp_path / "calls"
    said: list[str] = []
    Updater(lay, Service(f"sh -c 'echo $0 >> {calls}' {{action}}"), url, 5, say=said.append).rollback()
    assert calls.read_text().split() == ["stop", "start"]
    assert lay.current.resolve().name == "0.1.0" and not lay.previous.exists()
    assert _rows(lay.database) == ["before"]
    (aside,) = lay.saved.glob("0.1.1-at-rollback-*.sqlite3")
    assert _rows(aside) == ["before", "after"]
    assert read_log(lay)[-1] | {"at": ""} == {
        "at": "", "action": "rollback", "result": "ok", "from": "0.1.1", "to": "0.1.0", "aside": str(aside),
        "problem": None,
    }
    with pytest.raises(UpdateError, match="no previous release"):
        updater(lay).rollback()


# -- db migrate ------------------------------------------------------------------------------------------------
def test_db_migrate_brings_a_copy_to_this_schema_and_refuses_a_newer_one(tmp_path: Path) -> None:
    from contactpoint.migrations import MIGRATIONS

    sqlite3.connect(tmp_path / "contactpoint.sqlite3").close()
    runner = CliRunner()
    done = runner.invoke(main, ["db", "migrate", "--data", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert f"schema version 0 -> {len(MIGRATIONS)}" in done.output
    again = runner.invoke(main, ["db", "migrate", "--data", str(tmp_path)])
    assert again.exit_code == 0 and f"schema {len(MIGRATIONS)}, current" in again.output
    db = sqlite3.connect(tmp_path / "contactpoint.sqlite3")
    db.execute("INSERT INTO schema_migrations VALUES (99, datetime('now'))")
    db.commit()
    db.close()
    newer = runner.invoke(main, ["db", "migrate", "--data", str(tmp_path)])
    assert newer.exit_code == 1 and "newer than this contactpoint knows" in newer.output
    missing = runner.invoke(main, ["db", "migrate", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "no such database" in missing.output


def test_health_says_the_running_version(client: Any) -> None:
    body = client.get("/api/health").get_json()
    assert body["version"] == contactpoint.__version__
    assert {"ok", "seq", "printer", "server", "storage", "csp", "report"} <= set(body)


def test_the_health_url_follows_the_installed_site_files_port(tmp_path: Path) -> None:
    """The installed unit serves on the site file's [server] port: the update waits for that port's health."""
    from contactpoint.provisioning.update_cli import _default_health_url

    from tests.kiosk_support import site_text

    site = tmp_path / "site.toml"
    assert _default_health_url(site) == "http://127.0.0.1:8080/api/health"  # no site file
    site.write_text(site_text() + "\n[server]\nport = 9191\n")
    assert _default_health_url(site) == "http://127.0.0.1:9191/api/health"
    site.write_text(site_text() + "\n[server]\nport = 'soon'\n")  # a broken file: the default, check-config says why
    assert _default_health_url(site) == "http://127.0.0.1:8080/api/health"
