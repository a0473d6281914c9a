"""`contactpoint report …`: the upstream reporter's outbox, read from the box's database (docs/reporting.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click


def _store(data: str) -> Any:
    from contactpoint.store import EventStore

    path = Path(data) / "contactpoint.sqlite3"
    if not path.exists():
        raise click.ClickException(f"no database in {data!r} (use --data)")
    return EventStore(path)


@click.group()
def report() -> None:
    """The upstream reporter: what the regional hub has and has not received yet."""


@report.command("status")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
def report_status(data: str, as_json: bool) -> None:
    """Pending windows, the oldest of them, the last success and the last error (read from the box's database;
    works while the server runs)."""
    import json
    from datetime import datetime

    from contactpoint.report.service import status_of

    store = _store(data)
    try:
        st = status_of(store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(st))
        return

    def when(t: float | None) -> str:
        return "never" if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")

    click.echo(f"pending windows: {st['pending']} (oldest {st['oldest_pending'] or '-'}), {st['windows']} kept")
    click.echo(f"last success:    {when(st['last_success_at'])}")
    error = st["last_error"]
    click.echo(f"last error:      {error} at {when(st['last_error_at'])}" if error else "last error:      -")
    if st["failing_since"] is not None:
        click.echo(f"failing since:   {when(st['failing_since'])}")
    if st["dropped"]:
        click.echo(f"dropped:         {st['dropped']} windows left the outbox before the hub had them")
