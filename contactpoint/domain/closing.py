"""Closing the day (pure): when it closes by itself, what its `day_closed` event says, and the close a manager or
the `contactpoint day close` command asks for.

A day closes once: at the site's closing time (the end of the day's last opening span), by a manager's button, by
the command, or at the latest when the local date turns at midnight. Its event counts the visitors still waiting
then (`abandoned`, per need: they left without their visit) and those at a counter (`interrupted`); the store then
erases the day's personal data (contactpoint/erasure.py). A closed day takes no more tickets; the date turning
after it is a second `day_closed` of the same day, with nothing left to count.
"""

from __future__ import annotations

from datetime import datetime

from .errors import CommandError
from .facts import Event
from .model import AT_COUNTER, WAITING, SiteState
from .site import Site

#: why a day closed: the date turned, the site's closing time came, a manager's button, the command
CAUSES = ("midnight", "closing", "manager", "cli")


def _by_need(state: SiteState, day: str, states: frozenset[object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in state.tickets.values():
        if t.day == day and t.state in states:
            out[t.need] = out.get(t.need, 0) + 1
    return dict(sorted(out.items()))


def day_closed_event(state: SiteState, now: float, next_day: str, cause: str, by: str | None = None) -> Event:
    """The close of `state.day` (walks the day's tickets once: a day closes once or twice a day)."""
    day = state.day
    data = {
        "day": day,
        "next_day": next_day,
        "cause": cause,
        "by": by,
        "abandoned": _by_need(state, day, frozenset(WAITING)),
        "interrupted": _by_need(state, day, frozenset(AT_COUNTER)),
    }
    return Event("day_closed", now, data)


def closing_time(site: Site, day: str) -> float | None:
    """The end of a local day's last opening span (epoch), or None: always open or closed all day (the day then
    closes at midnight)."""
    if site.hours.always_open:
        return None
    d = datetime.fromisoformat(day).date()
    spans = site.hours.spans(d)
    if not spans:
        return None
    return datetime.combine(d, max(s.end for s in spans), tzinfo=site.tz).timestamp()


def is_closed_today(state: SiteState, site: Site, now: float) -> bool:
    """Today was closed already (at closing time, by a manager, by the command): nothing more is issued."""
    return state.closed and state.day == site.day_of(now)


def close_at_closing(state: SiteState, site: Site, now: float) -> list[Event]:
    """The day-close timer's command: the day closes at its closing time, as soon as no visitor is at a counter
    (an agent finishing the last visit is never cut off; midnight closes it whatever)."""
    if not state.day or state.closed or state.day != site.day_of(now):
        return []
    end = closing_time(site, state.day)
    if end is None or now < end or any(c.ticket is not None for c in state.counters.values()):
        return []
    return [day_closed_event(state, now, state.day, "closing")]


def close_day(state: SiteState, site: Site, now: float, *, cause: str, by: str | None = None) -> list[Event]:
    """Close today now (a manager's button, the command). Closing a closed day does nothing (no event)."""
    if cause not in CAUSES:
        raise CommandError("bad_request", 400)
    today = site.day_of(now)
    if is_closed_today(state, site, now):
        return []
    if not state.day or today > state.day:
        # nothing happened yet today: the date turning closes the last day first (midnight), then today closes
        # with nobody to count
        turned = [day_closed_event(state, now, today, "midnight")] if state.day else []
        return [*turned, day_closed_event(SiteState(day=today), now, today, cause, by)]
    return [day_closed_event(state, now, today, cause, by)]
