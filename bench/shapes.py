"""The shape of one ticket's write, as contactpoint.store writes it: one event row with a JSON payload, one
ticket row upserted, one numbering row upserted, in a `BEGIN IMMEDIATE` transaction (WAL, synchronous=FULL).

Only the standard library: it runs in the server's interpreter (floor_app) as well as in the bench.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,"
    " type TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, day TEXT NOT NULL, need TEXT NOT NULL,"
    " number TEXT NOT NULL, state TEXT NOT NULL, token TEXT NOT NULL UNIQUE, data TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS tickets_number ON tickets (day, number)",
    "CREATE INDEX IF NOT EXISTS tickets_day_state ON tickets (day, state)",
    "CREATE TABLE IF NOT EXISTS numbering (day TEXT NOT NULL, need TEXT NOT NULL, last INTEGER NOT NULL,"
    " PRIMARY KEY (day, need))",
)


def _dumps(d: dict[str, Any]) -> str:
    return json.dumps(d, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class TicketWriter:
    """One writer connection, one lock: the store's discipline, without the domain."""

    def __init__(self, path: str | Path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        for stmt in SCHEMA:
            self.db.execute(stmt)
        self.lock = threading.Lock()
        self.serial = 0
        self.day = time.strftime("%Y-%m-%d")

    def issue(self, need: str = "moving", lang: str = "fr") -> dict[str, Any]:
        with self.lock:
            self.serial += 1
            serial = self.serial
            now = time.time()
            tid, token = secrets.token_hex(8), secrets.token_urlsafe(16)
            number = f"A{serial:03d}"
            ticket = {  # the same keys as Ticket.to_dict(), so the row is as long as ours
                "agent": None,
                "appointment_id": None,
                "called_at": None,
                "calls": 0,
                "cancel_reason": None,
                "counter": None,
                "day": self.day,
                "finished_at": None,
                "id": tid,
                "issued_at": now,
                "lang": lang,
                "last_called_at": None,
                "need": need,
                "no_show_at": None,
                "note": None,
                "number": number,
                "out_of_order": False,
                "outcome": None,
                "priority": False,
                "queue_at": now,
                "referral": None,
                "serial": serial,
                "serving_at": None,
                "slot_at": None,
                "state": "issued",
                "target_agent": None,
                "target_counter": None,
                "token": token,
            }
            data = {
                "day": self.day,
                "need": need,
                "lang": lang,
                "serial": serial,
                "number": number,
                "ticket": tid,
                "token": token,
                "priority": False,
            }
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT INTO events (at, type, data) VALUES (?, ?, ?)", (now, "ticket_issued", _dumps(data)))
                db.execute(
                    "INSERT INTO tickets (id, day, need, number, state, token, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET need=excluded.need, state=excluded.state, data=excluded.data",
                    (tid, self.day, need, number, "issued", token, _dumps(ticket)),
                )
                db.execute(
                    "INSERT INTO numbering (day, need, last) VALUES (?, ?, ?)"
                    " ON CONFLICT (day, need) DO UPDATE SET last=max(last, excluded.last)",
                    (self.day, need, serial),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return {"number": number, "token": token, "day": self.day}
