"""`contactpoint day close`, `contactpoint figures` and `contactpoint config export`: the site's day, its figures
and its settings, from the box's database (docs/cli.md)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from contactpoint.config import ConfigError, load_site


@click.group()
def day() -> None:
    """The site's day."""


@day.command("close")
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="The site's TOML file (default: demo).")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for a running server.")
def day_close(config: str | None, data: str, timeout: float) -> None:
    """Close today now: visitors still waiting are counted as abandoned, the day's personal data are erased and no
    more tickets are issued today. Beside a running server it asks the server (answered within 15 s); else it
    closes the day itself."""
    from contactpoint import dayclose
    from contactpoint.engine import Engine
    from contactpoint.store import EventStore, SchemaError, StoreBusy

    path = Path(data) / "contactpoint.sqlite3"
    if not path.exists():
        raise click.ClickException(f"no database in {data!r} (use --data)")
    try:
        store = EventStore(path, exclusive=True)
    except StoreBusy:
        click.echo("the server is running: asking it to close the day")
        done = dayclose.request_close(path, None, timeout_s=timeout)
        if done is None:
            raise click.ClickException(f"the server did not answer within {timeout:g} s; nothing was closed") from None
    except SchemaError as e:
        raise click.ClickException(str(e)) from None
    else:
        try:
            done = dayclose.close_now(Engine(load_site(config).site, store), "cli")
        except ConfigError as e:
            raise click.ClickException(str(e)) from None
        finally:
            store.close()
    if done.day is None:
        click.echo("the day was already closed: nothing changed")
    else:
        click.echo(f"day {done.day} closed: {done.abandoned} still waiting counted as abandoned; personal data erased")


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from datetime import date

    try:
        return None if value is None else date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)") from None


@click.command("figures")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The site's TOML file (its time zone, service levels and organisations; default: demo).")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
@click.option("--from", "day_from", callback=_day, help="First day (YYYY-MM-DD; default: --to).")
@click.option("--to", "day_to", callback=_day, help="Last day (YYYY-MM-DD; default: today).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--by", type=click.Choice(["need", "hour"]), default="need", show_default=True)
def figures(config: str | None, data: str, day_from: str | None, day_to: str | None, fmt: str, by: str) -> None:
    """Print the site's figures: one row per day and need plus an `all` row per day (docs/figures.md), read
    from the box's database without writing to it (beside the running service too)."""
    import csv
    import json
    import sqlite3

    from contactpoint import tally_store
    from contactpoint.domain.tally import CSV_COLUMNS, FigureSettings, row_csv, row_dict

    try:
        site = load_site(config).site
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    now = time.time()
    day_to = day_to or site.day_of(now)
    day_from = day_from or day_to
    if day_from > day_to:
        raise click.BadParameter(f"--from {day_from} is after --to {day_to}", param_hint="--from")
    path = Path(data) / "contactpoint.sqlite3"
    if not path.exists():
        raise click.ClickException(f"no database in {data!r} (use --data)")
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = tally_store.table(db, FigureSettings.of(site), day_from, day_to, by, now)  # type: ignore[arg-type]
    except sqlite3.DatabaseError as e:
        raise click.ClickException(f"cannot read {path}: {e}") from None
    finally:
        db.close()
    if fmt == "json":
        click.echo(json.dumps([row_dict(r) for r in rows], ensure_ascii=False, indent=1))
        return
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    out.writerows(row_csv(r) for r in rows)


@click.group()
def config() -> None:
    """The site's settings: the site file with the changes made in the browser."""


@config.command("export")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="The site's TOML file (default: demo).")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
@click.option("--out", "out", type=click.Path(dir_okay=False), default="-", show_default=True,
              help="Where to write the TOML (-: standard output).")
def config_export(config_path: str | None, data: str, out: str) -> None:
    """Write the current settings as a site file: the TOML with every change made on /manage/settings/ over it
    (what `check-config` accepts and `serve --config` serves). Reads the log only: the server may be running."""
    from contactpoint import site_settings as ss
    from contactpoint.store import EventStore

    db = Path(data) / "contactpoint.sqlite3"
    try:
        raw, path = ss.read_site_data(config_path)
        changes: list[Any] = []
        if db.exists():
            store = EventStore(db)
            try:
                changes = ss.logged_changes(store)
            finally:
                store.close()
        cfg, kept, skipped = ss.build(raw, changes, path)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    for change in skipped:
        click.echo(f"left out (the site file no longer accepts it): {change[0]}.{change[1]}", err=True)
    text = ss.export_text(ss.core.fold(raw, kept), cfg.site.id)
    if out == "-":
        click.echo(text, nl=False)
    else:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"{out}: {len(kept)} change(s) from the browser over {path}", err=True)
