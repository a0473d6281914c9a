"""The one event bus: after each commit, every subscriber receives the committed events, in seq order.

Two moments, one place to subscribe:

- `committed`: called by the engine inside its lock, right after the transaction, so subscribers see events in
  seq order. It must be quick and must not write (the broadcaster only queues them here).
- `broadcast`: called on the broadcaster's thread once the pages were sent a batch (coalesced: several commits
  at once), off the engine's lock: work that may take time or read the engine (a phone's view, pre-rendering a
  call's announcement).

A subscriber that raises is logged, never passed on: the events are committed whatever it does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Published:
    """One committed event as the pages receive it: the fact and the entities it changed (no tokens)."""

    seq: int
    type: str
    payload: dict[str, Any]


Subscriber = Callable[[list[Published]], None]
Moment = Literal["committed", "broadcast"]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[Moment, list[Subscriber]] = {"committed": [], "broadcast": []}

    def subscribe(self, subscriber: Subscriber, *, when: Moment = "committed") -> None:
        self._subscribers[when].append(subscriber)

    def subscribers(self, when: Moment) -> tuple[Subscriber, ...]:
        return tuple(self._subscribers[when])

    def committed(self, batch: list[Published]) -> None:
        """The engine's call, inside its lock, after each commit."""
        self._deliver("committed", batch)

    def broadcast(self, batch: list[Published]) -> None:
        """The broadcaster's call, after it sent a batch to the pages."""
        self._deliver("broadcast", batch)

    def _deliver(self, when: Moment, batch: list[Published]) -> None:
        for subscriber in self._subscribers[when]:
            try:
                subscriber(batch)
            except Exception:
                log.exception("event bus subscriber %r failed (%s)", subscriber, when)
