"""How each event type changes the projection: one small handler per type (pure).

`events.EVENTS` names each type's handler beside its payload, its agent-only fields and the pages it reaches;
`events.apply` dispatches through that table. A handler changes the state only through `facts.py`'s moves.
"""

from __future__ import annotations

from dataclasses import replace

from . import feedback
from .appointments import Appointment, AppointmentState, CheckInRule
from .facts import MAX_CALLS, Changes, Event, counter_of, free_counter, set_counter, set_ticket
from .model import AT_COUNTER, WAITING, Call, Counter, Outcome, SiteState, Ticket, TicketState


# -- tickets -----------------------------------------------------------------------------------------------
def ticket_issued(state: SiteState, ch: Changes, ev: Event) -> None:
    d, at = ev.data, ev.at
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
    set_ticket(state, ch, t)


def _called(state: SiteState, ch: Changes, t: Ticket, counter: str, at: float, recall: bool) -> None:
    state.calls.append(Call(ticket=t.id, number=t.number, counter=counter, lang=t.lang, at=at, recall=recall))
    del state.calls[:-MAX_CALLS]
    ch.site = True


def ticket_called(state: SiteState, ch: Changes, ev: Event) -> None:
    d, at = ev.data, ev.at
    t = state.tickets[d["ticket"]]
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
    set_ticket(state, ch, t)
    set_counter(state, ch, replace(counter_of(state, counter_id), ticket=t.id))
    _called(state, ch, t, counter_id, at, recall=False)


def ticket_recalled(state: SiteState, ch: Changes, ev: Event) -> None:
    t = state.tickets[ev.data["ticket"]]
    t = replace(t, last_called_at=ev.at, calls=t.calls + 1)
    set_ticket(state, ch, t)
    assert t.counter is not None
    _called(state, ch, t, t.counter, ev.at, recall=True)


def service_started(state: SiteState, ch: Changes, ev: Event) -> None:
    t = state.tickets[ev.data["ticket"]]
    set_ticket(state, ch, replace(t, state=TicketState.SERVING, serving_at=ev.at))


def service_finished(state: SiteState, ch: Changes, ev: Event) -> None:
    d = ev.data
    t = state.tickets[d["ticket"]]
    t = replace(t, state=TicketState.DONE, finished_at=ev.at, outcome=Outcome(d["outcome"]), referral=d.get("referral"))
    free_counter(state, ch, t)
    set_ticket(state, ch, t)


def no_show(state: SiteState, ch: Changes, ev: Event) -> None:
    t = state.tickets[ev.data["ticket"]]
    free_counter(state, ch, t)
    set_ticket(state, ch, replace(t, state=TicketState.NO_SHOW, no_show_at=ev.at))


def ticket_rejoined(state: SiteState, ch: Changes, ev: Event) -> None:
    t = state.tickets[ev.data["ticket"]]
    set_ticket(state, ch, replace(t, state=TicketState.ISSUED, counter=None, agent=None))


def ticket_transferred(state: SiteState, ch: Changes, ev: Event) -> None:
    d = ev.data
    t = state.tickets[d["ticket"]]
    free_counter(state, ch, t)
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
    set_ticket(state, ch, t)


def ticket_returned(state: SiteState, ch: Changes, ev: Event) -> None:
    # its counter closed under it (logout, account disabled, closed by a colleague): waiting again in its need's
    # queue at its original place (queue_at), like a transfer with no target; the note stays
    t = state.tickets[ev.data["ticket"]]
    free_counter(state, ch, t)
    t = replace(t, state=TicketState.TRANSFERRED, target_counter=None, target_agent=None, counter=None, agent=None)
    set_ticket(state, ch, t)


def ticket_cancelled(state: SiteState, ch: Changes, ev: Event) -> None:
    t = state.tickets[ev.data["ticket"]]
    if t.state in AT_COUNTER:
        free_counter(state, ch, t)
    set_ticket(state, ch, replace(t, state=TicketState.CANCELLED, cancel_reason=ev.data.get("reason")))


