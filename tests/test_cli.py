"""The technician's `contactpoint` command: what it refuses, and how it says so."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from provisioning.cli import main

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
