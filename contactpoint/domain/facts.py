"""Events as stored, the changes applying one makes, and the few moves every event handler shares (pure).

`handlers.py` changes the state for each event type through these moves only, so that every ticket change
reaches the projection's index (`set_ticket`) and every changed entity is named in the `Changes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .model import TRANSITIONS, Counter, SiteState, Ticket

MAX_CALLS = 20


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    at: float
    data: dict[str, Any]
    seq: int = 0  # given by the store when appended


@dataclass(slots=True)
class Changes:
    tickets: set[str] = field(default_factory=set)
    counters: set[str] = field(default_factory=set)
    dropped_day: str | None = None  # a closed day whose tickets left the projection
    appointments: set[str] = field(default_factory=set)
    site: bool = False  # the site-wide part changed: the day, the printer's status or the last calls
    feedback: bool = False  # the satisfaction memory changed: tickets answered, the last taps


def counter_of(state: SiteState, counter_id: str) -> Counter:
    return state.counters.get(counter_id) or Counter(id=counter_id)


def set_ticket(state: SiteState, ch: Changes, t: Ticket) -> None:
    before = state.tickets.get(t.id)
    if before is not None and before.state != t.state and t.state not in TRANSITIONS[before.state]:
        # the commands never ask for this: a log that does is corrupt, and is not applied half-way
        raise ValueError(f"ticket {t.number}: {before.state.value} -> {t.state.value} is not a transition")
    state.tickets[t.id] = t
    state.index.replace(before, t)
    ch.tickets.add(t.id)


def set_counter(state: SiteState, ch: Changes, c: Counter) -> None:
    state.counters[c.id] = c
    ch.counters.add(c.id)


def free_counter(state: SiteState, ch: Changes, t: Ticket) -> None:
    if t.counter is not None:
        c = counter_of(state, t.counter)
        if c.ticket == t.id:
            set_counter(state, ch, replace(c, ticket=None))
