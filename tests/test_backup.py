"""`contactpoint backup`, `restore`, `db info` and `db export` (contactpoint/backup.py, provisioning/backup_cli.py,
provisioning/db_cli.py): a backup taken under load holds every acknowledged ticket, rotation, the restore's
refusals, db info against sqlite3's own figures, and an export without the day's personal data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contactpoint.provisioning.cli import main

from contactpoint import backup as b
from contactpoint import dayclose
from contactpoint.domain.site import Site
from contactpoint.migrations import MIGRATIONS
from contactpoint.store import EventStore, connect
from tests.live_server import LiveServer
from tests.test_erasure import NAME, NOTE, PAUSE, REASON, _day, _found

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _a_database(data: Path) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    store = EventStore(data / b.DB_NAME)
    store.add_agent("ana", "x", "agent", 0.0)
    store.close()
    return data / b.DB_NAME


class Kiosks:
    """Several kiosks taking tickets at once, each POST in its own thread, until stopped. `acked` lists the tickets
    whose POST got its 201, in the order the answers came back."""

    def __init__(self, url: str, n: int = 4) -> None:
        self.url = url
        self.acked: list[str] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]

    def _run(self, i: int) -> None:
        body = json.dumps({"need": ["moving", "documents"][i % 2], "lang": "fr"}).encode()
        while not self.stop.is_set():
            req = urllib.request.Request(self.url + "/kiosk/api/tickets", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    ticket = json.loads(r.read())
                    if r.status == 201:
                        with self.lock:
                            self.acked.append(ticket["ticket"]["id"])
            except Exception as e:  # after the stop: the server killed under us, those were never acked
                if not self.stop.is_set():
                    with self.lock:
                        self.errors.append(repr(e))
                return

    def acknowledged(self) -> list[str]:
        with self.lock:
            return list(self.acked)

    def wait_for(self, n: int) -> None:
        while len(self.acknowledged()) < n:
            assert not self.errors, self.errors
            assert any(t.is_alive() for t in self.threads)
            self.stop.wait(0.05)


def test_a_backup_under_load_restores_every_acknowledged_ticket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTACTPOINT_RATELIMIT", "0")  # four kiosks on one address, as fast as they can
    data = tmp_path / "data"
    data.mkdir()
    server = LiveServer(data)
    server.start()
    kiosks = Kiosks(server.url)
    try:
        for t in kiosks.threads:
            t.start()
        kiosks.wait_for(150)
        before = kiosks.acknowledged()  # every one of these had its 201 before the backup started
        result = subprocess.run(  # the nightly timer's command, a process of its own beside the server
            [sys.executable, "-m", "contactpoint.provisioning.cli", "backup", "--data", str(data)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        kiosks.wait_for(len(before) + 20)  # the server went on taking tickets
        (file,) = b.backups_in(data / "backups")
        assert f"backup: {file} (" in result.stdout and "integrity ok" in result.stdout
        refused = cli("restore", str(file), "--data", str(data))  # the server holds the database
        assert refused.exit_code == 1
        assert f"pid {server.proc.pid if server.proc else '?'}" in refused.output
        assert "sudo systemctl stop contactpoint" in refused.output
    finally:
        if server.proc:
            server.proc.send_signal(signal.SIGKILL)  # a crash, not a clean stop
            server.proc.wait(10)
        kiosks.stop.set()
        for t in kiosks.threads:
            t.join(15)
    assert len(kiosks.acknowledged()) > len(before)
    assert len(list(data.glob("contactpoint.sqlite3.before-restore-*"))) == 0  # the refusal changed nothing

    restored = tmp_path / "restored"
    restored.mkdir()
    done = cli("restore", str(file), "--data", str(restored))
    assert done.exit_code == 0, done.output
    assert "integrity ok" in done.output and "start the service again" in done.output
    store = EventStore(restored / b.DB_NAME, exclusive=True)  # what the next start opens
    found = {row[0] for row in store.db.execute("SELECT id FROM tickets")}
    issued = {json.loads(d)["id"] for (d,) in store.db.execute("SELECT data FROM events WHERE type='ticket_issued'")}
    store.close()
    assert set(before) <= found and set(before) <= issued
    assert found == issued  # the projection and the log of one consistent moment


def test_rotation_keeps_the_newest_backups_with_mode_0600(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _a_database(data)
    start = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    for i in range(5):
        b.take(data, keep=3, now=start + timedelta(days=i))
    kept = b.backups_in(data / "backups")
    assert [p.name for p in kept] == [
        f"contactpoint-2026120{d}T023000.000Z-schema{len(MIGRATIONS)}.sqlite3" for d in (3, 4, 5)
    ]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in kept)
    assert not list((data / "backups").glob("*.tmp"))
    out = cli("backup", "--data", str(data), "--keep", "2", "--to", str(tmp_path / "elsewhere"))
    assert out.exit_code == 0, out.output
    assert len(b.backups_in(tmp_path / "elsewhere")) == 1 and len(b.backups_in(data / "backups")) == 3
    out = cli("backup", "--data", str(data), "--keep", "2")
    assert out.exit_code == 0 and out.output.count("removed the older backup") == 2
    assert [p.name for p in b.backups_in(data / "backups")][0].startswith("contactpoint-20261205T")
    # each backup is one self-contained file (no WAL beside it) that opens as the box's database
    db = sqlite3.connect(kept[-1])
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert db.execute("SELECT name FROM agents").fetchall() == [("ana",)]
    db.close()


def test_a_missing_database_or_a_full_disk_fail_clearly_and_leave_nothing(tmp_path: Path) -> None:
    out = cli("backup", "--data", str(tmp_path / "nowhere"))
    assert out.exit_code == 1 and f"no database at {tmp_path / 'nowhere' / b.DB_NAME}" in out.output
    data = tmp_path / "data"
    _a_database(data)
    with pytest.raises(b.BackupError, match="the disk is full"):
        b.take(data, max_pages=8)  # the copy cannot grow past 8 pages: SQLITE_FULL, as on a full SD card
    assert list((data / "backups").iterdir()) == [data / "backups" / ".backup.lock"]
    db_file = data / b.DB_NAME
    raw = bytearray(db_file.read_bytes())
    raw[4096 * 2 : 4096 * 2 + 200] = b"\xff" * 200  # the database itself damaged: its copy fails the check
    db_file.write_bytes(bytes(raw))
    out = cli("backup", "--data", str(data))
    assert out.exit_code == 1 and f"the copy of {db_file} fails its integrity check" in out.output
    assert "the database itself may be damaged" in out.output
    assert list((data / "backups").iterdir()) == [data / "backups" / ".backup.lock"]


def test_restore_refuses_a_newer_schema_and_a_corrupt_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db_file = _a_database(data)
    original = db_file.read_bytes()
    file = b.take(data).path
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(file, newer)
    db = sqlite3.connect(newer)
    db.execute("INSERT INTO schema_migrations VALUES (?, datetime('now'))", (len(MIGRATIONS) + 1,))
    db.commit()
    db.close()
    out = cli("restore", str(newer), "--data", str(data))
    assert out.exit_code == 1
    assert f"schema version {len(MIGRATIONS) + 1}, newer than this contactpoint's {len(MIGRATIONS)}" in out.output

    corrupt = tmp_path / "corrupt.sqlite3"
    raw = bytearray(file.read_bytes())
    raw[4096 * 2 : 4096 * 2 + 200] = b"\xff" * 200  # a damaged b-tree page (the header still says SQLite)
    corrupt.write_bytes(bytes(raw))
    out = cli("restore", str(corrupt), "--data", str(data))
    assert out.exit_code == 1 and "fails its integrity check" in out.output
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello " * 2000)
    out = cli("restore", str(not_a_db), "--data", str(data))
    assert out.exit_code == 1 and "fails its integrity check" in out.output
    out = cli("restore", str(tmp_path / "missing.sqlite3"), "--data", str(data))
    assert out.exit_code == 1 and "no such file" in out.output
    assert db_file.read_bytes() == original and not list(data.glob("*before-restore*"))


def test_restore_keeps_the_replaced_database_and_an_older_schema_migrates_at_the_next_start(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"  # a backup from a release that had one migration less
    db = connect(old)
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for version, step in enumerate(MIGRATIONS[:-1], start=1):
        step(db)
        db.execute("INSERT INTO schema_migrations VALUES (?, datetime('now'))", (version,))
    db.execute("INSERT INTO agents (name, password_hash, role, created_at) VALUES ('old', 'x', 'agent', 0)")
    db.close()
    data = tmp_path / "data"
    _a_database(data)
    out = cli("restore", str(old), "--data", str(data))
    assert out.exit_code == 0, out.output
    older = len(MIGRATIONS) - 1
    assert f"its schema version {older} is older than this release's {len(MIGRATIONS)}" in out.output
    assert "the server migrates it when it next starts" in out.output
    (kept,) = data.glob("contactpoint.sqlite3.before-restore-*")
    assert f"kept as {kept}" in out.output
    assert sqlite3.connect(kept).execute("SELECT name FROM agents").fetchall() == [("ana",)]
    assert not (data / "contactpoint.sqlite3-wal").exists()  # the replaced one's WAL is never replayed
    store = EventStore(data / b.DB_NAME, exclusive=True)
    assert store.agents() == [("old", "agent", True)]
    assert store.db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    store.close()


def _sqlite3_cli(path: Path, sql: str) -> str:
    return subprocess.run(["sqlite3", "-readonly", str(path), sql], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_db_info_figures_match_sqlite3s_own(tmp_path: Path, site: Site) -> None:
    store, engine, _ = _day(tmp_path, site)  # a day with events, tickets, appointments, counters
    path = Path(store.path)
    out = cli("db", "info", "--data", str(tmp_path), "--json")  # beside the open store, its WAL not checkpointed
    assert out.exit_code == 0, out.output
    info = json.loads(out.output)
    assert info["schema"] == int(_sqlite3_cli(path, "SELECT max(version) FROM schema_migrations"))
    assert info["page_size"] == int(_sqlite3_cli(path, "PRAGMA page_size"))
    assert info["pages"] == int(_sqlite3_cli(path, "PRAGMA page_count"))
    assert info["wal_bytes"] == os.path.getsize(f"{path}-wal") > 0
    assert info["file_bytes"] == path.stat().st_size
    names = _sqlite3_cli(path, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    assert sorted(info["tables"]) == sorted(names.split())
    for table, v in info["tables"].items():
        assert v["rows"] == int(_sqlite3_cli(path, f'SELECT count(*) FROM "{table}"')), table
        size = _sqlite3_cli(path, "SELECT sum(pgsize) FROM dbstat WHERE name IN"
                            f" (SELECT name FROM sqlite_master WHERE tbl_name = '{table}')")
        assert v["bytes"] == int(size), table
    assert info["tables"]["events"]["rows"] > 5 and info["personal_data"]["tickets"] == 2
    text = cli("db", "info", "--data", str(tmp_path))
    assert f"schema:    {len(MIGRATIONS)} (this release: {len(MIGRATIONS)})" in text.output
    assert "2 tickets' tracking tokens" in text.output
    store.close()


def test_the_export_leaves_the_days_personal_data_out(tmp_path: Path, site: Site) -> None:
    store, engine, token = _day(tmp_path, site)  # the day is still open: all of it is in the database
    path = Path(store.path)
    secrets = [NAME, NOTE, REASON, PAUSE, token, "tokenAppointment123456", "ZZZZ"]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _found(path, secrets) == secrets
    for fmt in ("csv", "json"):
        out = cli("db", "export", "--data", str(tmp_path), "--to", str(tmp_path / fmt), "--format", fmt)
        assert out.exit_code == 0, out.output
        files = sorted(p.name for p in (tmp_path / fmt).iterdir())
        assert files == [f"events.{fmt}", f"figures.{fmt}"]
        blob = "".join(p.read_text() for p in (tmp_path / fmt).iterdir())
        assert [s for s in secrets if s in blob or json.dumps(s)[1:-1] in blob] == []
        assert '"ana"' not in blob and '"bob"' not in blob and "ana" not in blob.replace("banana", "")
    events = json.loads((tmp_path / "json" / "events.json").read_text())
    assert len(events) == store.db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert {e["type"] for e in events} >= {"appointment_booked", "ticket_issued", "ticket_transferred"}
    transfer = next(e for e in events if e["type"] == "ticket_transferred")
    assert transfer["data"]["need"] == "moving" and "note" not in transfer["data"]
    figures = json.loads((tmp_path / "json" / "figures.json").read_text())
    assert any(r["day"] == "2026-11-25" and r["need"] == "all" and r["issued"] == 2 for r in figures)
    header = (tmp_path / "csv" / "figures.csv").read_text().splitlines()[0]
    assert header.startswith("day,need,hour,issued,")
    store.close()


def test_a_backup_taken_after_the_day_close_holds_none_of_its_personal_data(tmp_path: Path, site: Site) -> None:
    """The nightly backup runs after the day close: it holds nothing the erasure purged. A backup taken while the
    day was open holds that day's until it rotates out, and says so."""
    store, engine, token = _day(tmp_path, site)
    secrets = [NAME, NOTE, REASON, PAUSE, token, "tokenAppointment123456"]
    during = cli("backup", "--data", str(tmp_path))
    assert during.exit_code == 0 and "personal data: 2 tickets' tracking tokens" in during.output
    (open_day,) = b.backups_in(tmp_path / "backups")
    assert _found(open_day, secrets) == secrets
    dayclose.close_now(engine, "manager", "mia")
    after = cli("backup", "--data", str(tmp_path), "--keep", "1")  # beside the open store, as the timer runs
    assert after.exit_code == 0, after.output
    assert "personal data: none" in after.output and f"removed the older backup {open_day.name}" in after.output
    (closed_day,) = b.backups_in(tmp_path / "backups")
    assert _found(closed_day, secrets) == [] and not open_day.exists()
    store.close()


