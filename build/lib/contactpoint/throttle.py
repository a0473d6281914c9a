"""The login throttle: failed logins slow down the (account, address) pair that made them, and no other.

A site's agents often share one public address (a NAT): a throttle per address would let one agent's typos, or
one guesser, lock every colleague out. So each pair of account name and address has its own streak of failures:
the first `free` failures cost nothing, then each one makes the pair wait before its next attempt, twice as
long as the one before (`base_delay`, 2×, 4×… up to `max_delay`). A success ends the pair's streak; a streak
with no new failure for `forget_after` seconds is forgotten.

Against password spraying (one address trying many names, each pair with its own free failures) there is a
looser ceiling per address: `per_address` failures within `window` seconds, counted over pairs that never
logged in from that address, refuse further attempts from it for names that never did either. A pair that has
logged in from that address (an agent at their usual tablet) is never held by the ceiling, only by its own
streak; so a guesser behind the site's NAT cannot lock the agents who work there out.

A manager's unlock (the manager's agents page, `contactpoint agent unlock NAME`) ends every streak of that
account, and lifts the ceiling for it for one window. In memory, one process: a restart forgets everything
(and the pairs known to have logged in). Bounded: each table holds at most `max_keys` entries; the oldest go
first. Pure: the caller passes the time (the engine's clock).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")
KNOWN_FOR = 30 * 86_400.0  # a pair that logged in is known for 30 days after its last login


def _make_room(table: dict[K, V], last: Callable[[V], float], max_keys: int, expired_before: float) -> None:
    """Before adding a key to a full table: drop what has expired, then (under a flood from countless
    addresses or names) the oldest half."""
    if len(table) < max_keys:
        return
    for k in [k for k, v in table.items() if last(v) < expired_before]:
        del table[k]
    if len(table) >= max_keys:
        for k in sorted(table, key=lambda k: last(table[k]))[: max_keys // 2]:
            del table[k]


@dataclass(slots=True)
class Streak:
    failures: int
    last: float


@dataclass(frozen=True, slots=True)
class Locked:
    """A pair that must wait now: what the manager's page lists."""

    name: str
    address: str
    failures: int
    wait: float


class LoginThrottle:
    def __init__(
        self,
        *,
        free: int = 5,
        base_delay: float = 15.0,
        max_delay: float = 900.0,
        forget_after: float = 86_400.0,
        per_address: int = 30,
        window: float = 600.0,
        max_keys: int = 10_000,
    ) -> None:
        self.free = free
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.per_address = per_address
        self.window = window
        self.max_keys = max_keys
        self._streaks: dict[tuple[str, str], Streak] = {}
        self._known: dict[tuple[str, str], float] = {}  # pairs that logged in, and when last
        self._unknown_fails: dict[str, deque[float]] = {}  # per address: failures of pairs never logged in
        self._lock = threading.Lock()

    def delay(self, failures: int) -> float:
        """How long a pair with this many failures in a row waits before its next attempt."""
        if failures < self.free:
            return 0.0
        return float(min(self.max_delay, self.base_delay * 2 ** min(failures - self.free, 40)))

    @staticmethod
    def _key(address: str, name: str) -> tuple[str, str]:
        return (name.casefold(), address)

    def _streak(self, key: tuple[str, str], now: float, unlocked_at: float) -> Streak | None:
        s = self._streaks.get(key)
        if s is not None and ((unlocked_at > 0 and s.last <= unlocked_at) or now - s.last > self.forget_after):
            del self._streaks[key]  # unlocked by a manager since, or forgotten
            return None
        return s

    def _recent(self, address: str, now: float) -> deque[float]:
        q = self._unknown_fails.get(address)
        if q is None:
            return deque()
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            del self._unknown_fails[address]
        return q

    def _is_known(self, key: tuple[str, str], now: float) -> bool:
        at = self._known.get(key)
        return at is not None and now - at <= KNOWN_FOR

    def retry_after(self, address: str, name: str, now: float, unlocked_at: float = 0.0) -> float:
        """Seconds before this pair may try again (0: now). `unlocked_at`: the account's last unlock (0: never)."""
        key = self._key(address, name)
        with self._lock:
            s = self._streak(key, now, unlocked_at)
            wait = max(0.0, s.last + self.delay(s.failures) - now) if s is not None else 0.0
            if not self._is_known(key, now) and not (unlocked_at > 0 and now - unlocked_at <= self.window):
                q = self._recent(address, now)
                if len(q) >= self.per_address:
                    wait = max(wait, self.window - (now - q[-self.per_address]))
            return wait

    def failed(self, address: str, name: str, now: float, unlocked_at: float = 0.0) -> float:
        """Count a failure; returns how long the pair now waits."""
        key = self._key(address, name)
        with self._lock:
            s = self._streak(key, now, unlocked_at)
            if s is None:
                _make_room(self._streaks, lambda v: v.last, self.max_keys, now - self.forget_after)
                s = self._streaks[key] = Streak(0, now)
            s.failures += 1
            s.last = now
            if not self._is_known(key, now):
                if address not in self._unknown_fails:
                    _make_room(self._unknown_fails, lambda q: q[-1] if q else 0.0, self.max_keys, now - self.window)
                self._unknown_fails.setdefault(address, deque()).append(now)
            return self.delay(s.failures)

    def succeeded(self, address: str, name: str, now: float) -> None:
        key = self._key(address, name)
        with self._lock:
            self._streaks.pop(key, None)
            if key not in self._known:
                _make_room(self._known, lambda at: at, self.max_keys, now - KNOWN_FOR)
            self._known[key] = now

    def unlock(self, name: str) -> int:
        """End every streak of this account (a manager's unlock); returns how many pairs were held."""
        folded = name.casefold()
        with self._lock:
            keys = [k for k in self._streaks if k[0] == folded]
            for k in keys:
                del self._streaks[k]
            return len(keys)

    def locked(self, now: float) -> list[Locked]:
        """The pairs that must wait now, the longest wait first."""
        with self._lock:
            out = [
                Locked(k[0], k[1], s.failures, s.last + self.delay(s.failures) - now)
                for k, s in self._streaks.items()
                if s.last + self.delay(s.failures) > now
            ]
        return sorted(out, key=lambda x: -x.wait)
