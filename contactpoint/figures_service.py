"""The box's figures (`Box.figures`): the live tally of the open day, and the frozen tallies of closed days.

Subscribed to the event bus's `committed` moment, inside the engine's lock: each event is folded into the live
`DayTally` in O(1) (a few dictionary updates, no query, no write), so the ticket path does not get slower. The
rest happens off the engine's lock: when a day closes (or a late event reaches a closed day), the day is marked;
the broadcaster's thread (`broadcast` moment) or the next `history` read folds it again from the log, through a
read connection of its own (WAL: it never waits for the writer; under gevent in the thread pool, so the loop
serves on), and freezes it into `day_tallies`
(contactpoint/tally_store.py) in one short transaction, with a new revision when its figures changed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from contactpoint import tally_store
from contactpoint.bus import EventBus, Published
from contactpoint.concurrency import blocking
from contactpoint.domain.facts import Event
from contactpoint.domain.site import Site
from contactpoint.domain.tally import By, DayTally, FigureRow, FigureSettings, Key, Tally, rows_of
from contactpoint.store import EventStore

log = logging.getLogger(__name__)


class Figures:
    def __init__(self, site: Site, store: EventStore, now: Callable[[], float]) -> None:
        self.site = site
        self.store = store
        self.now = now
        self.settings = FigureSettings.of(site)
        self._lock = threading.Lock()  # the live tally: the bus's thread folds, pages read
        self._read_lock = threading.Lock()  # the read connection: one reader at a time
        self._reader = sqlite3.connect(store.path, check_same_thread=False, timeout=10.0)
        self._reader.execute("PRAGMA query_only = ON")
        self.live = DayTally(self.settings)
        self._open_day = ""  # the first day not closed yet: every earlier day is closed (days close forward)
        self._frozen: set[str] = set()
        self._dirty: set[str] = set()  # closed days to freeze (again)
        self._stopped = False
        self._load()

    def _load(self) -> None:
        """Fold the events since the last day closed: the open day's live figures after a restart."""
        with self._read_lock:
            db = self._reader
            self._frozen = set(tally_store.frozen_days(db))
            row = db.execute(  # from the log's end backwards: the last close is near it
                "SELECT seq, json_extract(data, '$.next_day') FROM events WHERE type = 'day_closed'"
                " ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        last = 0 if row is None else int(row[0])
        self._open_day = "" if row is None else str(row[1])
        for ev in self.store.events(after=last):
            self._fold(ev)
        self._dirty.update(d for d in self.live.days() if self.closed(d))  # late events since: check them

    def use_site(self, site: Site) -> None:
        """The site's settings changed (thresholds, organisations): tickets issued from now on are counted with
        them; a ticket already waiting keeps the threshold it was issued under."""
        with self._lock:
            self.site = site
            self.settings = self.live.settings = FigureSettings.of(site)

    def closed(self, day: str) -> bool:
        return day < self._open_day or day in self._frozen

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(self.committed)
        bus.subscribe(self.broadcast, when="broadcast")

    # -- a service of the box: it has nothing to start; stopping closes its read connection
    def start(self) -> None:
        pass

    def stop(self) -> None:
        with self._read_lock:
            self._stopped = True
            self._reader.close()

    # -- the bus ------------------------------------------------------------------------------------------
    def committed(self, batch: list[Published]) -> None:
        with self._lock:
            for p in batch:
                d = p.payload
                self._fold(Event(p.type, float(d["at"]), d["data"], p.seq))

    def _fold(self, ev: Event) -> None:
        self.live.add(ev)
        if ev.type == "day_closed":
            day = str(ev.data.get("day"))
            self._open_day = max(self._open_day, str(ev.data.get("next_day") or day))
            self._dirty.add(day)
        elif self.live.touched is not None and self.closed(self.live.touched[0]):
            self._dirty.add(self.live.touched[0])  # a late event: that day's figures are frozen again

    def broadcast(self, batch: list[Published]) -> None:
        if self._dirty and not self._stopped:  # the box's last batches after it stopped: frozen at next start
            self.freeze()

    # -- freezing -----------------------------------------------------------------------------------------
    def freeze(self) -> None:
        """Freeze every day marked (closed, or reached by a late event) from the log."""
        with self._lock:
            days, self._dirty = sorted(self._dirty), set()
            for day in days:
                self.live.pop_day(day)  # a closed day's figures come from the log from now on
        for day in days:
            try:
                self._freeze(day)
            except Exception:
                with self._lock:
                    self._dirty.add(day)  # tried again at the next batch or read
                log.exception("freezing the figures of %s failed", day)

    def _freeze(self, day: str) -> None:
        with self._read_lock:
            groups = blocking(tally_store.build, self._reader, self.settings, day, day)[day]
        self._write({day: groups})

    def _write(self, days: dict[str, dict[Key, Tally]]) -> None:
        with self.store.transaction() as db:
            for day, groups in days.items():
                revision = tally_store.write_frozen(db, day, groups)
                if revision is not None:
                    log.info("figures of %s frozen (revision %d)", day, revision)
        self._frozen.update(days)

    # -- reading ------------------------------------------------------------------------------------------
    def today(self, by: By = "need") -> list[FigureRow]:
        """The open day's figures so far: a ticket still waiting within its threshold is left out of the
        service level until it is called or passes it."""
        now = self.now()
        day = self.site.day_of(now)
        with self._lock:
            return self.live.rows(by, now=now, day=day)

    def history(self, day_from: str, day_to: str, by: By = "need") -> list[FigureRow]:
        """Rows of every day in [day_from, day_to]: closed days from their frozen tallies (frozen on first read
        when they were not yet: closed before the table existed, or while the box was off), the open day live."""
        if self._dirty:
            self.freeze()
        now = self.now()
        today = self.site.day_of(now)
        days = tally_store.days_between(day_from, day_to)
        with self._read_lock:
            frozen = tally_store.read_frozen(self._reader, day_from, day_to)
            missing = [d for d in days if d not in frozen and (self.closed(d) or d < today)]
            built = blocking(tally_store.build, self._reader, self.settings, missing[0], missing[-1]) if missing else {}
        if missing:
            self._write({d: built[d] for d in missing})
            frozen.update({d: built[d] for d in missing})
        groups: dict[Key, Tally] = {}
        for d in days:
            groups.update(frozen.get(d, {}))
        rows = rows_of(groups, by)
        with self._lock:
            live = [r for d in days if d not in frozen for r in self.live.rows(by, now=now, day=d)]
        return sorted(rows + live, key=tally_store.row_order)


def init_box(box: object) -> Figures:
    """Build the box's figures and subscribe them to its bus (contactpoint/app.py)."""
    from contactpoint.box import Box

    assert isinstance(box, Box)
    figures = Figures(box.site, box.store, box.engine.now)
    figures.subscribe(box.bus)
    box.add_service(figures)
    return figures
