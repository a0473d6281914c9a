"""`contactpoint db info` and `contactpoint db export`: look into the box's database, read-only, beside the running
server (docs/technician.md "Look into the database"). Built on sqlite-utils, imported inside the commands only:
the server never loads it."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import click

from contactpoint import erasure
from contactpoint.config import ConfigError, load_site

#: the fields of an event's data left out of an export: erasure.py's personal fields (names, tracking tokens,
#: notes, typed reasons), an appointment's booking code (the visitor's own reference), and the agents' and
#: managers' names (who did what is the site's own record, not a support request's)
LEFT_OUT = frozenset(erasure.ERASABLE.values()) | {"code", "agent", "to_agent", "by", "pause_reason", "names"}

_DATA = click.option(
    "--data",
    default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"),
    show_default="data",
    help="The box's data folder (/var/lib/contactpoint on a box).",
)


def _open(data: str) -> sqlite3.Connection:
    from contactpoint import backup as b

    path = Path(data) / b.DB_NAME
    if not path.is_file():
        raise click.ClickException(f"no database at {path} (use --data)")
    try:
        db = b.open_readonly(path)
        b.schema_of(db)
    except (sqlite3.Error, b.BackupError) as e:
        raise click.ClickException(f"cannot read {path}: {e}") from None
    return db


def info_of(db: sqlite3.Connection, path: Path) -> dict[str, Any]:
    """The figures `db info` prints: schema, sizes, each table's rows and bytes (its b-tree and its indexes')."""
    import sqlite_utils

    from contactpoint import backup as b
    from contactpoint.migrations import MIGRATIONS

    sdb = sqlite_utils.Database(db)
    sizes: dict[str, int] = {}
    for tbl, nbytes in sdb.execute(
        "SELECT m.tbl_name, sum(s.pgsize) FROM dbstat s JOIN sqlite_master m ON m.name = s.name GROUP BY m.tbl_name"
    ).fetchall():
        sizes[tbl] = int(nbytes)
    wal = Path(str(path) + "-wal")
    return {
        "path": str(path),
        "schema": b.schema_of(db),
        "release_schema": len(MIGRATIONS),
        "file_bytes": path.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "page_size": int(sdb.execute("PRAGMA page_size").fetchone()[0]),
        "pages": int(sdb.execute("PRAGMA page_count").fetchone()[0]),
        "free_pages": int(sdb.execute("PRAGMA freelist_count").fetchone()[0]),
        "journal_mode": str(sdb.execute("PRAGMA journal_mode").fetchone()[0]),
        "tables": {t: {"rows": sdb[t].count, "bytes": sizes.get(t, 0)}
                   for t in sdb.table_names() if not t.startswith("sqlite_")},
        "personal_data": b.personal_data(db),
    }


@click.group("db")
def db() -> None:
    """The box's database: what is in it, and an export without personal data for a support request."""


@db.command("info")
@_DATA
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
def db_info(data: str, as_json: bool) -> None:
    """Schema version, file, WAL and page sizes, each table's rows and size (read-only: beside the server too)."""
    from contactpoint.provisioning.backup_cli import personal_line

    from contactpoint import backup as b

    path = Path(data) / b.DB_NAME
    conn = _open(data)
    try:
        info = info_of(conn, path)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(info, indent=1))
        return
    click.echo(f"database:  {info['path']}")
    click.echo(f"schema:    {info['schema']} (this release: {info['release_schema']})")
    click.echo(f"file:      {info['file_bytes']} bytes, {info['pages']} pages of {info['page_size']} bytes,"
               f" {info['free_pages']} free")
    click.echo(f"wal:       {info['wal_bytes']} bytes (journal mode {info['journal_mode']})")
    width = max(len(t) for t in info["tables"])
    for t, v in info["tables"].items():
        click.echo(f"  {t:{width}}  {v['rows']:>9} rows  {v['bytes']:>11} bytes")
    click.echo(personal_line(info["personal_data"]))


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in LEFT_OUT}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def export_rows(db: sqlite3.Connection, site: Any, now: float) -> tuple[list[dict[str, Any]], list[Any]]:
    """The events with their personal fields left out, and the day figures (docs/figures.md) of every day."""
    import sqlite_utils

    from contactpoint import tally_store
    from contactpoint.domain.tally import FigureSettings

    sdb = sqlite_utils.Database(db)
    events = [
        {"seq": r["seq"], "at": r["at"], "type": r["type"], "data": _scrub(json.loads(r["data"]))}
        for r in sdb.query("SELECT seq, at, type, data FROM events ORDER BY seq")
    ]
    first = next(sdb.query("SELECT min(at) AS at FROM events"))["at"]
    if first is None:
        return events, []
    day_from, day_to = site.day_of(float(first)), site.day_of(now)
    rows = tally_store.table(db, FigureSettings.of(site), min(day_from, day_to), day_to, "need", now)
    return events, rows


@db.command("export")
@_DATA
@click.option("--to", "to", required=True, type=click.Path(file_okay=False), help="The folder to write into.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The site's TOML file (its time zone for the day figures; default: demo).")
def db_export(data: str, to: str, fmt: str, config: str | None) -> None:
    """Write the events and the day figures as CSV or JSON for a support request, personal data left out."""
    import csv

    from contactpoint.domain.tally import CSV_COLUMNS, row_csv, row_dict  # the figures' own CSV (figures.md)

    try:
        site = load_site(config).site
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    conn = _open(data)
    try:
        events, figures = export_rows(conn, site, time.time())
    finally:
        conn.close()
    out = Path(to)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise click.ClickException(f"cannot write into {out}: {e.strerror}") from None
    if fmt == "json":
        (out / "events.json").write_text(json.dumps(events, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        rows = [row_dict(r) for r in figures]
        (out / "figures.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    else:
        with open(out / "events.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["seq", "at", "type", "data"])
            w.writerows([e["seq"], e["at"], e["type"], json.dumps(e["data"], ensure_ascii=False, sort_keys=True)]
                        for e in events)
        with open(out / "figures.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(CSV_COLUMNS)
            w.writerows(row_csv(r) for r in figures)
    click.echo(f"wrote {len(events)} events and {len(figures)} figure rows to {out} ({fmt}); left out of every"
               f" event: {', '.join(sorted(LEFT_OUT))}")
