"""`contactpoint selftest`, `contactpoint health` and the self-test's keys in `GET /api/health`: each check fails
when its part breaks (a full disk by its threshold, a damaged database, a silent or missing voice, the printer
offline, the server not running, the hub down), and selftest against a real `contactpoint serve` process."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contactpoint.provisioning.cli import main

from contactpoint import selftest as st
from contactpoint.config import load_site
from tests.conftest import Clock
from tests.kiosk_support import site_text
from tests.live_server import LiveServer, free_port

OLD_HEALTH_KEYS = {"ok", "seq", "printer", "server", "storage", "csp", "buttons", "report"}


def fake_tool(folder: Path, name: str, body: str) -> None:
    """A stand-in for a system tool on PATH: a Python script (this interpreter) named `name`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    path.chmod(0o755)


def file_printer_site(folder: Path, device: Path) -> Path:
    text = site_text().replace('type = "fake"', f'type = "file"\ndevice = "{device}"', 1)
    assert f'device = "{device}"' in text
    path = folder / "site.toml"
    path.write_text(text)
    return path


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def lines(output: str) -> dict[str, str]:
    """`ok   printer     …` → {"printer": "ok"} (hint lines left out)."""
    out = {}
    for line in output.splitlines():
        if line[:5].strip() in ("ok", "warn", "fail") and len(line) > 5:
            out[line[5:16].strip()] = line[:5].strip()
    return out


# -- the file-level checks ------------------------------------------------------------------------------------
@pytest.fixture
def database(tmp_path: Path, app: Any, client: Any) -> Path:
    """The app's database after a few dozen tickets (a file of several pages)."""
    for i in range(40):
        r = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"},
                        environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})  # kiosks of their own: no rate limit
        assert r.status_code == 201, i
    path = Path(app.extensions["contactpoint"].store.path)
    assert path.exists()
    return path


def copy_of(database: Path, copy: Path) -> Path:
    """A consistent copy (the WAL's pages too), in rollback-journal mode."""
    src, dst = sqlite3.connect(database), sqlite3.connect(copy)
    src.backup(dst)
    dst.execute("PRAGMA journal_mode=DELETE")
    src.close()
    dst.close()
    return copy


def test_a_sound_database_passes_and_a_damaged_copy_fails(tmp_path: Path, database: Path) -> None:
    assert st.wal_size(database).status == "ok"
    assert st.wal_size(database, warn_bytes=1).status == "warn"  # the server's WAL is never empty
    assert st.disk_space(tmp_path, minimum_mb=1).status == "ok"
    full = st.disk_space(tmp_path, minimum_mb=1e12)  # a million terabytes: this disk is "full"
    assert full.status == "fail" and "free" in full.message
    copy = copy_of(database, tmp_path / "copy.sqlite3")
    assert st.database_integrity(copy).status == "ok"
    assert st.schema_version(copy).status == "ok"
    raw = bytearray(copy.read_bytes())
    page = 4096
    assert len(raw) >= 6 * page
    raw[2 * page : 5 * page] = bytes([0xA5]) * (3 * page)  # three pages of garbage in the middle of the file
    copy.write_bytes(bytes(raw))
    check = st.database_integrity(copy)
    assert check.status == "fail" and "restore" in check.hint, check
    assert st.database_integrity(tmp_path / "none.sqlite3").status == "fail"


def test_the_schema_line_fails_on_a_newer_database_and_warns_on_an_older_one(tmp_path: Path, database: Path) -> None:
    from contactpoint.migrations import MIGRATIONS

    copy = copy_of(database, tmp_path / "copy.sqlite3")
    db = sqlite3.connect(copy)
    db.execute("INSERT INTO schema_migrations VALUES (?, datetime('now'))", (len(MIGRATIONS) + 1,))
    db.commit()
    newer = st.schema_version(copy)
    assert newer.status == "fail" and f"{len(MIGRATIONS) + 1}" in newer.message
    db.execute("DELETE FROM schema_migrations WHERE version >= ?", (len(MIGRATIONS),))
    db.commit()
    db.close()
    assert st.schema_version(copy).status == "warn"


