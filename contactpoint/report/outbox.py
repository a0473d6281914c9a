"""The reporter's outbox, in the box's SQLite file: each window as last computed, its revision, and the revision
the hub acknowledged. A window is pending while `revision > sent_revision`.

It is filled by a projector (contactpoint/report/windows.py), not in the events' own transaction: the ticket
path writes nothing more, and the outbox can be rebuilt from the log at any time (`rebuild`), giving the same
windows. Bounded: windows older than `keep_days` leave, sent or not (`purge`; those never sent are counted
as dropped and said by `contactpoint report status`); a day is at most 96 windows × needs, about 1 KB each.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from contactpoint.report.windows import Window


def migrate(db: sqlite3.Connection) -> None:
    """Migration 10 of the box's database (contactpoint/store.py)."""
    db.execute(
        "CREATE TABLE report_windows (start TEXT NOT NULL, need TEXT NOT NULL, day TEXT NOT NULL,"
        " revision INTEGER NOT NULL, digest TEXT NOT NULL, body TEXT NOT NULL,"
        " sent_revision INTEGER NOT NULL DEFAULT 0, changed_at REAL NOT NULL, PRIMARY KEY (start, need))"
    )
    db.execute("CREATE INDEX report_windows_pending ON report_windows (start) WHERE revision > sent_revision")
    db.execute("CREATE TABLE report_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


SITE_NEED = ""  # the stored need of a window that names none (taps without a need, the safety alerts)


@dataclass(frozen=True, slots=True)
class Pending:
    start: str
    need: str | None
    revision: int
    body: dict[str, Any]  # the window as sent, its revision included


def _need(need: str | None) -> str:
    return SITE_NEED if need is None else need


def record(db: sqlite3.Connection, windows: Iterable[Window], now: float) -> int:
    """Store windows whose content changed, each with revision + 1; returns how many changed. Run inside a
    transaction."""
    changed = 0
    for w in windows:
        digest = w.digest()
        row = db.execute(
            "SELECT revision, digest FROM report_windows WHERE start = ? AND need = ?", (w.start, _need(w.need))
        ).fetchone()
        if row is not None and row[1] == digest:
            continue
        revision = 1 if row is None else int(row[0]) + 1
        body = json.dumps({"start": w.start, "revision": revision, **w.content}, separators=(",", ":"))
        db.execute(
            "INSERT INTO report_windows (start, need, day, revision, digest, body, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (start, need) DO UPDATE SET revision = excluded.revision,"
            " digest = excluded.digest, body = excluded.body, changed_at = excluded.changed_at",
            (w.start, _need(w.need), w.day, revision, digest, body, now),
        )
        changed += 1
    return changed


def pending(db: sqlite3.Connection, limit: int) -> list[Pending]:
    rows = db.execute(
        "SELECT start, need, revision, body FROM report_windows WHERE revision > sent_revision"
        " ORDER BY start, need LIMIT ?",
        (limit,),
    ).fetchall()
    return [Pending(r[0], r[1] or None, int(r[2]), json.loads(r[3])) for r in rows]


def acknowledge(db: sqlite3.Connection, sent: Iterable[Pending]) -> None:
    """The hub has these revisions (a later one computed meanwhile stays pending)."""
    for p in sent:
        db.execute(
            "UPDATE report_windows SET sent_revision = max(sent_revision, ?) WHERE start = ? AND need = ?",
            (p.revision, p.start, _need(p.need)),
        )


def purge(db: sqlite3.Connection, before_day: str) -> int:
    """Windows of days before `before_day` leave; returns how many of them the hub never had."""
    lost = int(db.execute(
        "SELECT count(*) FROM report_windows WHERE day < ? AND revision > sent_revision", (before_day,)
    ).fetchone()[0])
    db.execute("DELETE FROM report_windows WHERE day < ?", (before_day,))
    if lost:
        put(db, "dropped", int(get(db, "dropped") or 0) + lost)
    return lost


def get(db: sqlite3.Connection, key: str) -> Any:
    row = db.execute("SELECT value FROM report_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def put(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO report_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


@dataclass(frozen=True, slots=True)
class Status:
    pending: int
    oldest_pending: str | None  # the start of the oldest window the hub does not have yet
    windows: int  # every window kept
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    failing_since: float | None  # the first failure of the current run of failures; None when the last try worked
    dropped: int  # windows purged before the hub had them

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


def status(db: sqlite3.Connection) -> Status:
    n, oldest = db.execute(
        "SELECT count(*), min(start) FROM report_windows WHERE revision > sent_revision"
    ).fetchone()
    total = db.execute("SELECT count(*) FROM report_windows").fetchone()[0]
    return Status(int(n), oldest, int(total), get(db, "last_success_at"), get(db, "last_error"),
                  get(db, "last_error_at"), get(db, "failing_since"), int(get(db, "dropped") or 0))

