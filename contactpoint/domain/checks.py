"""What the commands check before they say which events happen: shared by every module of commands (pure).

A ticket or counter that does not exist, a counter that is not open or is another agent's, a note too long; and
the day turning, which comes first in any command that may be the first of a new day.
"""

from __future__ import annotations

from .closing import day_closed_event
from .errors import CommandError
from .events import Event
from .model import Counter, SiteState, Ticket
from .site import Site

MAX_NOTE = 500
MAX_REASON = 200


def clean_text(text: str | None, limit: int, key: str) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    if len(text) > limit:
        raise CommandError(key, 400)
    return text or None


def known_ticket(state: SiteState, ticket_id: str) -> Ticket:
    t = state.tickets.get(ticket_id)
    if t is None:
        raise CommandError("unknown_ticket", 404)
    return t


def open_counter_at(state: SiteState, site: Site, counter_id: str) -> Counter:
    if site.counter(counter_id) is None:
        raise CommandError("unknown_counter", 404)
    c = state.counters.get(counter_id)
    if c is None or not c.open:
        raise CommandError("counter_not_open")
    return c


def my_counter(state: SiteState, site: Site, counter_id: str, agent: str | None) -> Counter:
    """The open counter an agent acts at: refused when another agent works there now (a counter taken over
    between the counter page's look-up and this command). `agent` None: not an agent's command (tests, tools)."""
    c = open_counter_at(state, site, counter_id)
    if agent is not None and c.agent != agent:
        raise CommandError("counter_not_yours")
    return c


def current_ticket(state: SiteState, c: Counter) -> Ticket:
    if c.ticket is None or c.ticket not in state.tickets:
        raise CommandError("no_current_ticket")
    return state.tickets[c.ticket]


def format_number(prefix: str, serial: int) -> str:
    return f"{prefix}{serial:03d}"


def day_change(state: SiteState, site: Site, now: float) -> list[Event]:
    """The day_closed event due when the local day has turned since the last event, else nothing."""
    today = site.day_of(now)
    if state.day and today > state.day:  # ISO dates: a day only closes into a later one
        return [day_closed_event(state, now, today, "midnight")]
    return []