def test_the_clock_line_reads_timedatectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(tools))
    assert st.clock().status == "warn"  # no timedatectl at all: unknown
    fake_tool(tools, "timedatectl", "print('NTPSynchronized=no')")
    assert st.clock().status == "fail"
    asked = "assert sys.argv[1:] == ['show', '-p', 'NTPSynchronized']"
    runs = tmp_path / "runs"
    fake_tool(tools, "timedatectl", f"{asked}\nopen({str(runs)!r}, 'a').write('x')\nprint('NTPSynchronized=yes')")
    assert st.clock().status == "ok"
    cached = st.CachedClock(every_s=3600)  # what /api/health asks: polled, it must not run a process each time
    assert [cached().status for _ in range(3)] == ["ok"] * 3
    assert runs.read_text() == "xx"  # st.clock() once, the cached clock once


SILENT_ESPEAK = """
import wave
out = sys.argv[sys.argv.index('-w') + 1]
with wave.open(out, 'wb') as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050); w.writeframes(bytes(2 * 22050))
"""


def test_every_language_is_spoken_and_a_silent_or_missing_voice_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = load_site(None).site
    if shutil.which("espeak-ng"):  # the real voices (CI installs espeak-ng)
        real = st.announcements(site)
        assert [c.name for c in real] == [f"voice {lang}" for lang in st.announcement_languages(site)]
        assert {c.status for c in real} == {"ok"}, [c for c in real if c.status != "ok"]
    tools = tmp_path / "bin"
    fake_tool(tools, "espeak-ng", SILENT_ESPEAK)
    monkeypatch.setenv("PATH", str(tools))
    silent = st.announcements(site)
    assert len(silent) == len(site.languages) and {c.status for c in silent} == {"fail"}
    assert "silent" in silent[0].message
    (tools / "espeak-ng").unlink()
    missing = st.announcements(site)
    assert {c.status for c in missing} == {"fail"} and "audio_unavailable" in missing[0].message


# -- the server's side: POST /api/selftest and /api/health ----------------------------------------------------
def selftest_of(client: Any, **kw: Any) -> dict[str, dict[str, str]]:
    r = client.post("/api/selftest", json={}, **kw)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {c["name"]: c for c in r.get_json()["checks"]}


def test_the_server_prints_a_real_test_ticket_and_refuses_another_address(client: Any, printer: Any) -> None:
    from contactpoint.hardware.printer import decode_escpos

    far = client.post("/api/selftest", json={}, environ_base={"REMOTE_ADDR": "192.168.1.20"},
                      headers={"Accept-Language": "fr"})
    assert far.status_code == 403 and far.get_json()["error"] == "forbidden"
    assert printer.printed == 0  # refused: nothing printed
    checks = selftest_of(client)
    assert checks["printer"]["status"] == "ok"
    assert printer.printed == 1
    ticket = decode_escpos(printer.jobs[-1])
    assert "A000" in ticket.text and ticket.cut


@pytest.mark.parametrize("fault", ["printer_offline", "printer_paper_out", "printer_paper_low"])
def test_a_printer_fault_fails_the_printer_line(tmp_path: Path, clock: Clock, fault: str) -> None:
    from contactpoint.hardware.audio import FakeAnnouncer
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app

    printer = FakePrinter(fail_with=fault)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t"}, printer=printer, clock=clock,
                     announcer=FakeAnnouncer(tmp_path / "audio"))
    box = app.extensions["contactpoint"].start()
    try:
        line = selftest_of(app.test_client())["printer"]
        assert line["status"] == ("warn" if fault == "printer_paper_low" else "fail") and fault in line["message"]
        assert line["hint"]
        health = app.test_client().get("/api/health").get_json()
        assert health["printer"] == fault and health["status"] == line["status"]
    finally:
        box.close()


