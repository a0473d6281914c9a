"""The reporter, a box service: folds committed events into windows (O(1) each, inside the engine's lock, no
query, no write), and every `every_seconds`, off the ticket path, records the windows that changed in the
outbox and sends what the hub does not have yet, in signed batches, retrying with backoff. A hub that is down
for days costs the box nothing but rows in the outbox: a ticket never waits for the reporter.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from contactpoint import report_format
from contactpoint.box import Periodic
from contactpoint.bus import EventBus, Published
from contactpoint.domain.facts import Event
from contactpoint.domain.histogram import BUCKET_EDGES_S
from contactpoint.domain.site import Site
from contactpoint.report import delivery, outbox
from contactpoint.report.settings import KeyMissing, ReportSettings
from contactpoint.report.windows import Windows
from contactpoint.store import EventStore

log = logging.getLogger(__name__)
MEMORY_DAYS = 2  # the days whose windows the reporter folds in memory: today and yesterday (a late event)


@dataclass(frozen=True, slots=True)
class Health:
    unreachable_since: float | None  # failing for longer than the setting's threshold
    status: outbox.Status


class Reporter:
    def __init__(self, site: Site, store: EventStore, settings: ReportSettings, now: Callable[[], float],
                 *, send: Callable[..., delivery.Answer] = delivery.post, rng: random.Random | None = None) -> None:
        self.site = site
        self.store = store
        self.settings = settings
        self.now = now
        self.send = send  # delivery.post; the tests' hub is a real server, this only lets them count tries
        self.rng = rng or random.Random()
        self._lock = threading.Lock()
        self.windows = Windows(site)
        self._next_try = 0.0
        self._failures = 0
        self._periodic = Periodic("reporter", settings.every_seconds, self.tick)
        self._load()

    # -- folding ------------------------------------------------------------------------------------------
    def _first_day(self) -> str:
        today = date.fromisoformat(self.site.day_of(self.now()))
        return (today - timedelta(days=MEMORY_DAYS - 1)).isoformat()

    def _load(self) -> None:
        """Fold the log's events of the recent days: the same windows after a restart as before it."""
        first = self._first_day()
        with self.store.write_lock:
            row = self.store.db.execute(
                "SELECT coalesce(min(seq), 0) FROM events WHERE at >= ?", (_day_start(self.site, first),)
            ).fetchone()
            state = outbox.status(self.store.db)
        after = max(0, int(row[0]) - 1)
        for ev in self.store.events(after=after):
            self.windows.add(ev)
        self._failures = 1 if state.failing_since else 0

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(self.committed)

    def committed(self, batch: list[Published]) -> None:
        with self._lock:
            for p in batch:
                d = p.payload
                self.windows.add(Event(p.type, float(d["at"]), d["data"], p.seq))

    # -- the service --------------------------------------------------------------------------------------
    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()

    def tick(self) -> None:
        """Record what changed, purge what is too old, then deliver if it is time."""
        try:
            self.flush()
            now = self.now()
            if now >= self._next_try:
                self.deliver()
        except Exception:  # the reporter never takes the box down; it says what failed in its status
            log.exception("the reporter's round failed")

    def flush(self) -> int:
        now = self.now()
        with self._lock:
            changed = self.windows.changed(now)
            self.windows.forget_before(self._first_day())
        keep_from = (date.fromisoformat(self.site.day_of(now)) - timedelta(days=self.settings.keep_days)).isoformat()
        with self.store.transaction() as db:
            n = outbox.record(db, changed, now)
            lost = outbox.purge(db, keep_from)
        if lost:
            log.warning("the outbox dropped %d windows older than %d days that the hub never had", lost,
                        self.settings.keep_days)
        return n

    def deliver(self) -> int:
        """Send pending windows in batches until none is left or a batch fails; returns the windows delivered."""
        sent = 0
        while True:
            with self.store.write_lock:
                batch = outbox.pending(self.store.db, self.settings.batch_windows)
            if not batch:
                return sent
            answer = self._send(batch)
            now = self.now()
            with self.store.transaction() as db:
                if answer.delivered:
                    outbox.acknowledge(db, batch)
                    outbox.put(db, "last_success_at", now)
                    outbox.put(db, "failing_since", None)
                    outbox.put(db, "batch", None)
                else:
                    outbox.put(db, "last_error", answer.error)
                    outbox.put(db, "last_error_at", now)
                    if outbox.get(db, "failing_since") is None:
                        outbox.put(db, "failing_since", now)
            if not answer.delivered:
                self._failures += 1
                self._next_try = now + delivery.backoff_s(self._failures, self.rng)
                log.warning("report to the hub failed (%s); next try in %.0f s", answer.error,
                            self._next_try - now)
                return sent
            self._failures = 0
            self._next_try = 0.0
            sent += len(batch)

    def _send(self, batch: list[outbox.Pending]) -> delivery.Answer:
        body = report_format.encode({
            "format": report_format.FORMAT,
            "site": self.site.id,
            "tz": getattr(self.site.tz, "key", str(self.site.tz)),
            "sent_at": int(time.time()),
            "bucket_edges_s": [int(e) for e in BUCKET_EDGES_S],
            "windows": [p.body for p in batch],
        })
        try:
            key = self.settings.key()
        except KeyMissing as e:
            return delivery.Answer(False, None, str(e))
        # the same batch keeps its id through its retries: a hub that stored it says 409, which is delivered
        msg_id = self._batch_id(batch)
        # signed at the wall clock's time, which the hub checks against its own (5 minutes of tolerance)
        return self.send(self.settings.ingest_url, key, msg_id, body, time.time(),
                         timeout=self.settings.timeout_seconds, ca_file=self.settings.ca_file)

    def _batch_id(self, batch: list[outbox.Pending]) -> str:
        ident = [[p.start, p.need, p.revision] for p in batch]
        with self.store.transaction() as db:
            kept = outbox.get(db, "batch")
            if kept and kept.get("windows") == ident:
                return str(kept["id"])
            msg_id = f"msg_{uuid.uuid4().hex}"
            outbox.put(db, "batch", {"id": msg_id, "windows": ident})
        return msg_id

    # -- reading ------------------------------------------------------------------------------------------
    def health(self) -> Health:
        with self.store.write_lock:
            st = outbox.status(self.store.db)
        since = st.failing_since
        late = since is not None and self.now() - since >= 60 * self.settings.unreachable_after_minutes
        return Health(since if late else None, st)


def _day_start(site: Site, day: str) -> float:
    from datetime import datetime, time

    return datetime.combine(date.fromisoformat(day), time(0), site.tz).timestamp()


def status_of(store: EventStore) -> dict[str, Any]:
    """The outbox's status as `contactpoint report status` prints it (no reporter needed: read from the file)."""
    with store.write_lock:
        return outbox.status(store.db).to_dict()