# -- counters ----------------------------------------------------------------------------------------------
def counter_opened(state: SiteState, ch: Changes, ev: Event) -> None:
    d = ev.data
    c = counter_of(state, d["counter"])
    set_counter(state, ch, replace(c, open=True, agent=d.get("agent"), needs=tuple(d.get("needs", ())), paused=False))


def counter_closed(state: SiteState, ch: Changes, ev: Event) -> None:
    c = counter_of(state, ev.data["counter"])
    # visits sent to this counter, or to its agent, go back to their need's queue at their original place:
    # nobody waits for a desk that has closed
    for t in list(state.tickets.values()):
        if t.state in WAITING and (t.target_counter == c.id or (c.agent is not None and t.target_agent == c.agent)):
            set_ticket(state, ch, replace(t, target_counter=None, target_agent=None))
    set_counter(state, ch, Counter(id=c.id))


def counter_paused(state: SiteState, ch: Changes, ev: Event) -> None:
    c = counter_of(state, ev.data["counter"])
    set_counter(state, ch, replace(c, paused=True, pause_reason=ev.data.get("reason")))


def counter_resumed(state: SiteState, ch: Changes, ev: Event) -> None:
    set_counter(state, ch, replace(counter_of(state, ev.data["counter"]), paused=False, pause_reason=None))


def help_requested(state: SiteState, ch: Changes, ev: Event) -> None:
    set_counter(state, ch, replace(counter_of(state, ev.data["counter"]), help=True))


def help_cleared(state: SiteState, ch: Changes, ev: Event) -> None:
    set_counter(state, ch, replace(counter_of(state, ev.data["counter"]), help=False))


# -- the site ----------------------------------------------------------------------------------------------
def printer_status(state: SiteState, ch: Changes, ev: Event) -> None:
    ch.site = state.printer != ev.data["key"]
    state.printer = ev.data["key"]


def day_closed(state: SiteState, ch: Changes, ev: Event) -> None:
    d = ev.data
    day = d["day"]
    for tid in [tid for tid, t in state.tickets.items() if t.day == day]:
        del state.tickets[tid]
    state.reindex()  # the closed day's lines, counts, service times and tokens go with its tickets
    state.counters = {cid: Counter(id=cid) for cid in state.counters}
    ch.counters.update(state.counters)
    state.calls.clear()
    state.day = d.get("next_day", state.day)
    state.closed = state.day == day  # closed before the date turned (closing time, a manager, the command)
    ch.dropped_day = day
    ch.site = True
    # appointments of the closed day (and any older) leave memory; the store purges their names
    for aid in [aid for aid, a in state.appointments.items() if a.day <= day]:
        del state.appointments[aid]
    # the satisfaction memory goes with the day: which tickets answered, the last taps
    state.answered.clear()
    state.taps.clear()
    ch.feedback = True


def contact_logged(state: SiteState, ch: Changes, ev: Event) -> None:
    """A contact without a ticket: a fact for the figures only; the day's queues do not change."""


# -- appointments ------------------------------------------------------------------------------------------
def _set_appointment(state: SiteState, ch: Changes, a: Appointment) -> None:
    state.appointments[a.id] = a
    ch.appointments.add(a.id)


def appointment_booked(state: SiteState, ch: Changes, ev: Event) -> None:
    d = ev.data
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
    _set_appointment(state, ch, a)


def appointment_cancelled(state: SiteState, ch: Changes, ev: Event) -> None:
    a = state.appointments[ev.data["appointment"]]
    _set_appointment(state, ch, replace(a, state=AppointmentState.CANCELLED))


def appointment_checked_in(state: SiteState, ch: Changes, ev: Event) -> None:
    d = ev.data
    a = replace(
        state.appointments[d["appointment"]],
        state=AppointmentState.CHECKED_IN,
        ticket=d["ticket"],
        rule=CheckInRule(d["rule"]),
    )
    _set_appointment(state, ch, a)


# -- satisfaction ------------------------------------------------------------------------------------------
def feedback_given(state: SiteState, ch: Changes, ev: Event) -> None:
    feedback.feedback_given(state, ev)
    ch.feedback = True
