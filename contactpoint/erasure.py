"""Erasing a closed day's personal data: what a person typed or was given that could name them.

When a day closes (`day_closed`, in the same transaction) the store blanks, in the events of that day and in the
projection: the names of its appointments (and older ones), the tickets' tracking tokens (replaced by
`erased:<ticket id>`, which no address can match), transfer notes, and every reason an agent typed (a call out of
order, a cancellation, a pause, a colleague's counter closed). The event log stays append-only: the triggers of
migration 8 let an update blank exactly these fields and nothing else (`ERASABLE`). The connection has
`PRAGMA secure_delete=ON` (contactpoint/store.py `connect`), so the old text is overwritten with zeros instead of
left in a page's free space, and after the close the store checkpoints the WAL and truncates it. Each erasure is
recorded in the table `erasures` (day, the close's seq, when, how many events and tickets it blanked).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from contactpoint.concurrency import blocking

log = logging.getLogger(__name__)

#: event type -> the one field of its data that is blanked when its day closes
ERASABLE = {
    "appointment_booked": "name",
    "ticket_issued": "token",
    "ticket_transferred": "note",
    "ticket_called": "reason",
    "ticket_cancelled": "reason",
    "counter_paused": "reason",
    "counter_closed": "reason",
}
ERASED = "erased:"  # an erased token's prefix: ':' is never in a real token (engine.TOKEN_RE)
_FIELDS = sorted(set(ERASABLE.values()))
_PATHS = ", ".join(f"'$.{f}'" for f in _FIELDS)
_TYPES = ", ".join(f"'{t}'" for t in ERASABLE)


def _dumps(d: dict[str, Any]) -> str:  # as the store writes an event's data
    return json.dumps(d, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def migrate(db: sqlite3.Connection) -> None:
    """Migration 8: the append-only trigger lets a closed day's personal fields be blanked (and only those), the
    record of erasures, and the requests of `contactpoint day close` to a running server."""
    db.execute("DROP TRIGGER events_no_update")
    blanked = " AND ".join(f"json_extract(NEW.data, '$.{f}') IS NULL" for f in _FIELDS if f != "token")
    db.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at"
        f" OR NEW.type IS NOT OLD.type OR OLD.type NOT IN ({_TYPES})"
        f" OR json_remove(NEW.data, {_PATHS}) IS NOT json_remove(OLD.data, {_PATHS})"
        f" OR NOT ({blanked})"
        f" OR coalesce(json_extract(NEW.data, '$.token'), '{ERASED}') NOT LIKE '{ERASED}%'"
        " BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    db.execute(
        "CREATE TABLE erasures (seq INTEGER PRIMARY KEY, day TEXT NOT NULL, at REAL NOT NULL,"
        " events INTEGER NOT NULL, tickets INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE day_close_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, by TEXT,"
        " done_at REAL, done_seq INTEGER)"
    )


def _blank(typ: str, d: dict[str, Any]) -> bool:
    """Blank the event's personal field in place; False when there was nothing to blank."""
    field = ERASABLE[typ]
    if field == "token":
        if str(d.get("token", "")).startswith(ERASED):
            return False
        d["token"] = ERASED + str(d.get("id", ""))
        return True
    if d.get(field) is None:
        return False
    d[field] = None
    return True


def erase_day(db: sqlite3.Connection, day: str, close_seq: int, at: float) -> tuple[int, int]:
    """Blank the personal data of `day` (and anything older left unerased), inside the close's transaction.

    Events: every erasable one appended before the close (`close_seq`) and after the last erasure, and every
    appointment booked for that day or an earlier one (a booking may be months older). Returns (events, tickets)
    blanked."""
    last = db.execute("SELECT coalesce(max(seq), 0) FROM erasures").fetchone()[0]
    rows = db.execute(
        f"SELECT seq, type, data FROM events WHERE seq > ? AND seq < ? AND type IN ({_TYPES})"  # noqa: S608
        " AND type != 'appointment_booked'",
        (last, close_seq),
    ).fetchall()
    rows += db.execute(
        "SELECT seq, type, data FROM events WHERE type = 'appointment_booked' AND json_extract(data, '$.day') <= ?"
        " AND json_extract(data, '$.name') IS NOT NULL",
        (day,),
    ).fetchall()
    events = 0
    for seq, typ, data in rows:
        d = json.loads(data)
        if _blank(typ, d):
            db.execute("UPDATE events SET data = ? WHERE seq = ?", (_dumps(d), seq))
            events += 1
    tickets = 0
    for tid, data in db.execute(
        f"SELECT id, data FROM tickets WHERE day <= ? AND token NOT LIKE '{ERASED}%'", (day,)  # noqa: S608
    ).fetchall():
        d = json.loads(data)
        d.update(token=ERASED + tid, note=None, cancel_reason=None)
        db.execute("UPDATE tickets SET token = ?, data = ? WHERE id = ?", (ERASED + tid, _dumps(d), tid))
        tickets += 1
    for aid, data in db.execute("SELECT id, data FROM appointments WHERE day <= ?", (day,)).fetchall():
        d = json.loads(data)
        if d.get("name") is not None:
            d["name"] = None
            db.execute("UPDATE appointments SET data = ? WHERE id = ?", (_dumps(d), aid))
    db.execute("INSERT INTO erasures VALUES (?, ?, ?, ?, ?)", (close_seq, day, at, events, tickets))
    return events, tickets


def truncate_wal(db: sqlite3.Connection, path: str) -> bool:
    """Copy the WAL into the database file and truncate it to nothing, so that no older page (a name before its
    erasure) stays in it; False when a reader kept part of it (tried again later). It waits for readers 0.2 s at
    most, not the connection's 10 s: it runs in the engine's lock, which the ticket path needs."""
    wait = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute("PRAGMA busy_timeout = 200")
    try:
        busy = blocking(db.execute, "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(wait)}")
    if busy:
        log.warning("the WAL of %s could not be truncated yet (a reader holds it): trying again", path)
    return not busy
