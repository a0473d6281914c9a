"""The satisfaction memory in the projection: which of today's tickets answered the question (a phone answers
once) and the last taps (the negative run), one row `feedback` of the `state` table, written in the event's own
transaction (contactpoint/store.py) and read back when the box starts, so a restart forgets neither."""

from __future__ import annotations

import json
import sqlite3

from contactpoint.domain.model import SiteState


def write(db: sqlite3.Connection, state: SiteState) -> None:
    value = json.dumps({"answered": sorted(state.answered), "taps": [list(t) for t in state.taps]},
                       separators=(",", ":"))
    db.execute(
        "INSERT INTO state (key, value) VALUES ('feedback', ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
        (value,),
    )


def load(db: sqlite3.Connection, state: SiteState) -> None:
    row = db.execute("SELECT value FROM state WHERE key='feedback'").fetchone()
    if row:
        memory = json.loads(row[0])
        state.answered = set(memory["answered"])
        state.taps = [(float(at), int(score)) for at, score in memory["taps"]]
