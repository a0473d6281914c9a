"""Commands: validate against the current state and the site, then say which events happen.

Each function is pure: it reads the state, never changes it, and returns the events to append (or raises
CommandError with a message key). Randomness (ids, tokens) and the time come in as arguments.
Every command is named from here: the tickets' and appointments' commands live in this module, the counter's own
in counter_commands.py, the checks they share (and the day turning) in checks.py.
"""

from __future__ import annotations

from .appointments import (
    MAX_DURATION_S,
    AppointmentState,
    CheckInRule,
    check_in_rule,
    clean_name,
    code_taken,
    valid_code,
)
from .checks import (
    MAX_NOTE,
    MAX_REASON,
    clean_text,
    current_ticket,
    day_change,
    format_number,
    known_ticket,
    my_counter,
)
from .closing import close_at_closing, close_day, is_closed_today
from .contacts import log_contact
from .counter_commands import (
    RELEASE_CAUSES,
    clear_help,
    close_counter,
    open_counter,
    pause,
    release_counter,
    request_help,
    resume,
)
from .errors import CommandError
from .events import Event
from .feedback import give_feedback  # a satisfaction tap (its rules live in feedback.py)
from .model import AT_COUNTER, WAITING, Counter, Outcome, SiteState, Ticket, TicketState
from .ordering import can_serve, next_for
from .refusals import next_day_opening, ticket_refusal
from .site import Site


def issue_ticket(
    state: SiteState,
    site: Site,
    now: float,
    *,
    need: str,
    lang: str,
    ticket_id: str,
    token: str,
    priority: bool = False,
    slot_at: float | None = None,
    appointment_id: str | None = None,
    check_open: bool = True,
) -> list[Event]:
    n = site.need(need)
    if n is None:
        raise CommandError("unknown_need", 400)
    if lang not in site.languages:
        raise CommandError("unknown_language", 400)
    if is_closed_today(state, site, now):  # closed early (closing time, a manager): no ticket belongs to it now
        back = next_day_opening(site, now)
        raise CommandError("site_closed", 409, **({} if back is None else {"come_back_at": repr(back)}))
    if check_open:
        # never a ticket that cannot be served today: closed, closing soon, need full, no counter for it, or a
        # queue that the honest estimate says cannot be called before closing
        # (a late appointment is not held to the need's capacity: it was booked)
        refusal = ticket_refusal(state, site, now, need, priority=priority, walk_in=appointment_id is None)
        if refusal is not None:
            params = {} if refusal.come_back_at is None else {"come_back_at": repr(refusal.come_back_at)}
            raise CommandError(refusal.key, 409, **params)
    events = day_change(state, site, now)
    day = site.day_of(now)
    serial = state.numbering.get((day, need), 0) + 1  # a new day has no numbering yet: it starts at 1
    events.append(
        Event(
            "ticket_issued",
            now,
            {
                "id": ticket_id,
                "token": token,
                "day": day,
                "need": need,
                "number": format_number(n.prefix, serial),
                "serial": serial,
                "lang": lang,
                "priority": priority,
                "slot_at": slot_at,
                "appointment_id": appointment_id,
            },
        )
    )
    return events


def call_next(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None
) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    if c.paused:
        raise CommandError("counter_paused")
    if c.ticket is not None:
        raise CommandError("finish_current_first")
    t = next_for(c, state.tickets.values(), site.policy)
    if t is None:
        raise CommandError("queue_empty")
    return [Event("ticket_called", now, {"ticket": t.id, "counter": c.id, "agent": c.agent})]


def call_ticket(
    state: SiteState, site: Site, now: float, *, counter: str, ticket: str, reason: str, agent: str | None = None
) -> list[Event]:
    """Call a specific ticket out of order; the reason is required and logged."""
    c = my_counter(state, site, counter, agent)
    if c.paused:
        raise CommandError("counter_paused")
    if c.ticket is not None:
        raise CommandError("finish_current_first")
    t = known_ticket(state, ticket)
    if t.state not in WAITING:
        raise CommandError("ticket_not_waiting")
    why = clean_text(reason, MAX_REASON, "reason_too_long")
    if not why:
        raise CommandError("reason_required", 400)
    nxt = next_for(c, state.tickets.values(), site.policy)
    out_of_order = nxt is None or nxt.id != t.id or not can_serve(c, t)
    data = {"ticket": t.id, "counter": c.id, "agent": c.agent, "out_of_order": out_of_order, "reason": why}
    return [Event("ticket_called", now, data)]


