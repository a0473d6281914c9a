"""Tickets, counters and the state of a site's day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .appointments import Appointment
    from .queues import DayIndex


class TicketState(StrEnum):
    ISSUED = "issued"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"  # waiting again, in another need/counter/agent's queue, at its original place


WAITING = frozenset({TicketState.ISSUED, TicketState.TRANSFERRED})
AT_COUNTER = frozenset({TicketState.CALLED, TicketState.SERVING})
FINAL = frozenset({TicketState.DONE, TicketState.CANCELLED})
#: printer status keys in which tickets still print (paper running low warns the agents; it is not a fault)
PRINTER_PRINTS = frozenset({"printer_ok", "printer_paper_low"})

# every allowed transition; anything else is refused by the commands
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    TicketState.ISSUED: frozenset({TicketState.CALLED, TicketState.CANCELLED}),
    TicketState.TRANSFERRED: frozenset({TicketState.CALLED, TicketState.CANCELLED}),
    TicketState.CALLED: frozenset(
        {TicketState.SERVING, TicketState.DONE, TicketState.NO_SHOW, TicketState.TRANSFERRED, TicketState.CANCELLED}
    ),
    TicketState.SERVING: frozenset({TicketState.DONE, TicketState.TRANSFERRED, TicketState.CANCELLED}),
    TicketState.NO_SHOW: frozenset({TicketState.ISSUED, TicketState.CANCELLED}),
    TicketState.DONE: frozenset(),
    TicketState.CANCELLED: frozenset(),
}


class Outcome(StrEnum):
    RESOLVED = "resolved"  # resolved at first line
    REFERRED = "referred"  # referred to another organisation (which kind: Ticket.referral)
    APPOINTMENT = "appointment_made"
    ONLINE_HELP = "online_help"  # helped with an online procedure
    ESCALATED = "escalated"  # escalated to second line


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    token: str  # unguessable, for the phone tracking page; never broadcast
    day: str  # the site's local day (ISO date) it was issued on
    need: str
    number: str  # e.g. "A042"
    serial: int  # its number within (day, need)
    lang: str
    state: TicketState
    issued_at: float
    queue_at: float  # the place in the queue: issue time, kept through transfers and rejoin
    priority: bool = False
    slot_at: float | None = None  # appointment slot start
    appointment_id: str | None = None
    called_at: float | None = None  # first call
    last_called_at: float | None = None
    calls: int = 0
    counter: str | None = None
    agent: str | None = None
    serving_at: float | None = None
    finished_at: float | None = None
    no_show_at: float | None = None
    outcome: Outcome | None = None
    referral: str | None = None
    target_counter: str | None = None
    target_agent: str | None = None
    note: str | None = None
    cancel_reason: str | None = None
    out_of_order: bool = False

    def to_dict(self) -> dict[str, Any]:
        # flat fields only: cheaper than dataclasses.asdict, which deep-copies (hot path: every event)
        return {f: getattr(self, f) for f in TICKET_FIELDS}

    def public(self) -> dict[str, Any]:
        """What may be broadcast: everything but the tracking token."""
        return {f: getattr(self, f) for f in PUBLIC_FIELDS}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Ticket:
        d = dict(d)
        d["state"] = TicketState(d["state"])
        if d.get("outcome") is not None:
            d["outcome"] = Outcome(d["outcome"])
        return Ticket(**d)


TICKET_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Ticket))
#: what of a ticket only agents may see (the public pages get it without these; the token is never broadcast)
TICKET_AGENT_ONLY = frozenset({"agent", "referral", "target_agent", "note", "cancel_reason"})
PUBLIC_FIELDS: tuple[str, ...] = tuple(f for f in TICKET_FIELDS if f != "token")


@dataclass(frozen=True, slots=True)
class Counter:
    id: str
    open: bool = False
    agent: str | None = None
    needs: tuple[str, ...] = ()
    paused: bool = False
    pause_reason: str | None = None
    ticket: str | None = None  # the ticket at this counter (called or serving)
    help: bool = False  # a discreet help alert is raised

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["needs"] = list(self.needs)
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Counter:
        d = dict(d)
        d["needs"] = tuple(d.get("needs") or ())
        return Counter(**d)


#: what of a counter only agents may see: who works there, its help alert, why it is paused
COUNTER_AGENT_ONLY = frozenset({"agent", "help", "pause_reason"})


@dataclass(frozen=True, slots=True)
class Call:
    ticket: str
    number: str
    counter: str
    lang: str
    at: float
    recall: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "number": self.number,
            "counter": self.counter,
            "lang": self.lang,
            "at": self.at,
            "recall": self.recall,
        }


@dataclass(slots=True)
class SiteState:
    """The projection: current state derived from the event log (today's tickets, counters, numbering)."""

    day: str = ""
    tickets: dict[str, Ticket] = field(default_factory=dict)
    counters: dict[str, Counter] = field(default_factory=dict)
    numbering: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, need) -> last serial
    calls: list[Call] = field(default_factory=list)  # most recent last, bounded
    seq: int = 0
    printer: str = "printer_ok"  # last printer status key
    appointments: dict[str, Appointment] = field(default_factory=dict)  # today's and later days', by id
    answered: set[str] = field(default_factory=set)  # today's tickets whose visitor answered the question (phone)
    taps: list[tuple[float, int]] = field(default_factory=list)  # the last taps (time, score), for the negative run
    closed: bool = False  # `day` was closed already (closing time, a manager): it takes no more tickets
    # derived from `tickets`, kept in step by `apply` (queues.py): never stored, never compared
    index: DayIndex = field(default_factory=lambda: _day_index(()), compare=False, repr=False)

    def reindex(self) -> None:
        """Derive the index again from the tickets (after they were filled in by hand: a projection loaded)."""
        self.index = _day_index(self.tickets.values())

    def waiting(self) -> list[Ticket]:
        return [t for t in self.tickets.values() if t.state in WAITING]


def _day_index(tickets: Iterable[Ticket]) -> DayIndex:
    from .queues import DayIndex  # queues.py builds on this module

    return DayIndex(tickets)
