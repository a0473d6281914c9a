"""Closing the day on the box: the day-close timer's work, and `contactpoint day close` beside a running server.

The timer (contactpoint/server.py, every 15 s) closes the day when the local date turns or the site's closing
time came (`Engine.tick`, rules in domain/closing.py), answers the close requests the command left in the
database, and truncates the WAL if an erasure's checkpoint was held up by a reader (erasure.py).

The command cannot append events while the server holds the log (store.py's lock file): it leaves a request in
the table `day_close_requests` (SQLite's own locking covers that, like the agents' table), which the server's
timer answers within a tick; when no server runs, the command closes the day itself (`close_now`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from contactpoint import erasure
from contactpoint.domain import commands
from contactpoint.engine import Engine
from contactpoint.store import connect


@dataclass(frozen=True, slots=True)
class Closed:
    """What a close did: the day it closed (None: it was closed already) and how many it counted abandoned."""

    day: str | None
    abandoned: int
    seq: int


def close_now(engine: Engine, cause: str, by: str | None = None) -> Closed:
    """Close today (a manager's button, the command): nothing happens when it is closed already."""
    events = [e for e in engine.run(commands.close_day, cause=cause, by=by) if e.type == "day_closed"]
    if not events:
        return Closed(None, 0, 0)
    last = events[-1]
    abandoned = sum(sum(e.data["abandoned"].values()) for e in events)
    return Closed(last.data["day"], abandoned, last.seq)


def answer_requests(engine: Engine) -> int:
    """Close the day for each request `contactpoint day close` left; returns how many were answered."""
    store = engine.store
    with store.write_lock:
        pending = store.db.execute("SELECT id, by FROM day_close_requests WHERE done_at IS NULL").fetchall()
    for rid, by in pending:
        closed = close_now(engine, "cli", by)
        with store.transaction() as db:
            db.execute(
                "UPDATE day_close_requests SET done_at = ?, done_seq = ? WHERE id = ?",
                (engine.now(), closed.seq, rid),
            )
    return len(pending)


def tick(engine: Engine) -> None:
    """The day-close timer's work (see the module's docstring)."""
    engine.tick()
    answer_requests(engine)
    store = engine.store
    if store.checkpoint_due:
        with store.write_lock:
            store.checkpoint_due = not erasure.truncate_wal(store.db, store.path)


def request_close(path: Path, by: str | None, timeout_s: float = 60.0, poll_s: float = 0.5) -> Closed | None:
    """Ask the server that holds `path` to close the day and wait for its answer (None: no answer in time)."""
    db = connect(path)
    rid = db.execute("INSERT INTO day_close_requests (at, by) VALUES (?, ?)", (time.time(), by)).lastrowid
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            row = db.execute("SELECT done_at, done_seq FROM day_close_requests WHERE id = ?", (rid,)).fetchone()
            if row is not None and row[0] is not None:
                return _closed_at(db, int(row[1] or 0))
            time.sleep(poll_s)
        return None
    finally:  # unanswered (no answer in time, interrupted): withdrawn, so no later server closes a day by surprise
        db.execute("DELETE FROM day_close_requests WHERE id = ? AND done_at IS NULL", (rid,))
        db.close()


def _closed_at(db: sqlite3.Connection, seq: int) -> Closed:
    if not seq:
        return Closed(None, 0, 0)
    day, abandoned = db.execute(
        "SELECT json_extract(data, '$.day'), json_extract(data, '$.abandoned') FROM events WHERE seq = ?", (seq,)
    ).fetchone()
    return Closed(day, sum(json.loads(abandoned or "{}").values()), seq)