def test_health_keeps_its_keys_adds_the_cheap_checks_and_fails_on_a_full_disk(
    client: Any, monkeypatch: pytest.MonkeyPatch, app: Any
) -> None:
    from contactpoint.migrations import MIGRATIONS

    health = client.get("/api/health").get_json()
    assert OLD_HEALTH_KEYS <= set(health)
    assert set(health["devices"]) == {"pairing", "paired", "connected", "pending"}  # pairing's own key
    assert health["ok"] is True and health["storage"] == "ok" and health["printer"] == "printer_ok"
    names = [c["name"] for c in health["checks"]]
    assert names == ["version", "wal", "schema", "disk", "clock", "printer", "pages"]
    assert health["schema"] is True and health["wal_bytes"] > 0 and health["disk_free_bytes"] > 0
    assert health["pages"] == {"kiosk": 0, "display": 0, "counter": 0, "feedback": 0, "manage": 0}
    assert health["outbox"] is None and health["hub_unreachable_since"] is None
    assert f"schema version {len(MIGRATIONS)}" in health["checks"][2]["message"]
    monkeypatch.setenv("CONTACTPOINT_MIN_FREE_MB", "1e12")
    full = client.get("/api/health").get_json()
    assert full["status"] == "fail" and {c["name"]: c["status"] for c in full["checks"]}["disk"] == "fail"


def test_the_pages_connected_now_are_counted_per_namespace(app: Any, client: Any) -> None:
    sio = app.extensions["contactpoint"].socketio
    assert selftest_of(client)["pages"]["status"] == "warn"  # no screen at all
    display = sio.test_client(app, namespace="/display")
    kiosk = sio.test_client(app, namespace="/kiosk")
    other = sio.test_client(app, namespace="/kiosk")
    try:
        assert display.is_connected("/display") and kiosk.is_connected("/kiosk")
        assert client.get("/api/health").get_json()["pages"] == {
            "kiosk": 2, "display": 1, "counter": 0, "feedback": 0, "manage": 0}
        line = selftest_of(client)["pages"]
        assert line["status"] == "ok" and "kiosk 2, display 1" in line["message"]
    finally:
        for c, ns in ((display, "/display"), (kiosk, "/kiosk"), (other, "/kiosk")):
            c.disconnect(namespace=ns)
    assert client.get("/api/health").get_json()["pages"]["kiosk"] == 0


def test_the_buttons_line_says_opened_or_held_down_or_unavailable(tmp_path: Path, clock: Clock) -> None:
    from gpiozero.pins.mock import MockFactory

    from contactpoint import create_app

    site = tmp_path / "site.toml"
    site.write_text(site_text() + "\n[buttons]\npins = [5, 6, 13, 19]\n")
    factory = MockFactory()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "a"), "SECRET_KEY": "t", "SITE_CONFIG": str(site),
                      "BUTTONS_PIN_FACTORY": factory}, clock=clock)
    box = app.extensions["contactpoint"].start()
    try:
        client = app.test_client()
        assert selftest_of(client)["buttons"]["status"] == "ok"
        factory.pin(13).drive_low()  # held down (pulled up: pressed is low)
        line = selftest_of(client)["buttons"]
        assert line["status"] == "warn" and "GPIO 13" in line["message"]
        assert {c["name"]: c["status"] for c in client.get("/api/health").get_json()["checks"]}["buttons"] == "warn"
    finally:
        box.close()
    bare = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "b"), "SECRET_KEY": "t", "SITE_CONFIG": str(site)},
                      clock=clock)
    box = bare.extensions["contactpoint"].start()  # no GPIO on this machine
    try:
        line = selftest_of(bare.test_client())["buttons"]
        assert line["status"] == "fail" and "unavailable" in line["message"]
    finally:
        box.close()


def report_app(tmp_path: Path, clock: Clock, hub_url: str) -> Any:
    from contactpoint.hardware.audio import FakeAnnouncer
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app
    from tests.report_support import new_key

    tmp_path.mkdir(parents=True)
    (tmp_path / "report.key").write_text(new_key() + "\n")
    site = tmp_path / "site.toml"
    site.write_text(site_text() + f'\n[report]\nhub_url = "{hub_url}"\nkey_file = "report.key"\n')
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "t",
                       "SITE_CONFIG": str(site)}, printer=FakePrinter(), clock=clock,
                      announcer=FakeAnnouncer(tmp_path / "audio"))


