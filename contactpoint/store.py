"""The event store: an append-only log in SQLite, with the projection updated in the same transaction.

WAL, `synchronous=FULL` (a visitor's number survives a power cut once shown), `BEGIN IMMEDIATE` for every
write. Exactly one writer: the engine holds a lock around every `commit`; readers may open their own
connections. Migrations are small numbered functions, each in its own transaction, recorded in the database.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from contactpoint import erasure, store_feedback
from contactpoint.concurrency import blocking
from contactpoint.domain.appointments import Appointment
from contactpoint.domain.events import Changes, Event, apply
from contactpoint.domain.model import Counter, SiteState, Ticket
from contactpoint.lockfile import StoreBusy  # noqa: F401 - StoreBusy: as callers know it
from contactpoint.lockfile import hold as _hold
from contactpoint.migrations import MIGRATIONS

log = logging.getLogger(__name__)




def connect(path: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA secure_delete=ON")  # erased text is overwritten, not left in free pages (erasure.py)
    return db


def migrate(db: sqlite3.Connection) -> int:
    """Apply the migrations not yet recorded; returns the schema version."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for version, step in enumerate(MIGRATIONS, start=1):
        db.execute("BEGIN IMMEDIATE")
        try:
            # read inside the write transaction: another process (a CLI command while the service starts)
            # may have applied this step since we looked
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            newer = max(done, default=0)
            if newer > len(MIGRATIONS):
                raise SchemaError(
                    f"{db_path(db)} has schema version {newer}, newer than this contactpoint knows"
                    f" ({len(MIGRATIONS)}): it was used by a later release; update contactpoint or restore a backup"
                )
            if version not in done:
                step(db)
                db.execute("INSERT INTO schema_migrations VALUES (?, datetime('now'))", (version,))
            db.execute("COMMIT")
        except BaseException:
            rollback(db)
            raise
    return len(MIGRATIONS)


def rollback(db: sqlite3.Connection) -> None:
    """Roll back the transaction if it is still open. SQLite ends it by itself on some errors (a full disk among
    them): a ROLLBACK then fails with "cannot rollback - no transaction is active", hiding the real error."""
    if db.in_transaction:
        db.execute("ROLLBACK")


