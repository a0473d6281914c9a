"""`contactpoint selftest` and `contactpoint health`: the technician's checks of a box, one line each.

The server owns the printer and the database's writer, so both ask the running server for its side
(`POST /api/selftest`, `GET /api/health`, loopback only) and do the file-level checks themselves
(contactpoint/selftest.py). With no server, the server's line fails and the rest runs alone: the printer is
then tried directly, as `contactpoint printer test` does.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from contactpoint.config import ConfigError, load_site
from contactpoint.selftest import FAIL, OK, WARN, Check, worst

INSTALLED_CONFIG = "/etc/contactpoint/site.toml"
INSTALLED_DATA = "/var/lib/contactpoint"


def _default_config() -> str | None:
    env = os.environ.get("CONTACTPOINT_CONFIG")
    if env:
        return env
    return INSTALLED_CONFIG if Path(INSTALLED_CONFIG).exists() else None


def _default_data() -> str | None:
    return os.environ.get("CONTACTPOINT_DATA") or None  # None: the server's, else the installed or ./data


def _server_url(url: str | None, config: str | None) -> str:
    """--url, else PORT, else the site file's [server] port (what the installed unit serves on), else 8080."""
    if url:
        return url
    if os.environ.get("PORT"):
        return f"http://127.0.0.1:{os.environ['PORT']}"
    try:
        port = load_site(config).box.port
    except ConfigError:
        port = 8080
    return f"http://127.0.0.1:{port}"


def _options(fn: Any) -> Any:
    fn = click.option("--min-free-mb", type=float, default=None,
                      help="Free space the data folder must keep (default CONTACTPOINT_MIN_FREE_MB or 200).")(fn)
    fn = click.option("--data", default=_default_data, show_default="the server's, else /var/lib/contactpoint",
                      help="The server's --data folder (its database).")(fn)
    fn = click.option("--config", "config", type=click.Path(dir_okay=False), default=_default_config,
                      show_default=f"{INSTALLED_CONFIG}, else the sample site", help="The site's TOML file.")(fn)
    fn = click.option("--url", default=None, show_default="http://127.0.0.1:PORT, else the site file's [server] port",
                      help="The running server, on this box.")(fn)
    return fn


def _ask(method: str, base: str, path: str, timeout: float) -> tuple[dict[str, Any] | None, Check]:
    """The server's JSON answer and the `server` line (failed: not running, refused, not JSON)."""
    url = base.rstrip("/") + path
    req = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None,
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - the box's own loopback URL
            body = json.loads(r.read())
    except urllib.error.HTTPError as e:
        return None, Check("server", FAIL, f"{url} answered HTTP {e.code}",
                           "run it on the box itself, against 127.0.0.1 (--url)")
    except (OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return None, Check("server", FAIL, f"not running at {base} ({reason})",
                           "sudo systemctl status contactpoint; journalctl -u contactpoint -n 50")
    if not isinstance(body, dict):
        return None, Check("server", FAIL, f"{url} did not answer a JSON object", "is another program on this port?")
    return body, Check("server", OK, f"answers at {base}" + (f" (pid {body['pid']})" if "pid" in body else ""))


def _site(config: str | None) -> Any:
    try:
        return load_site(config)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _database(data: str | None, answer: dict[str, Any] | None) -> Path:
    if data:
        return Path(data) / "contactpoint.sqlite3"
    if answer and isinstance(answer.get("database"), str):
        return Path(answer["database"])
    return Path(INSTALLED_DATA if Path(INSTALLED_DATA).is_dir() else "data") / "contactpoint.sqlite3"


def printer_alone(config: str | None) -> Check:
    """No server: the printer tried directly (nothing else holds it), a test ticket and its status after."""
    from contactpoint.hardware.printer import PrinterError
    from contactpoint.provisioning.cli import _app

    from contactpoint.box import box_of
    from contactpoint.selftest_api import printer_key_check, sample_ticket

    with tempfile.TemporaryDirectory(prefix="contactpoint-selftest-") as tmp:
        app = _app(config, tmp, PRINTER_POLL_INTERVAL=0)  # a box never started, on a scratch database
        cp = box_of(app)
        try:
            cp.printer.print_ticket(sample_ticket(app, cp.site.default_language))
            key = cp.printer.status().key
        except PrinterError as e:
            key = e.key
        finally:
            cp.printer.close()
            cp.close()
    return printer_key_check(key, f"printed a test ticket directly; status {key}" if key == "printer_ok"
                             else f"printing directly: {key}")


def _report(checks: list[Check], as_json: bool, extra: dict[str, Any] | None = None) -> None:
    status = worst(checks)
    if as_json:
        click.echo(json.dumps({"status": status, **(extra or {}), "checks": [c.to_dict() for c in checks]}, indent=2))
    else:
        for c in checks:
            click.echo(c.line())
        counts = {s: sum(c.status == s for c in checks) for s in (OK, WARN, FAIL)}
        click.echo(f"{status}: {counts[OK]} ok, {counts[WARN]} warn, {counts[FAIL]} failed")
    if status == FAIL:
        sys.exit(1)


@click.command("selftest")
@_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
def selftest(url: str | None, config: str | None, data: str | None, min_free_mb: float | None, as_json: bool) -> None:
    """Check the whole box: a test ticket and the printer's status, the buttons, the pages connected, the
    reporter and hub, the database, disk, clock and every site language's announcement. Exit 1 when one fails."""
    from contactpoint import selftest as st

    site_config = _site(config)
    answer, server = _ask("POST", _server_url(url, config), "/api/selftest", timeout=90)
    checks = [server]
    if answer is None and "not running" in server.message:  # no server holds the printer: try it alone
        checks.append(printer_alone(config))
    elif answer is None:
        checks.append(Check("printer", FAIL, "not tested: the server did not answer the self-test",
                            "the server holds the printer: see the server line"))
    else:
        theirs = [Check.from_dict(c) for c in answer.get("checks", [])]
        checks += [c for c in theirs if c.name != "version"]  # the version line: this command's own, below
    db = _database(data, answer)
    checks += [st.version(), st.database_integrity(db), st.wal_size(db), st.schema_version(db),
               st.disk_space(db.parent, min_free_mb), st.clock()]
    checks += st.announcements(site_config.site)
    _report(checks, as_json)


@click.command("health")
@_options
def health(url: str | None, config: str | None, data: str | None, min_free_mb: float | None) -> None:
    """The cheap checks as JSON for monitoring (the server's GET /api/health); with no server, the file-level
    ones and a failed `server`. Exit 1 when one fails."""
    from contactpoint import selftest as st

    answer, server = _ask("GET", _server_url(url, config), "/api/health", timeout=10)
    if answer is not None:
        click.echo(json.dumps(answer, indent=2))
        if answer.get("status") == FAIL or answer.get("ok") is False:
            sys.exit(1)
        return
    db = _database(data, None)
    checks = [server, st.version(), st.wal_size(db), st.schema_version(db), st.disk_space(db.parent, min_free_mb),
              st.clock()]
    _report(checks, True, {"ok": False})


__all__ = ["health", "selftest"]
