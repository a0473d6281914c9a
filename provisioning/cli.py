"""The `contactpoint` command (click, which Flask already brings)."""

from __future__ import annotations

import os
import sys

_SERVING = os.path.basename(sys.argv[0]) in ("contactpoint", "cli.py") and sys.argv[1:2] in (["serve"], ["demo"])
if _SERVING and os.environ.get("CONTACTPOINT_ASYNC", "gevent") == "gevent":
    # the server runs under gevent (docs/performance.md: 2x the tickets a second and a quarter of the p99 of
    # threading mode, with 2 threads instead of one per connection); gevent must patch the standard library
    # before anything imports it. CONTACTPOINT_ASYNC=threading runs Werkzeug's threaded server instead.
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a runtime dependency; a broken install still serves
        os.environ["CONTACTPOINT_ASYNC"] = "threading"
    else:
        monkey.patch_all()
        os.environ["CONTACTPOINT_ASYNC"] = "gevent"

import secrets
import time
from pathlib import Path
from typing import Any

import click

from contactpoint.config import ConfigError, load_site


def _few_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own malloc arena (up to 8 per core), and each keeps freed
    memory: with a thread per connection that is megabytes of resident memory a 1 GB Pi does not have. Two
    arenas suffice for a server whose threads mostly wait. Must run before any thread starts."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name and sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(name).mallopt(-8, 2)  # M_ARENA_MAX
        except (OSError, AttributeError):  # not glibc (musl has no arenas to tame)
            pass


DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def _app(config: str | None, data: str, **extra: Any) -> Any:
    from contactpoint import create_app
    from contactpoint.store import SchemaError, StoreBusy

    try:
        return create_app({"SITE_CONFIG": config, "DATA_DIR": data, **extra})
    except (ConfigError, SchemaError) as e:
        raise click.ClickException(str(e)) from None
    except StoreBusy as e:
        raise click.ClickException(f"{e} (sudo systemctl stop contactpoint)") from None


def _addresses(host: str, port: int) -> list[tuple[str, str]]:
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    return [
        ("kiosk", f"{base}/kiosk/"),
        ("display", f"{base}/display/"),
        ("counter", f"{base}/counter/"),
        ("state", f"{base}/api/state"),
    ]


@click.group()
@click.version_option(package_name="contactpoint")
def main() -> None:
    """contactpoint: the software of a neighbourhood contact point."""


@main.command()
@click.option("--host", default=lambda: os.environ.get("HOST", DEFAULT_HOST), show_default=DEFAULT_HOST)
@click.option(
    "--port", type=int, default=lambda: int(os.environ.get("PORT", DEFAULT_PORT)), show_default=str(DEFAULT_PORT)
)
@click.option(
    "--data",
    default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"),
    show_default="data",
    help="Folder for the SQLite database and the box's secrets.",
)
def demo(host: str, port: int, data: str) -> None:
    """Serve the demo site: sample configuration, SQLite under DATA, fake printer, one-time agent and manager logins."""
    _few_malloc_arenas()
    from contactpoint.auth import hash_password
    from contactpoint.box import box_of
    from contactpoint.server import serve

    app = _app(None, data, DEMO=True, DEVICE_PAIRING="first-sight")  # no technician: browsers pair by themselves
    cp = box_of(app)
    # one login for each role a counter sees, each with a new password every start: an agent works at a
    # counter; the manager does too, and also creates accounts (the counter page's "Agents" page) and appointments
    logins = [("agent", "agent", secrets.token_urlsafe(9)), ("manager", "demo", secrets.token_urlsafe(9))]
    for role, name, password in logins:
        cp.store.add_agent(name, hash_password(password), role, time.time())
    click.echo(f"contactpoint demo: {cp.site.name}")
    for name, url in _addresses(host, port):
        click.echo(f"  {name:8} {url}")
    for role, name, password in logins:
        click.echo(f"  {role} login for this run only: name '{name}', password '{password}'")
    click.echo("  devices: paired on first sight (the demo): every browser that opens a device page is paired")
    sys.stdout.flush()
    serve(app, host, port)


