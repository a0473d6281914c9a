"""`contactpoint backup` and `contactpoint restore`: copies of the box's database (contactpoint/backup.py,
docs/technician.md "Back up and restore")."""

from __future__ import annotations

import os
from pathlib import Path

import click

_DATA = click.option(
    "--data",
    default=lambda: os.environ.get("CONTACTPOINT_DATA", "data"),
    show_default="data",
    help="The box's data folder (/var/lib/contactpoint on a box).",
)


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def personal_line(personal: dict[str, int]) -> str:
    """The personal data a database still holds, in one line (`backup`, `restore`, `db info`)."""
    held = [f"{n} {what}" for what, n in (
        ("tickets' tracking tokens", personal.get("tickets", 0)),
        ("events' personal fields", personal.get("events", 0)),
        ("appointment names", personal.get("appointments", 0)),
    ) if n]
    if not held:
        return "personal data: none (every closed day's were erased)"
    return (f"personal data: {', '.join(held)} (a day open, or appointments still to come: erased from the box's"
            " database when their day closes; a backup keeps them until it rotates out)")


@click.command("backup")
@_DATA
@click.option("--to", "to", type=click.Path(file_okay=False), default=None,
              help="Folder of the backups (default: DATA/backups).")
@click.option("--keep", type=click.IntRange(min=1), default=7, show_default=True,
              help="How many backups to keep in that folder (the newest).")
def backup(data: str, to: str | None, keep: int) -> None:
    """Copy the database while the server runs (SQLite's online backup), verify the copy, keep the KEEP newest."""
    from contactpoint import backup as b

    try:
        done = b.take(Path(data), Path(to) if to else None, keep)
    except b.BackupError as e:
        raise click.ClickException(str(e)) from None
    c = done.checked
    click.echo(f"backup: {done.path} ({_size(done.path.stat().st_size)}, schema {c.schema}, integrity ok)")
    click.echo("rows: " + ", ".join(f"{t} {n}" for t, n in c.counts.items()))
    click.echo(personal_line(c.personal))
    for old in done.removed:
        click.echo(f"removed the older backup {old.name}")
    click.echo(f"{len(b.backups_in(done.path.parent))} backups kept in {done.path.parent} (--keep {keep})")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@_DATA
def restore(file: str, data: str) -> None:
    """Put the backup FILE in place of the box's database. Stop the service first (refused while it runs); a
    file from a newer schema, or one that fails its integrity check, is refused."""
    from contactpoint import backup as b

    try:
        done = b.restore(Path(file), Path(data))
    except b.BackupError as e:
        raise click.ClickException(str(e)) from None
    c = done.checked
    click.echo(f"restored {file} (schema {c.schema}, integrity ok) into {Path(data) / b.DB_NAME}")
    click.echo("rows: " + ", ".join(f"{t} {n}" for t, n in c.counts.items()))
    if done.kept:
        click.echo(f"the database it replaced is kept as {done.kept}")
    if c.schema < done.current:
        click.echo(f"its schema version {c.schema} is older than this release's {done.current}: the server migrates"
                   " it when it next starts")
    click.echo(personal_line(c.personal))
    click.echo("start the service again: sudo systemctl start contactpoint")
