"""Commands: validate against the current state and the site, then say which events happen.

Each function is pure: it reads the state, never changes it, and returns the events to append (or raises
CommandError with a message key). Randomness (ids, tokens) and the time come in as arguments.
"""

from __future__ import annotations

from .errors import CommandError
from .events import Event
from .model import AT_COUNTER, WAITING, Counter, Outcome, SiteState, Ticket, TicketState
from .ordering import can_serve, next_for
from .site import Site

MAX_NOTE = 500
MAX_REASON = 200


def _clean(text: str | None, limit: int, key: str) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    if len(text) > limit:
        raise CommandError(key, 400)
    return text or None


def _ticket(state: SiteState, ticket_id: str) -> Ticket:
    t = state.tickets.get(ticket_id)
    if t is None:
        raise CommandError("unknown_ticket", 404)
    return t


def _open_counter(state: SiteState, site: Site, counter_id: str) -> Counter:
    if site.counter(counter_id) is None:
        raise CommandError("unknown_counter", 404)
    c = state.counters.get(counter_id)
    if c is None or not c.open:
        raise CommandError("counter_not_open")
    return c


def _current(state: SiteState, c: Counter) -> Ticket:
    if c.ticket is None or c.ticket not in state.tickets:
        raise CommandError("no_current_ticket")
    return state.tickets[c.ticket]


def format_number(prefix: str, serial: int) -> str:
    return f"{prefix}{serial:03d}"


def day_change(state: SiteState, site: Site, now: float) -> list[Event]:
    """The day_closed event due when the local day has turned since the last event, else nothing."""
    today = site.day_of(now)
    if state.day and state.day != today:
        return [Event("day_closed", now, {"day": state.day, "next_day": today})]
    return []


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
    if check_open:
        if not site.hours.is_open(site.local(now)):
            raise CommandError("site_closed", 409)
        if site.policy.require_open_counter and not any(c.open and need in c.needs for c in state.counters.values()):
            raise CommandError("no_counter_for_need", 409)
    events = day_change(state, site, now)
    day = site.day_of(now)
    serial = (0 if events else state.numbering.get((day, need), 0)) + 1
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


def open_counter(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str, needs: list[str]
) -> list[Event]:
    if site.counter(counter) is None:
        raise CommandError("unknown_counter", 404)
    if not needs:
        raise CommandError("choose_needs", 400)
    for n in needs:
        if site.need(n) is None:
            raise CommandError("unknown_need", 400)
    c = state.counters.get(counter)
    if c is not None and c.open and c.agent not in (None, agent):
        raise CommandError("counter_taken")
    for other in state.counters.values():
        if other.id != counter and other.open and other.agent == agent:
            raise CommandError("agent_at_other_counter")
    events = day_change(state, site, now)
    events.append(
        Event("counter_opened", now, {"counter": counter, "agent": agent, "needs": list(dict.fromkeys(needs))})
    )
    return events