def called_here(state: SiteState, site: Site, counter: str, agent: str | None) -> tuple[Counter, Ticket]:
    """The agent's counter and the ticket called to it, not yet served (recall, start, no-show act on it)."""
    c = my_counter(state, site, counter, agent)
    t = current_ticket(state, c)
    if t.state != TicketState.CALLED:
        raise CommandError("ticket_not_called")
    return c, t


def recall(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None
) -> list[Event]:
    c, t = called_here(state, site, counter, agent)
    return [Event("ticket_recalled", now, {"ticket": t.id, "counter": c.id})]


def start_service(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None
) -> list[Event]:
    c, t = called_here(state, site, counter, agent)
    return [Event("service_started", now, {"ticket": t.id, "counter": c.id})]


def finish(
    state: SiteState,
    site: Site,
    now: float,
    *,
    counter: str,
    outcome: str,
    referral: str | None = None,
    agent: str | None = None,
) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    t = current_ticket(state, c)
    try:
        out = Outcome(outcome)
    except ValueError:
        raise CommandError("unknown_outcome", 400) from None
    ref = clean_text(referral, MAX_REASON, "reason_too_long") if out == Outcome.REFERRED else None
    # finishing straight from "called" is allowed: the service then started at the first call (figures.py)
    return [Event("service_finished", now, {"ticket": t.id, "counter": c.id, "outcome": out.value, "referral": ref})]


def no_show(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None
) -> list[Event]:
    c, t = called_here(state, site, counter, agent)
    return [Event("no_show", now, {"ticket": t.id, "counter": c.id})]


def rejoin(state: SiteState, site: Site, now: float, *, ticket: str) -> list[Event]:
    t = known_ticket(state, ticket)
    if t.state != TicketState.NO_SHOW:
        raise CommandError("ticket_not_absent")
    assert t.no_show_at is not None
    if now - t.no_show_at > site.policy.no_show_grace_s:
        raise CommandError("grace_expired")
    return [Event("ticket_rejoined", now, {"ticket": t.id})]


def transfer(
    state: SiteState,
    site: Site,
    now: float,
    *,
    counter: str,
    need: str | None = None,
    to_counter: str | None = None,
    to_agent: str | None = None,
    note: str | None = None,
    agent: str | None = None,
) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    t = current_ticket(state, c)
    if need is None and to_counter is None and to_agent is None:
        raise CommandError("transfer_target_required", 400)
    if need is not None and site.need(need) is None:
        raise CommandError("unknown_need", 400)
    if to_counter is not None:
        if site.counter(to_counter) is None or to_counter == counter:
            raise CommandError("unknown_counter", 400)
        target = state.counters.get(to_counter)
        if target is None or not target.open:
            raise CommandError("target_counter_closed")  # nobody would ever call the visitor there
    if to_agent is not None and (
        to_agent == c.agent or not any(o.open and o.agent == to_agent for o in state.counters.values())
    ):
        raise CommandError("unknown_agent", 400)
    text = clean_text(note, MAX_NOTE, "note_too_long")
    data = {"ticket": t.id, "counter": c.id, "need": need, "to_counter": to_counter, "to_agent": to_agent, "note": text}
    return [Event("ticket_transferred", now, data)]


def cancel(
    state: SiteState, site: Site, now: float, *, ticket: str, reason: str | None = None, agent: str | None = None
) -> list[Event]:
    """Cancel a waiting or absent ticket, or the visit at the agent's own counter (never a colleague's)."""
    t = known_ticket(state, ticket)
    if t.state not in WAITING and t.state not in AT_COUNTER and t.state != TicketState.NO_SHOW:
        raise CommandError("ticket_closed")
    if t.state in AT_COUNTER:
        here = state.counters.get(t.counter or "")
        if agent is None or here is None or not here.open or here.agent != agent or here.ticket != t.id:
            raise CommandError("ticket_at_other_counter")
    why = clean_text(reason, MAX_REASON, "reason_too_long")
    return [Event("ticket_cancelled", now, {"ticket": t.id, "reason": why})]