@main.command()
@click.option(
    "--config", "config", required=True, type=click.Path(exists=True, dir_okay=False), help="The site's TOML file."
)
@click.option("--host", default=lambda: os.environ.get("HOST", "0.0.0.0"), show_default="0.0.0.0")
@click.option(
    "--port", type=int, default=lambda: int(os.environ.get("PORT", DEFAULT_PORT)), show_default=str(DEFAULT_PORT)
)
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
def serve(config: str, host: str, port: int, data: str) -> None:
    """Serve a site from its configuration file."""
    _few_malloc_arenas()
    from contactpoint.server import serve as run

    app = _app(config, data)
    for name, url in _addresses(host, port):
        click.echo(f"  {name:8} {url}")
    sys.stdout.flush()
    run(app, host, port)


@main.command("check-config")
@click.argument("path", type=click.Path(dir_okay=False))
def check_config(path: str) -> None:
    """Validate a site's TOML file and say what is wrong."""
    try:
        cfg = load_site(path)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    s = cfg.site
    click.echo(
        f"ok: {s.name} ({s.id}), {len(s.needs)} needs, {len(s.counters)} counters, languages {', '.join(s.languages)}"
    )


@main.group()
def agent() -> None:
    """Agent accounts."""


@agent.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["agent", "manager", "technician"]), default="agent", show_default=True)
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
@click.password_option(help="Asked for when not given (never stored in clear).")
def agent_add(name: str, role: str, config: str | None, data: str, password: str) -> None:
    """Create an agent account (or reset its password)."""
    from contactpoint.auth import hash_password
    from contactpoint.store import EventStore

    if not name.strip() or len(name) > 60:
        raise click.ClickException("the name must be 1 to 60 characters")
    if len(password) < 10:
        raise click.ClickException("the password must be at least 10 characters")
    Path(data).mkdir(parents=True, exist_ok=True)
    store = EventStore(Path(data) / "contactpoint.sqlite3")
    store.add_agent(name.strip(), hash_password(password), role, time.time())
    store.close()
    click.echo(f"agent {name.strip()!r} ({role}) saved")


def _agent_store(data: str) -> Any:
    from contactpoint.store import EventStore

    path = Path(data) / "contactpoint.sqlite3"
    if not path.exists():
        raise click.ClickException(f"no database in {data!r} (use --data)")
    return EventStore(path)


@agent.command("list")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
def agent_list(data: str) -> None:
    """List the agent accounts: name, role, active or disabled."""
    store = _agent_store(data)
    rows = store.agents()
    store.close()
    if not rows:
        click.echo("no agent accounts")
    for name, role, active in rows:
        click.echo(f"{name}\t{role}\t{'active' if active else 'disabled'}")


@agent.command("disable")
@click.argument("name")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
def agent_disable(name: str, data: str, enable: bool) -> None:
    """Disable an agent account: its sessions stop working at their next request (the history is kept)."""
    store = _agent_store(data)
    found = store.set_agent_active(name, enable)
    store.close()
    if not found:
        raise click.ClickException(f"no agent named {name!r}")
    click.echo(f"agent {name!r} {'enabled' if enable else 'disabled'}")


@agent.command("unlock")
@click.argument("name")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
def agent_unlock(name: str, data: str) -> None:
    """Let an account held by the login throttle try again at once, from every address."""
    store = _agent_store(data)
    found = store.unlock_agent(name, time.time())
    store.close()
    if not found:
        raise click.ClickException(f"no agent named {name!r}")
    click.echo(f"agent {name!r} unlocked: its next login is checked at once")


