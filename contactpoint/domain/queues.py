"""Indexes of the day's tickets, kept in step by `apply` (pure: no IO).

Every ticket change goes through one place (`events._set_ticket`), which hands the ticket before and after to
`DayIndex.replace`; loading a projection or closing a day rebuilds the index from the tickets that remain. So a
visitor's place, a newcomer's estimate, a need's capacity and a token look-up cost a binary search or a dict
look-up, never a walk over the day's tickets: the thousandth visitor costs what the first did.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from heapq import heappop, heappush

from .figures import service_time
from .model import WAITING, Ticket, TicketState
from .ordering import sort_key
from .site import QueuePolicy

RECENT_VISITS = 20  # the wait estimate uses the median service time of the need's last visits

Entry = tuple[float, float, str, int, str]  # sort_key, then the ticket id (unique, so removal is exact)


def _advances(policy: QueuePolicy) -> tuple[float, float]:
    return (policy.priority_advance_s, policy.appointment_advance_s)


class WaitingLine:
    """One need's waiting tickets, in calling order (`ordering.sort_key`).

    The order depends on the site's queue policy, which the projection does not know: the line is sorted for the
    policy of its first query, and sorted again only if a query ever brings another one (in practice: never).
    """

    __slots__ = ("tickets", "_entries", "_sorted_for", "_issued")

    def __init__(self) -> None:
        self.tickets: dict[str, Ticket] = {}
        self._entries: list[Entry] = []
        self._sorted_for: QueuePolicy | None = None
        self._issued: list[tuple[float, str]] = []  # a heap of (issued_at, id); ids that left are dropped lazily

    def __len__(self) -> int:
        return len(self.tickets)

    def _entry(self, t: Ticket, policy: QueuePolicy) -> Entry:
        return (*sort_key(t, policy), t.id)

    def add(self, t: Ticket) -> None:
        old = self.tickets.get(t.id)
        if old is not None:
            self.remove(old)
        self.tickets[t.id] = t
        heappush(self._issued, (t.issued_at, t.id))
        if self._sorted_for is not None:
            insort(self._entries, self._entry(t, self._sorted_for))

    def remove(self, t: Ticket) -> None:
        old = self.tickets.pop(t.id, None)
        if old is not None and self._sorted_for is not None:
            entry = self._entry(old, self._sorted_for)
            i = bisect_left(self._entries, entry)
            if i < len(self._entries) and self._entries[i] == entry:
                del self._entries[i]

    def _sorted(self, policy: QueuePolicy) -> list[Entry]:
        if self._sorted_for is None or _advances(self._sorted_for) != _advances(policy):
            self._entries = sorted(self._entry(t, policy) for t in self.tickets.values())
            self._sorted_for = policy
        return self._entries

    def position(self, t: Ticket, policy: QueuePolicy) -> int:
        """How many of the line come before `t` (0 = next): `ordering.position` over the line."""
        if t.state not in WAITING:
            return 0
        return bisect_left(self._sorted(policy), (*sort_key(t, policy), ""))  # "": before any id

    def placed_by(self, at: float, policy: QueuePolicy) -> int:
        """How many of the line are placed at or before the effective time `at` (a newcomer's ahead count)."""
        return bisect_right(self._sorted(policy), (at, math.inf, "", 0, ""))

    def oldest_issued_at(self) -> float | None:
        """The issue time of the line's longest waiting ticket (for the summary's longest wait)."""
        heap = self._issued
        while heap and heap[0][1] not in self.tickets:
            heappop(heap)
        return heap[0][0] if heap else None


class DayIndex:
    """Waiting lines per need, walk-in counts per (day, need), recent service times per need, tokens."""

    __slots__ = ("lines", "walk_ins", "service", "tokens", "last_finished")

    def __init__(self, tickets: Iterable[Ticket] = ()) -> None:
        self.lines: dict[str, WaitingLine] = {}
        self.walk_ins: dict[tuple[str, str], int] = {}  # (day, need) -> tickets issued without an appointment
        self.service: dict[str, list[float]] = {}  # need -> service times of the last visits, in finish order
        self.tokens: dict[str, str] = {}  # token -> ticket id
        self.last_finished: Ticket | None = None  # the visit that finished last (a tablet tap may take its need)
        ts = list(tickets)
        for t in ts:
            self.replace(None, t, finished=False)
        done = sorted((t for t in ts if t.state == TicketState.DONE), key=lambda t: t.finished_at or 0)
        for t in done:
            self._note_service(t)

    def line(self, need: str) -> WaitingLine:
        line = self.lines.get(need)
        if line is None:
            line = self.lines[need] = WaitingLine()
        return line

    def _note_service(self, t: Ticket) -> None:
        if self.last_finished is None or (t.finished_at or 0) >= (self.last_finished.finished_at or 0):
            self.last_finished = t
        s = service_time(t)
        if s is not None:
            times = self.service.setdefault(t.need, [])
            times.append(s)
            del times[:-RECENT_VISITS]

    def replace(self, before: Ticket | None, after: Ticket | None, *, finished: bool = True) -> None:
        """A ticket changed (`before` None: new; `after` None: gone). `finished`: a visit that ends now counts
        among the need's recent service times."""
        if before is not None:
            if before.state in WAITING:
                self.line(before.need).remove(before)
            if before.appointment_id is None:
                key = (before.day, before.need)
                self.walk_ins[key] -= 1
            if after is None:
                self.tokens.pop(before.token, None)
        if after is not None:
            if after.state in WAITING:
                self.line(after.need).add(after)
            if after.appointment_id is None:
                key = (after.day, after.need)
                self.walk_ins[key] = self.walk_ins.get(key, 0) + 1
            self.tokens[after.token] = after.id
            if finished and after.state == TicketState.DONE and (before is None or before.state != TicketState.DONE):
                self._note_service(after)

    def waiting(self, need: str) -> int:
        line = self.lines.get(need)
        return 0 if line is None else len(line)

    def position(self, t: Ticket, policy: QueuePolicy) -> int:
        line = self.lines.get(t.need)
        return 0 if line is None else line.position(t, policy)

    def ahead_of_newcomer(self, need: str, now: float, policy: QueuePolicy, priority: bool = False) -> int:
        """Waiting tickets of a need placed at or before a ticket issued now (`refusals.newcomer_wait_s`)."""
        line = self.lines.get(need)
        if line is None:
            return 0
        mine = now - (policy.priority_advance_s if priority else 0.0)
        return line.placed_by(mine, policy)

    def recent(self, need: str) -> list[float]:
        return list(self.service.get(need, ()))


__all__ = ["DayIndex", "WaitingLine", "RECENT_VISITS"]