def is_full(e: BaseException) -> bool:
    """SQLITE_FULL: the disk is full (or the database reached its `max_page_count`)."""
    return isinstance(e, sqlite3.Error) and (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF == sqlite3.SQLITE_FULL


class SchemaError(RuntimeError):
    """The database cannot be used by this release (its schema is newer)."""


class StoreFull(RuntimeError):
    """The disk is full: the write was rolled back whole, nothing of it was kept (contactpoint.app answers 503)."""


def db_path(db: sqlite3.Connection) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else "the database"


def _dumps(d: dict[str, Any]) -> str:
    return json.dumps(d, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class EventStore:
    """The site's log and projection. `exclusive=True` (what the server opens) also takes the database's lock
    file, so that no second server or event-writing command can use it meanwhile; tools that only read, or only
    touch the agents' table (SQLite's own locking covers that), open it without."""

    def __init__(self, path: str | Path, *, exclusive: bool = False) -> None:
        self.path = str(path)
        self._lock = _hold(self.path + ".lock") if exclusive else None
        try:
            self.db = connect(self.path)
            migrate(self.db)
        except BaseException:
            self._release()
            raise
        self.write_lock = threading.RLock()  # the one writer
        self.full_since: float | None = None  # when a write last failed on a full disk; None once one succeeds
        self.checkpoint_due = False  # a day's erasure still waits for its WAL to be truncated

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file drops the flock
            self._lock = None

    def close(self) -> None:
        self.db.close()
        self._release()

    # -- writing -------------------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` … `COMMIT`, rolled back whole on any error. A full disk becomes StoreFull, logged
        once until a write succeeds again (then "space is back" is logged): the box recovers by itself."""
        with self.write_lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                blocking(db.execute, "COMMIT")  # the fsync: off gevent's loop
            except BaseException as e:
                rollback(db)
                if not is_full(e):
                    raise
                if self.full_since is None:
                    self.full_since = time.time()
                    log.error("cannot write %s: %s; nothing is saved until there is space again", self.path, e)
                raise StoreFull(str(e)) from e
            if self.full_since is not None:
                self.full_since = None
                log.warning("space is back: %s is written again", self.path)

    def commit(self, events: list[Event], state: SiteState) -> list[tuple[Event, Changes]]:
        """Append events, apply them to `state` and write the projection rows they change, in one transaction.

        On any failure nothing is written and the caller must reload its state (it was changed in memory).
        """
        out: list[tuple[Event, Changes]] = []
        closed = False
        with self.transaction() as db:
            for ev in events:
                cur = db.execute(
                    "INSERT INTO events (at, type, data) VALUES (?, ?, ?)", (ev.at, ev.type, _dumps(ev.data))
                )
                stored = Event(ev.type, ev.at, ev.data, int(cur.lastrowid or 0))
                ch = apply(state, stored)
                self._write_projection(state, stored, ch)
                if stored.type == "day_closed":  # when the day closes (a rebuild reads erased events)
                    erasure.erase_day(db, stored.data["day"], stored.seq, stored.at)
                    closed = True
                out.append((stored, ch))
        if closed:  # no page of the erased text stays in the WAL (else the day-close timer tries again)
            self.checkpoint_due = not erasure.truncate_wal(self.db, self.path)
        return out

    def _write_projection(self, state: SiteState, ev: Event, ch: Changes) -> None:
        db = self.db
        for tid in ch.tickets:
            t = state.tickets[tid]
            db.execute(
                "INSERT INTO tickets (id, day, need, number, state, token, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET need=excluded.need, state=excluded.state, data=excluded.data",
                (t.id, t.day, t.need, t.number, t.state.value, t.token, _dumps(t.to_dict())),
            )
        for cid in ch.counters:
            db.execute(
                "INSERT INTO counters (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data=excluded.data",
                (cid, _dumps(state.counters[cid].to_dict())),
            )
        for aid in ch.appointments:
            a = state.appointments[aid]
            db.execute(
                "INSERT INTO appointments (id, day, code, state, data) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET state=excluded.state, data=excluded.data",
                (a.id, a.day, a.code, a.state.value, _dumps(a.to_dict())),
            )
        if ev.type == "ticket_issued":
            db.execute(
                "INSERT INTO numbering (day, need, last) VALUES (?, ?, ?)"
                " ON CONFLICT (day, need) DO UPDATE SET last=max(last, excluded.last)",
                (ev.data["day"], ev.data["need"], ev.data["serial"]),
            )
        if ch.feedback:  # a tap, or the day closed: the satisfaction memory (contactpoint/store_feedback.py)
            store_feedback.write(db, state)
        if ch.site:  # the day, the printer or the calls changed: not rewritten for every ticket
            db.execute(
                "INSERT INTO state (key, value) VALUES ('site', ?)"
                " ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (_dumps({"day": state.day, "printer": state.printer, "calls": [c.to_dict() for c in state.calls],
                         "closed": state.closed}),),
            )

    # -- reading -------------------------------------------------------------------------------------------
    def load_state(self) -> SiteState:
        """The projection as stored: the current day's tickets, counters, numbering and last calls."""
        from contactpoint.domain.model import Call

        state = SiteState()
        row = self.db.execute("SELECT value FROM state WHERE key='site'").fetchone()
        if row:
            site = json.loads(row[0])
            state.day = site["day"]
            state.printer = site["printer"]
            state.calls = [Call(**c) for c in site["calls"]]
            state.closed = bool(site.get("closed", False))
        store_feedback.load(self.db, state)
        state.seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        for (data,) in self.db.execute("SELECT data FROM tickets WHERE day = ? AND NOT ?", (state.day, state.closed)):
            t = Ticket.from_dict(json.loads(data))
            state.tickets[t.id] = t
        for (data,) in self.db.execute("SELECT data FROM counters"):
            c = Counter.from_dict(json.loads(data))
            state.counters[c.id] = c
        for day, need, last in self.db.execute("SELECT day, need, last FROM numbering WHERE day = ?", (state.day,)):
            state.numbering[(day, need)] = last
        # today's and later appointments (older days left memory when they closed)
        for (data,) in self.db.execute("SELECT data FROM appointments WHERE day >= ?", (state.day,)):
            a = Appointment.from_dict(json.loads(data))
            state.appointments[a.id] = a
        state.reindex()
        return state

    def last_event_at(self) -> float:
        """The latest time in the log (0 when empty): no new event may be stamped before it."""
        return float(self.db.execute("SELECT coalesce(max(at), 0) FROM events").fetchone()[0])

    def appointments_of_day(self, day: str) -> list[Appointment]:
        """Every appointment of a day, including past days' (names purged once the day closed)."""
        with self.write_lock:
            rows = self.db.execute("SELECT data FROM appointments WHERE day = ?", (day,)).fetchall()
        return sorted((Appointment.from_dict(json.loads(d)) for (d,) in rows), key=lambda a: (a.slot_at, a.id))

    def events(self, after: int = 0) -> Iterator[Event]:
        with self.write_lock:  # one connection: never read another thread's open transaction
            rows = self.db.execute(
                "SELECT seq, at, type, data FROM events WHERE seq > ? ORDER BY seq", (after,)
            ).fetchall()
        for seq, at, typ, data in rows:
            yield Event(typ, at, json.loads(data), seq)

    def tickets_of_day(self, day: str) -> list[Ticket]:
        with self.write_lock:
            rows = self.db.execute("SELECT data FROM tickets WHERE day=?", (day,)).fetchall()
        return [Ticket.from_dict(json.loads(d)) for (d,) in rows]

    def dump_projection(self) -> dict[str, Any]:
        """Every projection table, for comparing a rebuilt projection with the live one."""
        out: dict[str, Any] = {}
        with self.write_lock:
            for table, order in (
                ("tickets", "id"),
                ("counters", "id"),
                ("numbering", "day, need"),
                ("state", "key"),
                ("appointments", "id"),
            ):
                out[table] = [tuple(r) for r in self.db.execute(f"SELECT * FROM {table} ORDER BY {order}")]  # noqa: S608
        return out

    def rebuild_projection(self) -> None:
        """Throw the projection away and derive it again from the log, in one transaction."""
        with self.write_lock:
            events = list(self.events())
            with self.transaction() as db:
                for table in ("tickets", "counters", "numbering", "state", "appointments"):
                    db.execute(f"DELETE FROM {table}")  # noqa: S608
                state = SiteState()
                for ev in events:
                    ch = apply(state, ev)
                    self._write_projection(state, ev, ch)

    # -- agents (accounts are configuration, not events) ---------------------------------------------------
    def add_agent(self, name: str, password_hash: str, role: str, now: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO agents (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET password_hash=excluded.password_hash, role=excluded.role, active=1",
                (name, password_hash, role, now),
            )

    def agent(self, name: str) -> tuple[str, str, bool] | None:
        with self.write_lock:
            row = self.db.execute("SELECT password_hash, role, active FROM agents WHERE name = ?", (name,)).fetchone()
        return (row[0], row[1], bool(row[2])) if row else None

    def agents(self) -> list[tuple[str, str, bool]]:
        with self.write_lock:
            rows = self.db.execute("SELECT name, role, active FROM agents ORDER BY name").fetchall()
        return [(r[0], r[1], bool(r[2])) for r in rows]

    def unlock_agent(self, name: str, now: float) -> bool:
        """A manager unlocked the account (login throttle); False when there is no such account."""
        with self.transaction() as db:
            return db.execute("UPDATE agents SET unlocked_at = ? WHERE name = ?", (now, name)).rowcount > 0

    def agent_unlocked_at(self, name: str) -> float:  # 0: never unlocked, or no such account
        with self.write_lock:
            row = self.db.execute("SELECT unlocked_at FROM agents WHERE name = ?", (name,)).fetchone()
        return float(row[0]) if row else 0.0

    def set_agent_active(self, name: str, active: bool) -> bool:
        """Disable (or enable again) an account; False when there is no such account."""
        with self.transaction() as db:
            return db.execute("UPDATE agents SET active = ? WHERE name = ?", (int(active), name)).rowcount > 0