@main.command("announce")
@click.option("--lang", required=True, help="Language of the announcement: fr nl en de ar tr es ro pl pt.")
@click.option("--ticket", default="A042", show_default=True, help="The ticket number to announce.")
@click.option("--counter", default="3", show_default=True, help="The counter (its id in the site file, or a label).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The WAV file to write.")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--recall", is_flag=True, help="The recall phrase instead of the first call.")
def announce_cmd(lang: str, ticket: str, counter: str, out: str, config: str | None, recall: bool) -> None:
    """Render one call (chime + spoken phrase) to a WAV file with espeak-ng: the display's audio self-test."""
    import tempfile

    from contactpoint.hardware.audio import AudioError, EspeakAnnouncer, wav_stats
    from contactpoint.hardware.audio.announcer import resolve_voice
    from flask import Flask

    from contactpoint.announce import render_one, voices_for_site
    from contactpoint.i18n import babel, catalogues

    try:
        site = load_site(config).site
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    app = Flask("contactpoint.announce")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(catalogues())
    babel.init_app(app, locale_selector=lambda: lang)
    label = site.counter(counter).label if site.counter(counter) else counter
    voices = voices_for_site(site)
    with tempfile.TemporaryDirectory(prefix="contactpoint-announce-") as cache:  # a real render, never the cache
        tts = EspeakAnnouncer(Path(cache), speed=site.display.speech_rate, voices=voices)
        try:
            text = render_one(app, tts, lang=lang, number=ticket, counter=label, out=Path(out), recall=recall)
        except AudioError as e:
            raise click.ClickException(f"{e.key}: {e.detail}") from None
    stats = wav_stats(out)
    click.echo(f"{lang} ({resolve_voice(voices, lang)}): {text}")
    click.echo(f"wrote {out}: {stats.duration_s:.2f} s, rms {stats.rms:.3f}, peak {stats.peak:.2f}")
    if stats.rms < 0.005:
        raise click.ClickException(f"{out} is silent: check espeak-ng and its voices")


@main.group()
def appointments() -> None:
    """Appointments booked elsewhere, brought into the box."""


@appointments.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--config", type=click.Path(exists=True, dir_okay=False), help="The site's TOML file (default: demo).")
@click.option("--data", default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"), show_default="data")
def appointments_import(file: str, config: str | None, data: str) -> None:
    """Import a CSV or iCalendar FILE; prints each line that could not be used. Only while the service is stopped
    (it refuses otherwise: the box's one writer is the server); while it runs, use the manager's page
    /manage/appointments."""
    from contactpoint import appointments_import as imp
    from contactpoint.box import box_of

    app = _app(config, data)
    cp = box_of(app)
    try:
        with app.test_request_context():  # messages in English when the site has it
            from flask import g

            g.lang = "en" if "en" in cp.site.languages else cp.site.default_language
            report = imp.import_file(cp.engine, Path(file).name, Path(file).read_bytes())
    finally:
        cp.close()
    for line, text in report.errors:
        click.echo(f"{file}:{line}: {text}", err=True)
    click.echo(f"{report.booked} booked, {report.skipped} already there, {len(report.errors)} with errors")
    if report.errors:
        sys.exit(1)


from contactpoint.provisioning.printer_cli import printer  # noqa: E402 - its commands need `_app` from here

main.add_command(printer)

from contactpoint.provisioning.report_cli import report  # noqa: E402

main.add_command(report)

from contactpoint.provisioning.site_cli import config, day, figures  # noqa: E402

main.add_command(day)
main.add_command(figures)
main.add_command(config)
from contactpoint.hub.cli import hub  # noqa: E402 - the regional hub's commands (its libraries load on use)

main.add_command(hub)
from contactpoint.provisioning.backup_cli import backup, restore  # noqa: E402
from contactpoint.provisioning.db_cli import db  # noqa: E402

main.add_command(backup)
main.add_command(restore)
main.add_command(db)
from contactpoint.provisioning.selftest_cli import health, selftest  # noqa: E402

main.add_command(selftest)
main.add_command(health)
from contactpoint.provisioning.update_cli import register as register_update  # noqa: E402 - update, rollback, db migrate

register_update(main)
from contactpoint.provisioning.device_cli import device  # noqa: E402 - the paired devices (docs/devices.md)

main.add_command(device)

from contactpoint.provisioning.provision_cli import provision_cmd, wait_ready  # noqa: E402

main.add_command(provision_cmd)
main.add_command(wait_ready)

if __name__ == "__main__":  # pragma: no cover
    main()
