"""Backups of the box's database, and restoring one (`contactpoint backup`, `contactpoint restore`).

A backup is SQLite's online backup API (`sqlite3.Connection.backup`) run from a read-only connection inside one
read transaction: the copy is the database as one commit left it, WAL included, while the server goes on writing
(in WAL mode a reader never holds a writer; the read transaction only keeps the copy's snapshot from moving, so a
busy server never makes the copy start over). The pages are copied in small steps. The copy is written to a
hidden temporary name with mode 0600, switched to a rollback journal (one self-contained file), verified by
opening it again (`PRAGMA integrity_check`, schema version, row counts), synced, then renamed: a backup that has
its final name is whole. The N newest are kept.

Personal data: a backup holds what the database held when it was taken. A day's personal data (tokens, notes,
typed reasons, appointment names) are erased when the day closes (contactpoint/erasure.py); a backup taken while
a day is open keeps that day's until the backup rotates out. `personal_data` counts what a database still holds,
and both commands print it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from contactpoint import erasure
from contactpoint.lockfile import StoreBusy
from contactpoint.lockfile import hold as hold_store
from contactpoint.migrations import MIGRATIONS

DB_NAME = "contactpoint.sqlite3"
KEEP = 7
STEP_PAGES = 256  # pages copied per step: 1 MB of 4 KB pages
NAME_RE = re.compile(r"^contactpoint-(\d{8}T\d{6}\.\d{3}Z)-schema(\d+)\.sqlite3$")


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass
class Checked:
    """What opening a database file found."""

    path: Path
    schema: int
    counts: dict[str, int]
    personal: dict[str, int] = field(default_factory=dict)


@dataclass
class Backup:
    path: Path
    checked: Checked
    removed: list[Path]


def backup_name(when: datetime, schema: int) -> str:
    """`contactpoint-20261207T021500.000Z-schema9.sqlite3`: UTC to the millisecond (two backups in one second
    never share a name), names sort by time."""
    utc = when.astimezone(UTC)
    return f"contactpoint-{utc.strftime('%Y%m%dT%H%M%S')}.{utc.microsecond // 1000:03d}Z-schema{schema}.sqlite3"


def backups_in(folder: Path) -> list[Path]:
    """The backups in `folder`, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if NAME_RE.match(p.name) and p.is_file())