def close_counter(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    if c.ticket is not None:
        raise CommandError("finish_current_first")
    return [Event("counter_closed", now, {"counter": counter})]


def call_next(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    if c.paused:
        raise CommandError("counter_paused")
    if c.ticket is not None:
        raise CommandError("finish_current_first")
    t = next_for(c, state.tickets.values(), site.policy)
    if t is None:
        raise CommandError("queue_empty")
    return [Event("ticket_called", now, {"ticket": t.id, "counter": c.id, "agent": c.agent})]


def call_ticket(state: SiteState, site: Site, now: float, *, counter: str, ticket: str, reason: str) -> list[Event]:
    """Call a specific ticket out of order; the reason is required and logged."""
    c = _open_counter(state, site, counter)
    if c.ticket is not None:
        raise CommandError("finish_current_first")
    t = _ticket(state, ticket)
    if t.state not in WAITING:
        raise CommandError("ticket_not_waiting")
    why = _clean(reason, MAX_REASON, "reason_too_long")
    if not why:
        raise CommandError("reason_required", 400)
    nxt = next_for(c, state.tickets.values(), site.policy)
    out_of_order = nxt is None or nxt.id != t.id or not can_serve(c, t)
    data = {"ticket": t.id, "counter": c.id, "agent": c.agent, "out_of_order": out_of_order, "reason": why}
    return [Event("ticket_called", now, data)]


def recall(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    t = _current(state, c)
    if t.state != TicketState.CALLED:
        raise CommandError("ticket_not_called")
    return [Event("ticket_recalled", now, {"ticket": t.id, "counter": c.id})]


def start_service(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    t = _current(state, c)
    if t.state != TicketState.CALLED:
        raise CommandError("ticket_not_called")
    return [Event("service_started", now, {"ticket": t.id, "counter": c.id})]


def finish(
    state: SiteState, site: Site, now: float, *, counter: str, outcome: str, referral: str | None = None
) -> list[Event]:
    c = _open_counter(state, site, counter)
    t = _current(state, c)
    try:
        out = Outcome(outcome)
    except ValueError:
        raise CommandError("unknown_outcome", 400) from None
    ref = _clean(referral, MAX_REASON, "reason_too_long") if out == Outcome.REFERRED else None
    # finishing straight from "called" is allowed: the service then started at the first call (figures.py)
    return [Event("service_finished", now, {"ticket": t.id, "counter": c.id, "outcome": out.value, "referral": ref})]


def no_show(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    t = _current(state, c)
    if t.state != TicketState.CALLED:
        raise CommandError("ticket_not_called")
    return [Event("no_show", now, {"ticket": t.id, "counter": c.id})]


def rejoin(state: SiteState, site: Site, now: float, *, ticket: str) -> list[Event]:
    t = _ticket(state, ticket)
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
) -> list[Event]:
    c = _open_counter(state, site, counter)
    t = _current(state, c)
    if need is None and to_counter is None and to_agent is None:
        raise CommandError("transfer_target_required", 400)
    if need is not None and site.need(need) is None:
        raise CommandError("unknown_need", 400)
    if to_counter is not None and (site.counter(to_counter) is None or to_counter == counter):
        raise CommandError("unknown_counter", 400)
    text = _clean(note, MAX_NOTE, "note_too_long")
    data = {"ticket": t.id, "counter": c.id, "need": need, "to_counter": to_counter, "to_agent": to_agent, "note": text}
    return [Event("ticket_transferred", now, data)]


def cancel(state: SiteState, site: Site, now: float, *, ticket: str, reason: str | None = None) -> list[Event]:
    t = _ticket(state, ticket)
    if t.state not in WAITING and t.state not in AT_COUNTER and t.state != TicketState.NO_SHOW:
        raise CommandError("ticket_closed")
    why = _clean(reason, MAX_REASON, "reason_too_long")
    return [Event("ticket_cancelled", now, {"ticket": t.id, "reason": why})]


def pause(state: SiteState, site: Site, now: float, *, counter: str, reason: str | None = None) -> list[Event]:
    c = _open_counter(state, site, counter)
    if c.paused:
        raise CommandError("counter_paused")
    return [Event("counter_paused", now, {"counter": c.id, "reason": _clean(reason, MAX_REASON, "reason_too_long")})]


def resume(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    if not c.paused:
        raise CommandError("counter_not_paused")
    return [Event("counter_resumed", now, {"counter": c.id})]


def request_help(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    return [Event("help_requested", now, {"counter": c.id})]


def clear_help(state: SiteState, site: Site, now: float, *, counter: str) -> list[Event]:
    c = _open_counter(state, site, counter)
    if not c.help:
        raise CommandError("no_help_request")
    return [Event("help_cleared", now, {"counter": c.id})]


def printer_status(state: SiteState, site: Site, now: float, *, key: str, ticket: str | None = None) -> list[Event]:
    if key == state.printer and ticket is None:
        return []  # only changes are facts worth logging
    return [Event("printer_status", now, {"key": key, "ticket": ticket})]
