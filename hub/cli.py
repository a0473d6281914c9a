"""`contactpoint hub …`: serve the regional hub, register sites and their keys, add the dashboard's users.

SQLAlchemy and Alembic are imported inside the commands: the box's `contactpoint` command loads this group
without them (the Pi installs no `hub` extra)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

DEFAULT_DATA = "hub-data"
db_option = click.option(
    "--db",
    default=lambda: os.environ.get("CONTACTPOINT_HUB_DB", ""),
    help="Database URL: postgresql://user@host/db, or sqlite:///file (default: hub.sqlite in --data).",
)
data_option = click.option(
    "--data",
    default=lambda: os.environ.get("CONTACTPOINT_HUB_DATA", DEFAULT_DATA),
    show_default=DEFAULT_DATA,
    help="Folder of the default SQLite database.",
)


def _url(db: str, data: str) -> str:
    from contactpoint.hub.db import default_url

    return db or default_url(data)


@contextmanager
def _engine(db: str, data: str) -> Iterator[Any]:
    """The hub's database, migrated to the newest schema; disposed at the end (no connection outlives it)."""
    url = _url(db, data)
    from contactpoint.hub.db import engine_for, upgrade
    from sqlalchemy.exc import OperationalError

    engine = engine_for(url)
    try:
        try:
            upgrade(engine)
        except OperationalError as e:
            raise click.ClickException(f"cannot open the hub's database: {e.orig}") from None
        yield engine
    finally:
        engine.dispose()


@click.group()
def hub() -> None:
    """The regional hub: ingests the boxes' reports, shows analysts every site (docs/hub.md)."""
    try:
        import alembic  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as e:  # the box's install, without the extra
        raise click.ClickException(
            f"the hub needs its extra: pip install 'contactpoint[hub]' ({e.name} missing)"
        ) from None


@hub.command("serve")
@db_option
@data_option
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 8090)), show_default="8090")
def serve(db: str, data: str, host: str, port: int) -> None:
    """Serve the hub (ingest, dashboard, API) on a threaded WSGI server; put TLS in front of it."""
    from contactpoint.hub.app import create_hub
    from sqlalchemy.exc import OperationalError
    from werkzeug.serving import make_server

    try:
        app = create_hub(_url(db, data))
    except OperationalError as e:
        raise click.ClickException(f"cannot open the hub's database: {e.orig}") from None
    server = make_server(host, port, app, threaded=True)
    click.echo(f"contactpoint hub on http://{host}:{server.server_port}/ ({app.extensions['hub'].engine.dialect.name})")
    click.echo(f"  ingest    http://{host}:{server.server_port}/ingest/v1/<site>")
    click.echo(f"  dashboard http://{host}:{server.server_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # pragma: no cover
        pass


@hub.group()
def site() -> None:
    """The sites that report to this hub, and their signing keys."""


def _registry_call(fn: Any, *args: Any) -> Any:
    from contactpoint.hub.registry import RegistryError

    try:
        return fn(*args)
    except RegistryError as e:
        raise click.ClickException(str(e)) from None


@site.command("add")
@click.argument("name")
@click.option("--id", "site_id", default=None, help="The site's [site] id (default: from NAME).")
@db_option
@data_option
def site_add(name: str, site_id: str | None, db: str, data: str) -> None:
    """Register a site and print its signing key, once: put it in the box's report settings."""
    from contactpoint.hub.registry import add_site

    with _engine(db, data) as engine:
        sid, secret = _registry_call(add_site, engine, name, int(time.time()), site_id)
    click.echo(f"site {sid!r} added. Its key (shown once, give it to the box):")
    click.echo(secret)


@site.command("rotate")
@click.argument("site_id")
@db_option
@data_option
def site_rotate(site_id: str, db: str, data: str) -> None:
    """Add a second key: both verify until `hub site retire-key`. Prints the new key, once."""
    from contactpoint.hub.registry import rotate

    with _engine(db, data) as engine:
        secret = _registry_call(rotate, engine, site_id, int(time.time()))
    click.echo(f"new key for {site_id!r} (shown once); the old one stays valid until 'hub site retire-key {site_id}':")
    click.echo(secret)


@site.command("retire-key")
@click.argument("site_id")
@db_option
@data_option
def site_retire_key(site_id: str, db: str, data: str) -> None:
    """End every key of the site but the newest (once the box sends with the new one)."""
    from contactpoint.hub.registry import retire_old_keys

    with _engine(db, data) as engine:
        n = _registry_call(retire_old_keys, engine, site_id, int(time.time()))
    click.echo(f"{n} old key(s) of {site_id!r} retired: only the newest verifies now")


@site.command("list")
@db_option
@data_option
def site_list(db: str, data: str) -> None:
    """The sites: id, name, live keys, windows stored, last report received."""
    from contactpoint.hub.registry import list_sites

    with _engine(db, data) as engine:
        rows = list_sites(engine)
    if not rows:
        click.echo("no sites (hub site add NAME)")
    for r in rows:
        last = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.last_received_at)) if r.last_received_at else "never"
        click.echo(f"{r.id}\t{r.name}\t{r.live_keys} key(s)\t{r.windows} windows\tlast report {last}")


@hub.group()
def user() -> None:
    """The dashboard's users (analysts and admins)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["analyst", "admin"]), default="analyst", show_default=True)
@db_option
@data_option
def user_add(name: str, role: str, db: str, data: str) -> None:
    """Create a dashboard user (or give it a new password) and print its password, once."""
    from contactpoint.hub.users import UserError, set_user

    with _engine(db, data) as engine:
        try:
            password = set_user(engine, name, role, int(time.time()))
        except UserError as e:
            raise click.ClickException(str(e)) from None
    click.echo(f"user {name.strip()!r} ({role}) saved. Password (shown once): {password}")
