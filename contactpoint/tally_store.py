"""The frozen per-day tallies (table `day_tallies`, migration 6) and reading a range of days back from the log.

A closed day's figures are frozen as rows (day, need, hour, revision, data): one per group of the day (need ''
for what belongs to the site, not to a need: help alerts, taps without a need) plus a header row (need '',
hour -1) so that a day without any visit is frozen too. A late event for a closed day freezes it again, with
revision + 1 (only when its figures changed). Used by the box's Figures service and by `contactpoint figures`,
which reads the database with a read-only connection of its own.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from contactpoint.domain.facts import Event
from contactpoint.domain.tally import DayTally, FigureSettings, Key, Tally

HEADER_HOUR = -1
SITE_NEED = ""


def m6_day_tallies(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE day_tallies (day TEXT NOT NULL, need TEXT NOT NULL, hour INTEGER NOT NULL,"
        " revision INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (day, need, hour))"
    )


def frozen_days(db: sqlite3.Connection) -> dict[str, int]:
    """Every frozen day and its revision."""
    return {d: r for d, r in db.execute("SELECT day, revision FROM day_tallies WHERE hour = ?", (HEADER_HOUR,))}


def read_frozen(db: sqlite3.Connection, day_from: str, day_to: str) -> dict[str, dict[Key, Tally]]:
    """The frozen groups of the days in [day_from, day_to] (a frozen day without visits maps to {})."""
    out: dict[str, dict[Key, Tally]] = {}
    rows = db.execute(
        "SELECT day, need, hour, data FROM day_tallies WHERE day BETWEEN ? AND ? ORDER BY day, need, hour",
        (day_from, day_to),
    ).fetchall()
    for day, need, hour, data in rows:
        groups = out.setdefault(day, {})
        if hour != HEADER_HOUR:
            groups[(day, need or None, int(hour))] = Tally.from_dict(json.loads(data))
    return out


def _dumps(groups: dict[Key, Tally]) -> dict[tuple[str, int], str]:
    return {
        (need or SITE_NEED, hour): json.dumps(t.to_dict(), sort_keys=True, separators=(",", ":"))
        for (_, need, hour), t in groups.items()
    }


def write_frozen(db: sqlite3.Connection, day: str, groups: dict[Key, Tally]) -> int | None:
    """Freeze a day's groups (inside the caller's transaction): revision 1, or the last + 1 when they changed.
    Returns the new revision, or None when the day was frozen already with the same figures."""
    new = _dumps(groups)
    old_rows = db.execute("SELECT need, hour, revision, data FROM day_tallies WHERE day = ?", (day,)).fetchall()
    revision = next((r for _, h, r, _ in old_rows if h == HEADER_HOUR), 0)
    old = {(n, h): d for n, h, _, d in old_rows if h != HEADER_HOUR}
    if revision and old == new:
        return None
    revision += 1
    db.execute("DELETE FROM day_tallies WHERE day = ?", (day,))
    db.execute("INSERT INTO day_tallies VALUES (?, ?, ?, ?, '{}')", (day, SITE_NEED, HEADER_HOUR, revision))
    db.executemany(
        "INSERT INTO day_tallies VALUES (?, ?, ?, ?, ?)",
        [(day, need, hour, revision, data) for (need, hour), data in sorted(new.items())],
    )
    return revision


def _midnight(settings: FigureSettings, day: str) -> float:
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=settings.tz).timestamp()


def events_for(db: sqlite3.Connection, settings: FigureSettings, day_from: str, day_to: str) -> Iterator[Event]:
    """The events the figures of [day_from, day_to] are made of, in seq order: from the first local midnight
    (an hour early: a clock that lagged) to the `day_closed` of `day_to` (or the log's end), then the contacts
    logged later for those days."""
    start = _midnight(settings, day_from) - 3600.0
    row = db.execute(
        "SELECT min(seq) FROM events WHERE type = 'day_closed' AND json_extract(data, '$.day') >= ?", (day_to,)
    ).fetchone()
    end = row[0] if row and row[0] is not None else None
    after = end if end is not None else 2**62
    rows = db.execute(
        "SELECT seq, at, type, data FROM events WHERE (at >= ? AND seq <= ?)"
        " OR (seq > ? AND type = 'contact_logged' AND json_extract(data, '$.day') BETWEEN ? AND ?) ORDER BY seq",
        (start, after, after, day_from, day_to),
    )
    for seq, at, typ, data in rows:
        yield Event(typ, at, json.loads(data), seq)


def build(db: sqlite3.Connection, settings: FigureSettings, day_from: str, day_to: str) -> dict[str, dict[Key, Tally]]:
    """The groups of each day in [day_from, day_to], folded from the log (a day without any event maps to {})."""
    tally = DayTally(settings)
    for ev in events_for(db, settings, day_from, day_to):
        tally.add(ev)
    out: dict[str, dict[Key, Tally]] = {d: {} for d in days_between(day_from, day_to)}
    for key, t in tally.groups.items():
        if key[0] in out:
            out[key[0]][key] = t
    return out


def days_between(day_from: str, day_to: str) -> list[str]:
    a, b = date.fromisoformat(day_from), date.fromisoformat(day_to)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]
