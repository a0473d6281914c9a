"""`contactpoint provision` (write the box's files: docs/technician.md) and `contactpoint wait-ready` (the screen
unit's wait for the server)."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request

import click
from contactpoint.provisioning.provision import ProvisionError, activate, provision, systemd_running

VERBS = {"created": "would create", "changed": "would change", "removed": "would remove", "unchanged": "unchanged"}


@click.command("provision")
@click.option("--site", "site", required=True, help="The site's TOML file (checked as check-config checks it).")
@click.option("--root", default="/", show_default=True, help="Write under this folder instead of / (tests, review).")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
def provision_cmd(site: str, root: str, dry_run: bool) -> None:
    """Write every file of the box from the site file: the site file itself, the secret key, the systemd units,
    the udev rule, journald's limits, the firewall. A second run changes nothing and says so."""
    if root == "/" and not dry_run and os.geteuid() != 0:
        raise click.ClickException("run it as root (sudo contactpoint provision …), or with --root DIR or --dry-run")
    try:
        changes = provision(site, root, dry_run)
    except ProvisionError as e:
        raise click.ClickException(str(e)) from None
    for c in changes:
        verb = VERBS[c.status] if dry_run else c.status
        click.echo(f"{verb}: {c.path}" + (f" ({c.why})" if c.why and c.status != "unchanged" else ""))
    n = sum(c.status != "unchanged" for c in changes)
    if n == 0:
        click.echo("nothing changed")
        return
    click.echo(f"{n} would change" if dry_run else f"{n} changed")
    if dry_run:
        return
    if systemd_running(root):
        for line in activate(changes):
            click.echo(f"ran: {line}")
    elif root == "/":
        click.echo("systemd is not running here (a chroot?): the units start at the next boot")


@click.command("wait-ready")
@click.option("--url", default="http://127.0.0.1:8080/api/health", show_default=True)
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds before giving up (exit 1).")
def wait_ready(url: str, timeout: float) -> None:
    """Wait until the server answers URL (any HTTP status: it is up), e.g. before the screen starts Chromium."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except (OSError, ValueError) as e:
            if isinstance(e, ValueError):
                raise click.ClickException(f"not a URL: {url}") from None
            if time.monotonic() >= deadline:
                raise click.ClickException(f"no answer from {url} within {timeout:g} s ({e})") from None
            time.sleep(1)
            continue
        click.echo(f"{url} answered {status}")
        return
