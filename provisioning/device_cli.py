"""`contactpoint device approve|list|revoke`: the paired devices, beside the running server (docs/devices.md).

They write the devices table with SQLite's BEGIN IMMEDIATE, as the server does (a second writer waits its
turn), and the server reads that table at every device request, so an approval or a revocation counts at the
device's next request. The log's audit (`device_approved`, `device_revoked`) is the server's: it appends the
events of the command's changes within seconds, or when it next starts.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from contactpoint.domain import devices as dv

_DATA = {"default": lambda: os.environ.get("CONTACTPOINT_DATA", "data"), "show_default": "data",
         "help": "The box's data folder (the server's --data)."}


def _open(data: str) -> tuple[Any, Any]:
    from contactpoint.device_store import DeviceStore
    from contactpoint.store import EventStore

    path = Path(data) / "contactpoint.sqlite3"
    if not path.exists():
        raise click.ClickException(f"no database in {data!r} (use --data)")
    store = EventStore(path)
    return store, DeviceStore(store)


def _server_runs(store: Any) -> bool:
    from contactpoint.lockfile import StoreBusy, hold

    try:
        hold(store.path + ".lock").close()
    except StoreBusy:
        return True
    return False


def _audit_note(store: Any) -> str:
    if _server_runs(store):
        return "the server logs it within a few seconds"
    return "the server logs it when it next starts"


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S") if at else "-"


@click.group()
def device() -> None:
    """The paired devices: kiosk, displays, counters, feedback tablets."""


@device.command("approve")
@click.argument("code")
@click.option("--role", required=True, type=click.Choice(dv.ROLES), help="The page the device may open.")
@click.option("--name", required=True, help='What to call it, e.g. "Waiting room left".')
@click.option("--data", **_DATA)
def approve(code: str, role: str, name: str, data: str) -> None:
    """Pair the device whose page shows CODE: it opens its page by itself within seconds."""
    from contactpoint.domain.errors import CommandError

    code = dv.normalise_code(code)
    if not dv.valid_code(code):
        raise click.ClickException(f"{code!r} is not a pairing code ({dv.CODE_LENGTH} letters and digits)")
    try:
        name = dv.clean_name(name)
    except CommandError:
        raise click.ClickException("the name must be 1 to 60 characters, without line breaks") from None
    store, ds = _open(data)
    try:
        found = ds.approve(code, role, name, "cli", time.time())
    except CommandError as e:
        reason = {"unknown_pairing_code": f"no device shows code {code} now (see `contactpoint device list`)",
                  "device_name_taken": f"another device is already named {name!r}"}.get(e.key, e.key)
        raise click.ClickException(reason) from None
    else:
        click.echo(f"device {found.id} {found.name!r} paired as {found.role}; {_audit_note(store)}")
    finally:
        store.close()


@device.command("list")
@click.option("--data", **_DATA)
@click.option("--json", "as_json", is_flag=True, help="As JSON, for a script.")
def list_devices(data: str, as_json: bool) -> None:
    """The devices (number, name, role, state, last contact, page, version) and the codes waiting."""
    store, ds = _open(data)
    try:
        devices, pending = ds.devices(), ds.pending(time.time())
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"devices": [d.to_dict() for d in devices],
                               "pending": [{"code": p.code, "role": p.role, "since": p.created_at,
                                            "user_agent": p.user_agent, "address": p.address} for p in pending]},
                              indent=2))
        return
    if not devices:
        click.echo("no paired device")
    for d in devices:
        state = "active" if d.active else f"revoked {_when(d.revoked_at)} by {d.revoked_by}"
        click.echo(f"{d.id}\t{d.name}\t{d.role}\t{state}\tlast contact {_when(d.last_contact)}"
                   f"\tpage {d.last_page or '-'}\tversion {d.version or '-'}\tapproved by {d.approved_by}")
    for p in pending:
        click.echo(f"waiting: code {p.code}, asked for {p.role}, since {_when(p.created_at)}, from {p.address or '?'}")


@device.command("revoke")
@click.argument("ref", metavar="ID|NAME")
@click.option("--data", **_DATA)
def revoke(ref: str, data: str) -> None:
    """Revoke a device (by its number or its name): its pages are refused and show a new pairing code."""
    store, ds = _open(data)
    try:
        found = ds.find(ref)
        if found is None or not found.active or not ds.revoke(found.id, "cli", time.time()):
            raise click.ClickException(f"no active device {ref!r} (see `contactpoint device list`)")
        click.echo(f"device {found.id} {found.name!r} revoked; its pages stop within seconds; {_audit_note(store)}")
    finally:
        store.close()