def printer_status(state: SiteState, site: Site, now: float, *, key: str, ticket: str | None = None) -> list[Event]:
    if key == state.printer and ticket is None:
        return []  # only changes are facts worth logging
    return [Event("printer_status", now, {"key": key, "ticket": ticket})]


# -- appointments ------------------------------------------------------------------------------------------
def book_appointment(
    state: SiteState,
    site: Site,
    now: float,
    *,
    appointment_id: str,
    code: str,
    slot_at: float,
    need: str,
    duration_s: int = 0,
    name: str | None = None,
    source: str = "manual",
) -> list[Event]:
    """Book a slot (manager form or import). A name is kept only for a need whose appointments need it
    (`appointment_name`), and purged at day close."""
    n = site.need(need)
    if n is None:
        raise CommandError("unknown_need", 400)
    if not valid_code(code):
        raise CommandError("invalid_booking_code", 400)
    if not 0 <= duration_s <= MAX_DURATION_S:
        raise CommandError("invalid_duration", 400)
    day = site.day_of(slot_at)
    if day < site.day_of(now):
        raise CommandError("appointment_in_past", 400)
    if code_taken(state, code, day):
        raise CommandError("booking_code_taken", 409)
    if appointment_id in state.appointments:
        raise CommandError("booking_code_taken", 409)
    data = {
        "id": appointment_id,
        "code": code,
        "day": day,
        "slot_at": slot_at,
        "need": need,
        "duration_s": int(duration_s),
        "name": clean_name(name) if n.appointment_name else None,
        "source": source,
    }
    return [Event("appointment_booked", now, data)]


def cancel_appointment(state: SiteState, site: Site, now: float, *, appointment: str) -> list[Event]:
    a = state.appointments.get(appointment)
    if a is None:
        raise CommandError("unknown_appointment", 404)
    if a.state != AppointmentState.BOOKED:
        raise CommandError("appointment_not_booked", 409)
    return [Event("appointment_cancelled", now, {"appointment": a.id})]


def check_in(
    state: SiteState, site: Site, now: float, *, appointment: str, lang: str, ticket_id: str, token: str
) -> list[Event]:
    """An appointment becomes a ticket: on time it keeps its slot, late it becomes an ordinary ticket.

    Early (more than `appointment_early_s` before the slot) is refused with the time to come back: a ticket
    then would only wait behind the slot anyway, and the visitor is free meanwhile.
    """
    a = state.appointments.get(appointment)
    if a is None:
        raise CommandError("unknown_appointment", 404)
    if a.state == AppointmentState.CANCELLED:
        raise CommandError("appointment_cancelled", 409)
    if a.state == AppointmentState.CHECKED_IN:
        raise CommandError("appointment_already_checked_in", 409)
    if a.day != site.day_of(now):
        raise CommandError("appointment_not_today", 409)
    p = site.policy
    rule = check_in_rule(a.slot_at, now, p.appointment_early_s, p.appointment_late_s)
    if rule == CheckInRule.EARLY:
        raise CommandError("appointment_too_early", 409, come_back_at=repr(a.slot_at - p.appointment_early_s))
    on_time = rule == CheckInRule.ON_TIME
    events = issue_ticket(
        state,
        site,
        now,
        need=a.need,
        lang=lang,
        ticket_id=ticket_id,
        token=token,
        slot_at=a.slot_at if on_time else None,
        appointment_id=a.id,
        check_open=not on_time,  # an appointment on time is served even if the kiosk would refuse walk-ins
    )
    events.append(Event("appointment_checked_in", now, {"appointment": a.id, "ticket": ticket_id, "rule": rule.value}))
    return events


__all__ = [
    "RELEASE_CAUSES",
    "book_appointment",
    "call_next",
    "call_ticket",
    "cancel",
    "cancel_appointment",
    "check_in",
    "clear_help",
    "close_at_closing",
    "close_counter",
    "close_day",
    "day_change",
    "finish",
    "format_number",
    "issue_ticket",
    "log_contact",
    "no_show",
    "open_counter",
    "pause",
    "printer_status",
    "rejoin",
    "recall",
    "release_counter",
    "request_help",
    "resume",
    "start_service",
    "transfer",
]
__all__ += ["give_feedback"]
