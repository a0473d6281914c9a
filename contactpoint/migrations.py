"""The box's database migrations: small numbered steps, each applied once in its own transaction by
`contactpoint.store.migrate`, which records them in the database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from contactpoint import erasure
from contactpoint.device_store import migrate as paired_devices
from contactpoint.report.outbox import migrate as report_outbox
from contactpoint.tally_store import m6_day_tallies


def _m1_events(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, type TEXT NOT NULL,"
        " data TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE tickets (id TEXT PRIMARY KEY, day TEXT NOT NULL, need TEXT NOT NULL, number TEXT NOT NULL,"
        " state TEXT NOT NULL, token TEXT NOT NULL UNIQUE, data TEXT NOT NULL)"
    )
    db.execute("CREATE UNIQUE INDEX tickets_number ON tickets (day, number)")
    db.execute("CREATE INDEX tickets_day_state ON tickets (day, state)")
    db.execute("CREATE TABLE counters (id TEXT PRIMARY KEY, data TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE numbering (day TEXT NOT NULL, need TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (day, need))"
    )
    db.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _m2_agents(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE agents (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,"
        " created_at REAL NOT NULL, active INTEGER NOT NULL DEFAULT 1)"
    )


def _m3_appointments(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE appointments (id TEXT PRIMARY KEY, day TEXT NOT NULL, code TEXT NOT NULL, state TEXT NOT NULL,"
        " data TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX appointments_day_code ON appointments (day, code)")


def _m4_append_only(db: sqlite3.Connection) -> None:
    # the log is the single source of truth: no event is ever deleted, its seq, time and type never change;
    # only personal fields are blanked when their day closes (migration 8, erasure.py)
    db.execute(
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
        " BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at"
        " OR NEW.type IS NOT OLD.type OR OLD.type != 'appointment_booked'"
        " BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )


def _m5_agent_unlock(db: sqlite3.Connection) -> None:  # a manager's last unlock (login throttle), any process
    db.execute("ALTER TABLE agents ADD COLUMN unlocked_at REAL NOT NULL DEFAULT 0")


def _m8_erasable(db: sqlite3.Connection) -> None:  # a closed day's personal fields may be blanked (erasure.py)
    erasure.migrate(db)


def _m7_settings(db: sqlite3.Connection) -> None:  # the browser's settings, read at every start: no log scan
    db.execute("CREATE INDEX events_settings ON events (seq) WHERE type = 'settings_changed'")


#: the steps in order; a database records the versions it had (its position here, from 1). A new step goes at the
#: end, in its own module when it belongs to one part of the box.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m1_events,
    _m2_agents,
    _m3_appointments,
    _m4_append_only,
    _m5_agent_unlock,
    m6_day_tallies,  # 6: the frozen per-day figures (contactpoint/tally_store.py)
    _m7_settings,  # 7: the browser's settings found without a scan of the log (contactpoint/site_settings.py)
    _m8_erasable,  # 8: a closed day's personal data may be blanked, nothing else (contactpoint/erasure.py)
    report_outbox,  # 9: the upstream reporter's outbox (contactpoint/report/outbox.py)
    paired_devices,  # 10: the paired devices and the pending pairing codes (contactpoint/device_store.py)
]