def open_readonly(path: Path) -> sqlite3.Connection:
    """A connection that can never write (nor create) the file: safe as root beside the running service, and
    it leaves no -wal or -shm file owned by root behind."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0, isolation_level=None)


def schema_of(db: sqlite3.Connection) -> int:
    try:
        return int(db.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            raise BackupError(f"{db_path(db)} is not a contactpoint database (it has no schema_migrations)") from None
        raise


def db_path(db: sqlite3.Connection) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else "the database"


def tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [r[0] for r in rows]


def row_counts(db: sqlite3.Connection) -> dict[str, int]:
    return {t: int(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables(db)}  # noqa: S608


def personal_data(db: sqlite3.Connection) -> dict[str, int]:
    """How much personal data (erasure.py's fields) the database still holds: events whose personal field is not
    blanked, tickets whose token is not erased, appointments with a name. All 0 once every day closed, except the
    names of appointments booked for a later day."""
    names = set(tables(db))
    out: dict[str, int] = {}
    if "events" in names:
        total = 0
        for typ, fld in erasure.ERASABLE.items():
            if fld == "token":
                q = ("SELECT count(*) FROM events WHERE type = ? AND coalesce(json_extract(data, '$.token'), ?)"
                     " NOT LIKE ?")
                total += db.execute(q, (typ, erasure.ERASED, erasure.ERASED + "%")).fetchone()[0]
            else:
                q = f"SELECT count(*) FROM events WHERE type = ? AND json_extract(data, '$.{fld}') IS NOT NULL"  # noqa: S608
                total += db.execute(q, (typ,)).fetchone()[0]
        out["events"] = int(total)
    if "tickets" in names:
        q = "SELECT count(*) FROM tickets WHERE token NOT LIKE ?"
        out["tickets"] = int(db.execute(q, (erasure.ERASED + "%",)).fetchone()[0])
    if "appointments" in names:
        q = "SELECT count(*) FROM appointments WHERE json_extract(data, '$.name') IS NOT NULL"
        out["appointments"] = int(db.execute(q).fetchone()[0])
    return out


def check(path: Path) -> Checked:
    """Open a database file read-only and verify it: integrity, schema version, row counts (BackupError if bad)."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        db = open_readonly(path)
    except sqlite3.Error as e:
        raise BackupError(f"{path} cannot be opened: {e}") from None
    try:
        problems = [r[0] for r in db.execute("PRAGMA integrity_check(20)")]
        if problems != ["ok"]:
            raise BackupError(f"{path} fails its integrity check: {'; '.join(problems[:5])}")
        return Checked(path, schema_of(db), row_counts(db), personal_data(db))
    except sqlite3.DatabaseError as e:  # not a database at all, or damaged beyond what integrity_check reports
        raise BackupError(f"{path} fails its integrity check: {e}") from None
    finally:
        db.close()


def _full(e: BaseException) -> bool:
    if isinstance(e, OSError):
        return e.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(e, sqlite3.Error) and (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF == sqlite3.SQLITE_FULL


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def own_like(path: Path, ref: Path) -> None:
    """Run as root (`sudo contactpoint …`), give what we made to the owner of `ref` (the service's user owns the
    data folder), so that the service and its nightly timer can still use it; as anyone else, nothing to do."""
    if os.geteuid() == 0:
        st = ref.stat()
        os.chown(path, st.st_uid, st.st_gid)


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One backup at a time into a folder (the nightly timer and a technician's own run)."""
    with open(folder / ".backup.lock", "a+", encoding="utf-8") as f:
        own_like(folder / ".backup.lock", folder)
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def copy_database(source: Path, dest: Path, *, max_pages: int | None = None, readonly: bool = True,
                  progress: Callable[[int, int, int], object] | None = None) -> int:
    """Copy `source` (read-only unless told, one snapshot, small steps) into the new file `dest` (mode 0600,
    rollback journal); returns the snapshot's schema version. `max_pages` limits the copy's size as a full disk
    would (SQLITE_FULL; the tests' full disk); `progress(status, remaining, total)` is called after each step."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    os.close(fd)
    src = open_readonly(source) if readonly else sqlite3.connect(source, timeout=10.0, isolation_level=None)
    try:
        src.execute("BEGIN")  # one read transaction: the snapshot every step copies from
        schema = schema_of(src)
        dst = sqlite3.connect(dest, isolation_level=None)
        try:
            if max_pages is not None:
                dst.execute(f"PRAGMA max_page_count = {int(max_pages)}")
            src.backup(dst, pages=STEP_PAGES, sleep=0, progress=progress)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    return schema


def take(data: Path, to: Path | None = None, keep: int = KEEP, *, now: datetime | None = None,
         max_pages: int | None = None) -> Backup:
    """Back up `data`/contactpoint.sqlite3 into `to` (default `data`/backups), verify it, keep the `keep` newest."""
    source = data / DB_NAME
    if not source.is_file():
        raise BackupError(f"no database at {source} (use --data)")
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    to = to or data / "backups"
    try:
        made = not to.exists()
        to.mkdir(mode=0o700, parents=True, exist_ok=True)
        if made:
            own_like(to, data)
    except OSError as e:
        raise BackupError(f"cannot create {to}: {e.strerror}") from None
    when = now or datetime.now(UTC)
    with _folder_lock(to):
        tmp = to / f".{backup_name(when, 0)}.{os.getpid()}.tmp"
        try:
            schema = copy_database(source, tmp, max_pages=max_pages)
            final = to / backup_name(when, schema)
            if final.exists():
                raise BackupError(f"{final} exists already: try again")
            try:
                checked = check(tmp)
            except BackupError as e:
                why = str(e).removeprefix(str(tmp)).strip()
                raise BackupError(f"the copy of {source} {why}: the database itself may be damaged"
                                  " (contactpoint db info; restore the last good backup)") from None
            if checked.schema != schema:
                raise BackupError(f"the copy has schema {checked.schema}, the database {schema}: try again")
            own_like(tmp, to)
            _fsync(tmp)
            os.replace(tmp, final)
            _fsync(to)
        except BaseException as e:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if _full(e):
                raise BackupError(f"the disk is full: no room for a backup of {source} in {to}; free space "
                                  "(or remove old backups) and run it again") from None
            if isinstance(e, OSError):
                raise BackupError(f"cannot write the backup into {to}: {e.strerror}") from None
            if isinstance(e, sqlite3.Error):
                raise BackupError(f"cannot back up {source}: {e}") from None
            raise
        checked.path = final
        removed = backups_in(to)[:-keep]
        for old in removed:
            old.unlink()
    return Backup(final, checked, removed)


@dataclass
class Restored:
    checked: Checked
    current: int  # this release's schema version
    kept: Path | None  # the database it replaced


def restore(file: Path, data: Path, *, now: datetime | None = None) -> Restored:
    """Put a backup in place of `data`'s database: only while no server holds it (its lock, kept meanwhile);
    refused for a newer schema or a file that fails its check. The replaced database is kept beside it."""
    target = data / DB_NAME
    if not data.is_dir():
        raise BackupError(f"{data} is not a folder (use --data)")
    try:
        lock = hold_store(str(target) + ".lock")
    except StoreBusy as e:
        raise BackupError(f"{e}: sudo systemctl stop contactpoint, restore, then start it again") from None
    try:
        own_like(Path(lock.name), data)  # made now by root: the server must still open it
        checked = check(file)
        current = len(MIGRATIONS)
        if checked.schema > current:
            raise BackupError(
                f"{file} has schema version {checked.schema}, newer than this contactpoint's {current}: it comes"
                " from a later release; update contactpoint first (contactpoint update) or choose an older backup"
            )
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        tmp = data / f".{DB_NAME}.restore-{stamp}.tmp"
        kept = data / f"{DB_NAME}.before-restore-{stamp}" if target.exists() else None
        replaced = False
        try:
            copy_database(file, tmp)
            own_like(tmp, target if target.exists() else data)  # the service's user keeps its database
            if kept is not None:
                copy_database(target, kept, readonly=False)  # the current one, its WAL included (we hold its lock)
                own_like(kept, target)
                _fsync(kept)
            _fsync(tmp)
            for side in ("-wal", "-shm"):  # an old WAL must never be replayed into the restored file
                with contextlib.suppress(FileNotFoundError):
                    (data / (DB_NAME + side)).unlink()
            os.replace(tmp, target)
            replaced = True
            _fsync(data)
        except BaseException as e:
            for left in (tmp, None if replaced else kept):
                with contextlib.suppress(FileNotFoundError):
                    if left is not None:
                        left.unlink()
            if _full(e):
                raise BackupError(f"the disk is full: no room in {data} to restore {file}; the database was not"
                                  " replaced") from None
            if isinstance(e, OSError | sqlite3.Error):
                raise BackupError(f"cannot restore {file} into {data}: {e}; the database was not replaced") from None
            raise
    finally:
        lock.close()
    return Restored(checked, current, kept)