def test_the_server_never_imports_sqlite_utils() -> None:
    code = ("import sys; import contactpoint.app, contactpoint.provisioning.cli, contactpoint.backup;"
            " from contactpoint import create_app; create_app({'DATA_DIR': sys.argv[1], 'DEMO': True});"
            " print('sqlite_utils' in sys.modules)")
    import tempfile

    with tempfile.TemporaryDirectory() as data:
        out = subprocess.run([sys.executable, "-c", code, data], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    out = subprocess.run([sys.executable, "-c", "import contactpoint.provisioning.db_cli as d, sys;"
                          " print('sqlite_utils' in sys.modules)"], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_a_restored_backup_of_an_open_day_is_erased_when_the_box_next_ticks(tmp_path: Path, site: Site) -> None:
    """A backup taken at noon brings that day's personal data back; the restored box closes the day (its date
    turned) at its first tick, and the erasure runs on the restored database as it did on the first one."""
    from contactpoint.engine import Engine
    from tests.conftest import BRUSSELS, Clock

    (tmp_path / "box").mkdir()
    store, engine, token = _day(tmp_path / "box", site)
    secrets = [NAME, NOTE, REASON, PAUSE, token]
    file = b.take(tmp_path / "box").path
    store.close()
    restored = tmp_path / "restored"
    restored.mkdir()
    b.restore(file, restored)
    assert _found(restored / b.DB_NAME, secrets) == secrets
    again = EventStore(restored / b.DB_NAME, exclusive=True)
    clock = Clock(datetime(2026, 11, 26, 9, 0, tzinfo=BRUSSELS))  # the next morning
    dayclose.tick(Engine(site, again, clock))
    again.close()
    assert _found(restored / b.DB_NAME, secrets) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the technician's sudo: only root can give files away")
def test_run_as_root_the_files_stay_the_services_users(tmp_path: Path) -> None:
    """`sudo contactpoint backup` or `restore` on a box: what they make belongs to the data folder's owner (the
    service's user), or the nightly timer could not write the backups' folder and the server not open its lock."""
    data = tmp_path / "data"
    _a_database(data)
    service = 65534  # nobody: a user that is not root
    for p in (data, *data.iterdir()):
        os.chown(p, service, service)
    file = b.take(data).path
    made = [data / "backups", data / "backups" / ".backup.lock", file]
    assert [p.stat().st_uid for p in made] == [service] * 3
    (data / "contactpoint.sqlite3.lock").unlink(missing_ok=True)
    b.restore(file, data)
    assert (data / b.DB_NAME).stat().st_uid == service
    assert (data / "contactpoint.sqlite3.lock").stat().st_uid == service
    assert [p.stat().st_uid for p in data.glob("*.before-restore-*")] == [service]


def test_the_copy_is_one_snapshot_that_writes_between_its_steps_never_restart(tmp_path: Path) -> None:
    """The server writes between the copy's steps (another connection): the copy goes on from its snapshot, step
    after step, instead of starting over at each write (SQLite restarts a backup whose source changed under it,
    which a busy server would do for ever), and it holds the database as it was when it began."""
    data = tmp_path / "data"
    _a_database(data)
    server = connect(data / b.DB_NAME)
    pad = json.dumps({"pad": "x" * 3000})
    server.execute("BEGIN IMMEDIATE")
    server.executemany("INSERT INTO events (at, type, data) VALUES (?, 'padding', ?)", [(i, pad) for i in range(800)])
    server.execute("COMMIT")
    pages = server.execute("PRAGMA page_count").fetchone()[0]
    steps: list[int] = []

    def between_steps(status: int, remaining: int, total: int) -> None:
        steps.append(remaining)
        if len(steps) < 50:  # the server takes a ticket meanwhile
            server.execute("INSERT INTO events (at, type, data) VALUES (1e9, 'padding', '{}')")

    b.copy_database(data / b.DB_NAME, tmp_path / "copy.sqlite3", progress=between_steps)
    assert len(steps) == -(-pages // b.STEP_PAGES) > 3  # each step went on from the last: no restart
    assert steps == sorted(steps, reverse=True) and steps[-1] == 0
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("SELECT count(*) FROM events").fetchone()[0] == 800  # the moment it began
    copy.close()
    server.close()
