"""Broadcast committed events to the pages, coalesced.

The first event after a quiet spell (10 ms without an event) goes out at once: an agent's call reaches the
display without delay. Events of a burst (tickets issued several a second) leave together, one message per
namespace at most every `window` seconds, so 300 tickets a second cost 20 broadcasts a second, not 300. Each
message covers a contiguous range of seqs (`from`..`to`), so a page that sees `from` ≠ its last seq + 1 knows
it missed something and resyncs from `GET /api/state`. Each namespace receives only the event types it is
allowed to see (the help alert never reaches the waiting room), but always the whole seq range.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask_socketio import SocketIO

from contactpoint.box import Worker
from contactpoint.bus import EventBus, Published
from contactpoint.domain.events import PAGES, received_by, received_by_agents
from contactpoint.engine import redact

# namespace -> event types it receives (None: all), from each event type's declaration (domain/events.py)
AUDIENCES: dict[str, frozenset[str] | None] = {"/counter": None} | {f"/{page}": received_by(page) for page in PAGES}
# the agents' page (None above) receives its events unredacted, but only the types declared for agents: a visitor's
# rating (`feedback_given`) never reaches it, only its seq (the range stays contiguous)
AGENT_TYPES = received_by_agents()


class Broadcaster(Worker):
    name = "broadcaster"

    def __init__(
        self,
        socketio: SocketIO,
        summary: Callable[[], dict[str, Any]],
        window: float = 0.02,
        bus: EventBus | None = None,
    ) -> None:
        """Subscribes to `bus` (its committed events) and hands it each batch once sent (`broadcast`)."""
        super().__init__()
        self.socketio = socketio
        self.bus = bus
        if bus is not None:
            bus.subscribe(self.publish)
        self.summary = summary
        self.window = window
        self._pending: list[Published] = []
        self._cv = threading.Condition()
        self._last_flush = 0.0
        self._last_event = 0.0
        self._urgent = False
        self.quiet = 0.01  # an event this long after the previous one is not part of a burst
        self._last_summary = 0.0
        self._summary_stale = False
        self.summary_every = 0.25
        self._stopped = False

    def _wake(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()

    def publish(self, items: list[Published]) -> None:
        now = time.monotonic()
        with self._cv:
            if not self._pending and now - self._last_event >= self.quiet:
                self._urgent = True  # the first event after a quiet spell: an agent's call, say
            self._last_event = now
            self._pending.extend(items)
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._stopped:
                    due = self._last_summary + self.summary_every - time.monotonic()
                    if self._summary_stale and due <= 0:
                        break
                    self._cv.wait(due if self._summary_stale else None)
                if self._stopped:
                    return
                quiet = not self._pending
            try:
                if quiet:  # the last burst left without an up-to-date summary: send it now
                    self.flush_summary()
                    continue
                with self._cv:
                    urgent, self._urgent = self._urgent, False
                delay = 0.0 if urgent else self._last_flush + self.window - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # a burst: let it gather
                with self._cv:
                    batch, self._pending = self._pending, []
                self._last_flush = time.monotonic()
                self.flush(batch)
            except Exception:  # a broken client must never stop the broadcasts
                import logging

                logging.getLogger(__name__).exception("broadcast failed")

    def _summary_due(self) -> dict[str, Any] | None:
        """The summary when it is due (a few times a second at most under a burst: it is for people)."""
        now = time.monotonic()
        if now - self._last_summary < self.summary_every:
            self._summary_stale = True
            return None
        self._last_summary = now
        self._summary_stale = False
        return self.summary()

    def flush_summary(self) -> None:
        summary = self._summary_due()
        if summary is not None:
            for ns in AUDIENCES:
                self.socketio.emit("summary", summary, namespace=ns)

    def flush(self, batch: list[Published]) -> None:
        if not batch:
            return
        first, last = batch[0].seq, batch[-1].seq
        summary = self._summary_due()
        for ns, types in AUDIENCES.items():
            if types is None:
                events = [p.payload for p in batch if p.type in AGENT_TYPES]
            else:
                events = [redact(p.payload) for p in batch if p.type in types]
            self.socketio.emit(
                "events", {"from": first, "to": last, "events": events, "summary": summary}, namespace=ns
            )
        if self.bus is not None:
            self.bus.broadcast(batch)  # e.g. per-ticket phone rooms, the calls' announcements
