"""Events (facts appended to the log) and how each one changes the projection.

`apply` is the only function that changes a SiteState; replaying the log through it rebuilds the
projection exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .appointments import Appointment, AppointmentState, CheckInRule
from .model import AT_COUNTER, TRANSITIONS, WAITING, Call, Counter, Outcome, SiteState, Ticket, TicketState

MAX_CALLS = 20

EVENT_TYPES = (
    "ticket_issued",
    "ticket_called",
    "ticket_recalled",
    "service_started",
    "service_finished",
    "no_show",
    "ticket_rejoined",
    "ticket_transferred",
    "ticket_returned",
    "ticket_cancelled",
    "counter_opened",
    "counter_closed",
    "counter_paused",
    "counter_resumed",
    "help_requested",
    "help_cleared",
    "printer_status",
    "day_closed",
    "appointment_booked",
    "appointment_cancelled",
    "appointment_checked_in",
)


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


def _counter(state: SiteState, counter_id: str) -> Counter:
    return state.counters.get(counter_id) or Counter(id=counter_id)


def _set_ticket(state: SiteState, ch: Changes, t: Ticket) -> None:
    before = state.tickets.get(t.id)
    if before is not None and before.state != t.state and t.state not in TRANSITIONS[before.state]:
        # the commands never ask for this: a log that does is corrupt, and is not applied half-way
        raise ValueError(f"ticket {t.number}: {before.state.value} -> {t.state.value} is not a transition")
    state.tickets[t.id] = t
    state.index.replace(before, t)
    ch.tickets.add(t.id)


def _set_counter(state: SiteState, ch: Changes, c: Counter) -> None:
    state.counters[c.id] = c
    ch.counters.add(c.id)


def _release_counter(state: SiteState, ch: Changes, t: Ticket) -> None:
    if t.counter is not None:
        c = _counter(state, t.counter)
        if c.ticket == t.id:
            _set_counter(state, ch, replace(c, ticket=None))


def apply(state: SiteState, ev: Event) -> Changes:  # noqa: C901 - one branch per event type, on purpose
    ch = Changes()
    d = ev.data
    at = ev.at
    if ev.seq:
        state.seq = ev.seq
    typ = ev.type
    if typ == "ticket_issued":
        t = Ticket(
            id=d["id"],
            token=d["token"],
            day=d["day"],
            need=d["need"],
            number=d["number"],
            serial=d["serial"],
            lang=d["lang"],
            state=TicketState.ISSUED,
            issued_at=at,
            queue_at=at,
            priority=bool(d.get("priority", False)),
            slot_at=d.get("slot_at"),
            appointment_id=d.get("appointment_id"),
        )
        key = (t.day, t.need)
        state.numbering[key] = max(state.numbering.get(key, 0), t.serial)
        ch.site = state.day != t.day
        state.day = t.day
        _set_ticket(state, ch, t)
        return ch
    if typ == "day_closed":
        day = d["day"]
        for tid in [tid for tid, t in state.tickets.items() if t.day == day]:
            del state.tickets[tid]
        state.reindex()  # the closed day's lines, counts, service times and tokens go with its tickets
        state.counters = {cid: Counter(id=cid) for cid in state.counters}
        ch.counters.update(state.counters)
        state.calls.clear()
        state.day = d.get("next_day", state.day)
        ch.dropped_day = day
        ch.site = True
        # appointments of the closed day (and any older) leave memory; the store purges their names
        for aid in [aid for aid, a in state.appointments.items() if a.day <= day]:
            del state.appointments[aid]
        return ch
    if typ.startswith("appointment_"):
        if typ == "appointment_booked":
            a = Appointment(
                id=d["id"],
                code=d["code"],
                day=d["day"],
                slot_at=float(d["slot_at"]),
                need=d["need"],
                duration_s=int(d.get("duration_s") or 0),
                name=d.get("name"),
                source=d.get("source", "manual"),
            )
        elif typ == "appointment_cancelled":
            a = replace(state.appointments[d["appointment"]], state=AppointmentState.CANCELLED)
        elif typ == "appointment_checked_in":
            a = replace(
                state.appointments[d["appointment"]],
                state=AppointmentState.CHECKED_IN,
                ticket=d["ticket"],
                rule=CheckInRule(d["rule"]),
            )
        else:
            raise ValueError(f"unknown event type {typ!r}")
        state.appointments[a.id] = a
        ch.appointments.add(a.id)
        return ch
    if typ == "printer_status":
        ch.site = state.printer != d["key"]
        state.printer = d["key"]
        return ch
    if typ.startswith("counter_") or typ.startswith("help_"):
        c = _counter(state, d["counter"])
        if typ == "counter_opened":
            c = replace(c, open=True, agent=d.get("agent"), needs=tuple(d.get("needs", ())), paused=False)
        elif typ == "counter_closed":
            # visits sent to this counter, or to its agent, go back to their need's queue at their original
            # place: nobody waits for a desk that has closed
            for t in list(state.tickets.values()):
                if t.state in WAITING and (
                    t.target_counter == c.id or (c.agent is not None and t.target_agent == c.agent)
                ):
                    _set_ticket(state, ch, replace(t, target_counter=None, target_agent=None))
            c = Counter(id=c.id)
        elif typ == "counter_paused":
            c = replace(c, paused=True, pause_reason=d.get("reason"))
        elif typ == "counter_resumed":
            c = replace(c, paused=False, pause_reason=None)
        elif typ == "help_requested":
            c = replace(c, help=True)
        elif typ == "help_cleared":
            c = replace(c, help=False)
        else:
            raise ValueError(f"unknown event type {typ!r}")
        _set_counter(state, ch, c)
        return ch

    t = state.tickets[d["ticket"]]
    if typ == "ticket_called":
        counter_id = d["counter"]
        t = replace(
            t,
            state=TicketState.CALLED,
            called_at=t.called_at if t.called_at is not None else at,
            last_called_at=at,
            calls=t.calls + 1,
            counter=counter_id,
            agent=d.get("agent"),
            target_counter=None,
            target_agent=None,
            out_of_order=t.out_of_order or bool(d.get("out_of_order")),
        )
        _set_ticket(state, ch, t)
        _set_counter(state, ch, replace(_counter(state, counter_id), ticket=t.id))
        state.calls.append(Call(ticket=t.id, number=t.number, counter=counter_id, lang=t.lang, at=at))
        del state.calls[:-MAX_CALLS]
        ch.site = True
    elif typ == "ticket_recalled":
        t = replace(t, last_called_at=at, calls=t.calls + 1)
        _set_ticket(state, ch, t)
        assert t.counter is not None
        state.calls.append(Call(ticket=t.id, number=t.number, counter=t.counter, lang=t.lang, at=at, recall=True))
        del state.calls[:-MAX_CALLS]
        ch.site = True
    elif typ == "service_started":
        _set_ticket(state, ch, replace(t, state=TicketState.SERVING, serving_at=at))
    elif typ == "service_finished":
        referral = d.get("referral")
        t = replace(t, state=TicketState.DONE, finished_at=at, outcome=Outcome(d["outcome"]), referral=referral)
        _release_counter(state, ch, t)
        _set_ticket(state, ch, t)
    elif typ == "no_show":
        _release_counter(state, ch, t)
        _set_ticket(state, ch, replace(t, state=TicketState.NO_SHOW, no_show_at=at))
    elif typ == "ticket_rejoined":
        _set_ticket(state, ch, replace(t, state=TicketState.ISSUED, counter=None, agent=None))
    elif typ == "ticket_transferred":
        _release_counter(state, ch, t)
        t = replace(
            t,
            state=TicketState.TRANSFERRED,
            need=d.get("need") or t.need,
            target_counter=d.get("to_counter"),
            target_agent=d.get("to_agent"),
            note=d.get("note"),
            counter=None,
            agent=None,
        )
        _set_ticket(state, ch, t)
    elif typ == "ticket_returned":
        # its counter closed under it (logout, account disabled, closed by a colleague): waiting again in its
        # need's queue at its original place (queue_at), like a transfer with no target; the note stays
        _release_counter(state, ch, t)
        t = replace(t, state=TicketState.TRANSFERRED, target_counter=None, target_agent=None, counter=None, agent=None)
        _set_ticket(state, ch, t)
    elif typ == "ticket_cancelled":
        if t.state in AT_COUNTER:
            _release_counter(state, ch, t)
        _set_ticket(state, ch, replace(t, state=TicketState.CANCELLED, cancel_reason=d.get("reason")))
    else:
        raise ValueError(f"unknown event type {typ!r}")
    return ch


def replay(events: list[Event]) -> SiteState:
    state = SiteState()
    for ev in events:
        apply(state, ev)
    return state


__all__ = ["Event", "Changes", "apply", "replay", "EVENT_TYPES", "WAITING"]
