"""The engine's read side: every page reads the day through these methods, never through its state.

Each query takes the engine's lock (so a counter opening while a page iterates the counters never raises
"dictionary changed size during iteration") and returns immutable values: the domain's frozen entities, tuples of
them, or fresh dicts the caller owns. `Engine` (contactpoint/engine.py) inherits them; only the two of them
touch `_state` and `_lock`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from contactpoint.domain.appointments import (
    Appointment,
    AppointmentState,
    code_taken,
    find_by_code,
    todays_open,
)
from contactpoint.domain.feedback import NegativeAlert, negative_run
from contactpoint.domain.model import Call, Counter, SiteState, Ticket
from contactpoint.domain.ordering import ordered
from contactpoint.domain.refusals import unavailable_needs
from contactpoint.domain.site import Site


@dataclass(frozen=True, slots=True)
class Place:
    """What a visitor is told about their ticket: how many are called before them and an honest estimate of the
    wait in seconds (None: no estimate; see figures.wait_estimate_s)."""

    ticket: Ticket
    ahead: int
    estimate_s: float | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON the kiosk's API answers with (the ticket as its public dict)."""
        return {"ticket": self.ticket.public(), "ahead": self.ahead, "estimate_s": self.estimate_s}


@dataclass(frozen=True, slots=True)
class Followed:
    """A ticket as its phone follows it: the ticket, its place and estimate, and the seq they are current to."""

    seq: int
    ticket: Ticket
    view: Place


class EngineQueries:
    """Read-only queries over the projection, each under the engine's lock."""

    site: Site
    _state: SiteState
    _lock: threading.RLock

    def ticket_view(self, t: Ticket) -> Place:  # pragma: no cover - Engine defines it
        raise NotImplementedError

    # -- the day -------------------------------------------------------------------------------------------
    def seq(self) -> int:
        """The seq of the last committed event."""
        with self._lock:
            return self._state.seq

    def day(self) -> str:
        """The day the projection holds (empty before the first ticket)."""
        with self._lock:
            return self._state.day

    def printer_key(self) -> str:
        """The printer's last known status (`printer_ok`, `printer_paper_out`, …: docs/events.md)."""
        with self._lock:
            return self._state.printer

    # -- tickets -------------------------------------------------------------------------------------------
    def tickets(self) -> tuple[Ticket, ...]:
        """Every ticket of the day, in issue order."""
        with self._lock:
            return tuple(self._state.tickets.values())

    def calling_order(self) -> tuple[str, ...]:
        """The ids of the waiting tickets, in the order the core calls them."""
        with self._lock:
            return tuple(t.id for t in ordered(self._state.tickets.values(), self.site.policy))

    def ticket(self, ticket_id: str) -> Ticket | None:
        """One of the day's tickets (done ones included), or None."""
        with self._lock:
            return self._state.tickets.get(ticket_id)

    def follow(self, ticket_id: str) -> Followed | None:
        """A ticket, its place and the seq they are current to, read together; None when the ticket is gone."""
        with self._lock:
            t = self._state.tickets.get(ticket_id)
            if t is None:
                return None
            return Followed(self._state.seq, t, self.ticket_view(t))

    # -- counters and calls --------------------------------------------------------------------------------
    def counters(self) -> tuple[Counter, ...]:
        """The counters as the day knows them (one opened at least once today, or since the box started)."""
        with self._lock:
            return tuple(self._state.counters.values())

    def counter(self, counter_id: str) -> Counter | None:
        """A counter as the day knows it, or None (never opened since the box started, or unknown)."""
        with self._lock:
            return self._state.counters.get(counter_id)

    def counter_of(self, agent: str | None) -> Counter | None:
        """The open counter an agent works at, or None."""
        with self._lock:
            for c in self._state.counters.values():
                if c.open and c.agent == agent:
                    return c
        return None

    def calls(self) -> tuple[Call, ...]:
        """The day's last calls, most recent last."""
        with self._lock:
            return tuple(self._state.calls)

    def find_call(self, ticket_id: str, counter: str | None, recall: bool) -> Call | None:
        """The latest of the day's calls of this ticket at this counter (None: its current counter)."""
        with self._lock:
            if counter is None:
                t = self._state.tickets.get(ticket_id)
                counter = t.counter if t is not None else None
            found = [
                c for c in self._state.calls if c.ticket == ticket_id and c.counter == counter and c.recall == recall
            ]
        return found[-1] if found else None

    # -- needs ---------------------------------------------------------------------------------------------
    def unavailable_needs(self, now: float) -> dict[str, str]:
        """Needs the kiosk marks on the needs screen, each with why (capacity_reached, queue_full, no_counter_…)."""
        with self._lock:
            return unavailable_needs(self._state, self.site, now)

    # -- appointments --------------------------------------------------------------------------------------
    def appointment(self, appointment_id: str) -> Appointment | None:
        """One appointment in memory (today's or a later day's), or None."""
        with self._lock:
            return self._state.appointments.get(appointment_id)

    def appointments(self) -> tuple[Appointment, ...]:
        """The appointments in memory: today's and later days'."""
        with self._lock:
            return tuple(self._state.appointments.values())

    def open_appointments(self, day: str) -> tuple[Appointment, ...]:
        """The day's appointments still to check in, by slot time."""
        with self._lock:
            return tuple(todays_open(self._state, day))

    def appointment_by_code(self, code: str, day: str) -> Appointment | None:
        """The day's appointment with this booking code (a cancelled one too, so the visitor is told)."""
        with self._lock:
            return find_by_code(self._state, code, day)

    def code_taken(self, code: str, day: str) -> bool:
        with self._lock:
            return code_taken(self._state, code, day)

    def checked_in_token(self, appointment_id: str) -> str | None:
        """The token of the ticket an appointment was checked in with, while that ticket lives; else None."""
        with self._lock:
            a = self._state.appointments.get(appointment_id)
            if a is None or a.state != AppointmentState.CHECKED_IN or a.ticket not in self._state.tickets:
                return None
            return self._state.tickets[a.ticket].token

    def appointment_names(self, day: str) -> dict[str, str]:
        """The names the day's appointments keep (only needs with appointment_name), by appointment id."""
        with self._lock:
            return {a.id: a.name for a in self._state.appointments.values() if a.name and a.day == day}

    # -- satisfaction taps (domain/feedback.py) ------------------------------------------------------------
    def answered(self, ticket_id: str) -> bool:
        """Whether this ticket's visitor answered the question already (a phone answers once)."""
        with self._lock:
            return ticket_id in self._state.answered

    def negative_alert(self, now: float) -> NegativeAlert | None:
        """The negative run of the site's taps (`[feedback] negative_run`): since when, how many of how many;
        None when there is none now. The manager's live page shows it."""
        with self._lock:
            taps = list(self._state.taps)
        return negative_run(taps, self.site.feedback.negative_run, now)
    def day_closed(self) -> bool:
        """The projection's day was closed already (closing time, a manager, the command): it takes no tickets."""
        with self._lock:
            return self._state.closed
