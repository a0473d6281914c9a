"""`contactpoint update PACKAGE`, `contactpoint rollback` and `contactpoint db migrate` (contactpoint/update.py)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import click

from contactpoint.update_parts import DEFAULT_DATA, DEFAULT_HEALTH_URL, DEFAULT_PREFIX, DEFAULT_SERVICE_CMD

INSTALLED_SITE = Path("/etc/contactpoint/site.toml")


def _default_health_url(site: Path | None = None) -> str:
    """The installed box's /api/health: on its site file's [server] port (what its unit serves on), else 8080."""
    site = site or INSTALLED_SITE
    if not site.is_file():
        return DEFAULT_HEALTH_URL
    from contactpoint.config import ConfigError, load_site

    try:
        port = load_site(site).box.port
    except ConfigError:
        return DEFAULT_HEALTH_URL
    return f"http://127.0.0.1:{port}/api/health"


def _installed(f: Any) -> Any:
    """The options every command on the installed layout takes (defaults: the box's own paths)."""
    options = [
        click.option("--prefix", default=DEFAULT_PREFIX, show_default=True, type=click.Path(file_okay=False),
                     help="The install folder: releases/, the current and previous links, updates.log."),
        click.option("--data", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False),
                     help="The box's state folder (the database)."),
        click.option("--service-cmd", envvar="CONTACTPOINT_SERVICE_CMD", default=DEFAULT_SERVICE_CMD,
                     show_default=True, help="How to stop and start the server; {action} becomes stop or start."),
        click.option("--health-url", default=_default_health_url,
                     show_default=f"{DEFAULT_HEALTH_URL}, on the installed site file's [server] port",
                     help="The server's health, polled after the start."),
        click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=1),
                     help="Seconds the server has to answer healthily after its start."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _updater(prefix: str, data: str, service_cmd: str, health_url: str, timeout: float) -> Any:
    from contactpoint.update import Layout, Service, UpdateError, Updater

    try:
        service = Service(service_cmd)
    except UpdateError as e:
        raise click.BadParameter(str(e), param_hint="--service-cmd") from None
    return Updater(Layout(Path(prefix), Path(data)), service, health_url, timeout,
                   say=lambda line: click.echo(line, nl=True))


@click.command()
@click.argument("package", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Install it even when it is not newer than the running release.")
@click.option("--wheelhouse", type=click.Path(exists=True, file_okay=False),
              help="A folder of wheels to install the dependencies from, offline (default: wheelhouse/ beside"
                   " PACKAGE when there is one, else the package index).")
@_installed
def update(package: str, force: bool, wheelhouse: str | None, **where: Any) -> None:
    """Install a newer release (wheel or source tarball) beside the running one, migrate a copy of the database,
    switch, check health; roll back by itself when the new release is not healthy."""
    from contactpoint.update import UpdateError

    updater = _updater(**where)
    try:
        updater.update(Path(package), force=force, wheelhouse=Path(wheelhouse) if wheelhouse else None)
    except UpdateError as e:
        raise click.ClickException(str(e)) from None


@click.command()
@_installed
def rollback(**where: Any) -> None:
    """Go back to the previous release with the database saved before the update to the current one."""
    from contactpoint.update import UpdateError

    try:
        _updater(**where).rollback()
    except UpdateError as e:
        raise click.ClickException(str(e)) from None


@click.command("migrate")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data",
              type=click.Path(file_okay=False), help="The folder of contactpoint.sqlite3.")
def db_migrate(data: str) -> None:
    """Bring the database to this release's schema (what `update` runs on a copy, with the new release's code)."""
    from contactpoint.lockfile import StoreBusy, hold
    from contactpoint.store import SchemaError, connect, migrate

    path = Path(data) / "contactpoint.sqlite3"
    if not path.exists():
        raise click.ClickException(f"{path}: no such database")
    try:
        lock = hold(str(path) + ".lock")  # never under a running server's feet
    except StoreBusy as e:
        raise click.ClickException(str(e)) from None
    try:
        db = connect(path)
        try:
            before = _schema(db)
            after = migrate(db)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except SchemaError as e:
            raise click.ClickException(str(e)) from None
        finally:
            db.close()
    finally:
        lock.close()
    click.echo(f"{path}: schema version {before} -> {after}" if after != before else f"{path}: schema {after}, current")


def _schema(db: sqlite3.Connection) -> int:
    try:
        return len(db.execute("SELECT version FROM schema_migrations").fetchall())
    except sqlite3.OperationalError:  # a database no release has opened yet
        return 0


def register(main: click.Group) -> None:
    """Add the commands to `contactpoint`; `db migrate` joins the `db` group when one exists already."""
    main.add_command(update)
    main.add_command(rollback)
    db = main.commands.get("db")
    if not isinstance(db, click.Group):
        db = click.Group("db", help="The box's database.")
        main.add_command(db)
    db.add_command(db_migrate)
