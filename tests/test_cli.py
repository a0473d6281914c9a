"""The technician's `contactpoint` command: what it refuses, and how it says so."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from contactpoint.provisioning.cli import main

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
CSV = f"date,time,need,code\n{TOMORROW},10:00,housing,K7P3QX\n"


def test_an_import_next_to_a_running_server_is_refused_and_books_nothing(app: Any, tmp_path: Path) -> None:
    """The server is the box's one writer: an import beside it would append events the server never sees
    (its seq would jump, the kiosk would not find the appointment)."""
    booking = tmp_path / "bookings.csv"
    booking.write_text(CSV)
    seq = app.extensions["contactpoint"].store.db.execute("SELECT count(*) FROM events").fetchone()[0]
    result = CliRunner().invoke(main, ["appointments", "import", str(booking), "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert f"another contactpoint process (pid {os.getpid()})" in result.output
    assert "systemctl stop contactpoint" in result.output
    assert app.extensions["contactpoint"].store.db.execute("SELECT count(*) FROM events").fetchone()[0] == seq


def test_an_import_with_the_service_stopped_books(tmp_path: Path) -> None:
    booking = tmp_path / "bookings.csv"
    booking.write_text(CSV)
    result = CliRunner().invoke(main, ["appointments", "import", str(booking), "--data", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert "1 booked" in result.output


def test_help_shows_the_real_default_port() -> None:
    result = CliRunner().invoke(main, ["demo", "--help"])
    assert "[default: (8080)]" in result.output and "dynamic" not in result.output


def test_the_demo_prints_an_agent_login_and_a_manager_login_new_at_every_run(tmp_path: Path) -> None:
    """README: the demo's two logins, one an agent (works at a counter), one a manager (can also create accounts),
    each with a random password for this run only."""
    import sqlite3

    from werkzeug.security import check_password_hash

    from tests.live_server import LiveServer

    live = LiveServer(tmp_path / "data")
    live.data_dir.mkdir()
    seen = []
    try:
        for _ in range(2):
            live.start()
            seen.append((live.agent_password, live.password))
            live.stop()
    finally:
        live.stop()
    out = live.log.read_text()
    assert out.count("agent login for this run only: name 'agent', password '") == 2
    assert out.count("manager login for this run only: name 'demo', password '") == 2
    (agent_1, manager_1), (agent_2, manager_2) = seen
    assert len({agent_1, manager_1, agent_2, manager_2}) == 4 and all(len(p) >= 10 for p in (agent_1, manager_1))
    db = sqlite3.connect(live.data_dir / "contactpoint.sqlite3")
    try:
        rows = {name: (role, pw) for name, role, pw in db.execute("SELECT name, role, password_hash FROM agents")}
    finally:
        db.close()
    assert rows["agent"][0] == "agent" and check_password_hash(rows["agent"][1], agent_2)
    assert rows["demo"][0] == "manager" and check_password_hash(rows["demo"][1], manager_2)
    assert not check_password_hash(rows["demo"][1], manager_1)  # the first run's password is gone