def test_the_hub_line_fails_when_the_hub_is_down(tmp_path: Path, clock: Clock) -> None:
    from tests.report_support import Receiver, new_key

    hub = Receiver(new_key())
    try:
        app = report_app(tmp_path / "up", clock, hub.base)
        box = app.extensions["contactpoint"]  # not started: the reporter's rounds stay out of it
        try:
            checks = selftest_of(app.test_client())
            assert checks["hub"]["status"] == "ok" and checks["outbox"]["status"] == "ok"
            assert app.test_client().get("/api/health").get_json()["outbox"] == 0
        finally:
            box.close()
    finally:
        hub.close()
    app = report_app(tmp_path / "down", clock, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    box = app.extensions["contactpoint"]
    try:
        checks = selftest_of(app.test_client())
        assert checks["hub"]["status"] == "fail" and "does not answer" in checks["hub"]["message"]
    finally:
        box.close()


# -- the commands against a real server -----------------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, Path, Path]]:
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    config = file_printer_site(tmp_path, device)
    server = LiveServer(tmp_path / "data", config=str(config))
    server.data_dir.mkdir()
    server.start()
    yield server, config, device
    server.stop()


def test_selftest_against_a_real_server_then_with_the_printer_unplugged_then_with_no_server(
    served: tuple[LiveServer, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contactpoint.hardware.printer import decode_escpos

    server, config, device = served
    fake_tool(tmp_path / "bin", "timedatectl", "print('NTPSynchronized=yes')")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{Path(sys.executable).parent}:/usr/bin:/bin")
    args = ["selftest", "--url", server.url, "--config", str(config), "--data", str(server.data_dir)]
    r = run(*args)
    seen = lines(r.output)
    assert r.exit_code == 0, r.output
    for name in ("server", "printer", "database", "wal", "schema", "disk", "clock", "version"):
        assert seen[name] == "ok", (name, r.output)
    assert seen["pages"] == "warn"  # no screen connected to this server
    assert r.output.splitlines()[-1].startswith("warn: ")
    ticket = decode_escpos(device.read_bytes())  # the real driver's bytes, written by the server's worker
    assert "A000" in ticket.text and ticket.cut

    health = run("health", "--url", server.url)
    assert health.exit_code == 0 and OLD_HEALTH_KEYS <= set(json.loads(health.output))
    # with no --url (and no PORT), the server is found on the site file's [server] port, as installed
    monkeypatch.delenv("PORT", raising=False)
    on_port = tmp_path / "on-port.toml"
    on_port.write_text(config.read_text() + f"\n[server]\nport = {server.port}\n")
    health = run("health", "--config", str(on_port))
    assert health.exit_code == 0 and OLD_HEALTH_KEYS <= set(json.loads(health.output)), health.output

    device.unlink()  # the printer unplugged: the file driver finds no device
    r = run(*args, "--json")
    assert r.exit_code == 1
    report = json.loads(r.output)
    printer = next(c for c in report["checks"] if c["name"] == "printer")
    assert report["status"] == "fail" and printer["status"] == "fail" and "printer_offline" in printer["message"]

    device.write_bytes(b"")
    server.stop()
    r = run(*args)
    seen = lines(r.output)
    assert r.exit_code == 1 and seen["server"] == "fail" and "not running" in r.output
    assert seen["printer"] == "ok" and "directly" in r.output  # nothing holds the printer: tried alone
    assert "A000" in decode_escpos(device.read_bytes()).text
    assert seen["database"] == "ok" and seen["schema"] == "ok"

    full = run(*args, "--min-free-mb", "1e12")  # the disk "full" by its threshold
    assert full.exit_code == 1 and lines(full.output)["disk"] == "fail" and "-> free space" in full.output

    down = run("health", "--url", server.url, "--data", str(server.data_dir))
    assert down.exit_code == 1
    checks = {c["name"]: c["status"] for c in json.loads(down.output)["checks"]}
    assert checks["server"] == "fail" and checks["schema"] == "ok"
