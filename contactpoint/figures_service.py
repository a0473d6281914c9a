"""The box's figures (`Box.figures`): the live tally of the open day(s), and the frozen tallies of closed days.

Subscribed to the event bus's `committed` moment, inside the engine's lock: each event is folded into the live
`DayTally` in O(1) (a few dictionary updates, no query, no write), so the ticket path does not get slower. The
writes happen later, off the engine's lock: when a day closes (or a late event reaches a closed day), the day is
marked; the broadcaster's thread (`broadcast` moment) or the next `history` read freezes it from the log into
`day_tallies` (contactpoint/tally_store.py), with a new revision when its figures changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from contactpoint import tally_store
from contactpoint.bus import EventBus, Published
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
        self.live = DayTally(self.settings)
        self._closed: set[str] = set()  # days closed: their figures are frozen, not live
        self._dirty: set[str] = set()  # closed days to freeze (again)
        self._load()

    def _load(self) -> None:
        """Fold the events since the last day closed: the open day's live figures after a restart."""
        with self.store.write_lock:
            db = self.store.db
            self._closed = set(tally_store.frozen_days(db))
            closed = [d for (d,) in db.execute("SELECT json_extract(data, '$.day') FROM events WHERE type = ?",
                                               ("day_closed",))]
            last = db.execute("SELECT coalesce(max(seq), 0) FROM events WHERE type = 'day_closed'").fetchone()[0]
        self._closed.update(closed)
        for ev in self.store.events(after=last):
            self._fold(ev)
        self._dirty.update(d for d in self.live.days() if d in self._closed)  # late events since: check them

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(self.committed)
        bus.subscribe(self.broadcast, when="broadcast")

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
            self._closed.add(day)
            self._dirty.add(day)
        elif self.live.touched is not None and self.live.touched[0] in self._closed:
            self._dirty.add(self.live.touched[0])  # a late event: that day's figures are frozen again

    def broadcast(self, batch: list[Published]) -> None:
        if self._dirty:
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

    def _freeze(self, day: str) -> int | None:
        with self.store.write_lock:
            groups = tally_store.build(self.store.db, self.settings, day, day)[day]
            with self.store.transaction() as db:
                revision = tally_store.write_frozen(db, day, groups)
        if revision is not None:
            log.info("figures of %s frozen (revision %d)", day, revision)
        return revision

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
        when they were not yet), open days live."""
        if self._dirty:
            self.freeze()
        now = self.now()
        today = self.site.day_of(now)
        days = tally_store.days_between(day_from, day_to)
        with self.store.write_lock:
            frozen = tally_store.read_frozen(self.store.db, day_from, day_to)
        missing = [d for d in days if d not in frozen and (d in self._closed or d < today)]
        if missing:
            with self.store.write_lock:
                built = tally_store.build(self.store.db, self.settings, missing[0], missing[-1])
                with self.store.transaction() as db:
                    for d in missing:
                        if d in self._closed or d < today:
                            tally_store.write_frozen(db, d, built[d])
                            frozen[d] = built[d]
        groups: dict[Key, Tally] = {}
        for d in days:
            groups.update(frozen.get(d, {}))
        rows = rows_of(groups, by)
        with self._lock:
            live_days = [d for d in days if d not in frozen]
            live = [r for d in live_days for r in self.live.rows(by, now=now, day=d)]
        return sorted(rows + live, key=_order)


def _order(r: FigureRow) -> tuple[str, int, bool, str]:
    return (r.day, -1 if r.hour is None else r.hour, r.need != "all", r.need)


def init_box(box: object) -> Figures:
    """Build the box's figures and subscribe them to its bus (contactpoint/app.py)."""
    from contactpoint.box import Box

    assert isinstance(box, Box)
    figures = Figures(box.site, box.store, box.engine.now)
    figures.subscribe(box.bus)
    return figures
