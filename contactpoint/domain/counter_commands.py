"""The counter's own commands: open, close, release, pause, resume, and the discreet help alert (pure).

Each function reads the state, never changes it, and returns the events to append (or raises CommandError).
`contactpoint.domain.commands` re-exports them: callers name every command from there.
"""

from __future__ import annotations

from .checks import MAX_REASON, clean_text, day_change, my_counter
from .errors import CommandError
from .events import Event
from .model import AT_COUNTER, SiteState
from .site import Site


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


def close_counter(state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    if c.ticket is not None:
        raise CommandError("finish_current_first")
    return [Event("counter_closed", now, {"counter": counter})]


#: why a counter was closed without its agent pressing "close": they logged out, their account was disabled,
#: or a colleague closed it (a counter page that died, an agent who left without logging out)
RELEASE_CAUSES = frozenset({"logout", "disabled", "colleague"})


def release_counter(
    state: SiteState,
    site: Site,
    now: float,
    *,
    counter: str,
    cause: str,
    agent: str | None = None,
    by: str | None = None,
    reason: str | None = None,
) -> list[Event]:
    """Close a counter whatever it is doing. The visitor called to it or served there goes back to their
    need's queue at their original place (`ticket_returned`): the next agent calls them first, nobody
    waits for a desk that has closed. A colleague closing someone else's counter must give a reason.
    `agent`: the agent the caller saw there (refused if another has taken the counter since)."""
    if cause not in RELEASE_CAUSES:
        raise CommandError("bad_request", 400)
    c = my_counter(state, site, counter, agent)
    why = clean_text(reason, MAX_REASON, "reason_too_long")
    if cause == "colleague" and not why:
        raise CommandError("reason_required", 400)
    events = []
    if c.ticket is not None and c.ticket in state.tickets and state.tickets[c.ticket].state in AT_COUNTER:
        events.append(Event("ticket_returned", now, {"ticket": c.ticket, "counter": c.id}))
    events.append(Event("counter_closed", now, {"counter": c.id, "cause": cause, "by": by, "reason": why}))
    return events


def pause(
    state: SiteState, site: Site, now: float, *, counter: str, reason: str | None = None, agent: str | None = None
) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    if c.paused:
        raise CommandError("counter_paused")
    why = clean_text(reason, MAX_REASON, "reason_too_long")
    return [Event("counter_paused", now, {"counter": c.id, "reason": why})]


def resume(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None
) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    if not c.paused:
        raise CommandError("counter_not_paused")
    return [Event("counter_resumed", now, {"counter": c.id})]


def request_help(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None
) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    if c.help:  # raised already (a double tap, two tabs): one alert is one event, so the figures count it once
        return []
    return [Event("help_requested", now, {"counter": c.id})]


def clear_help(
    state: SiteState, site: Site, now: float, *, counter: str, agent: str | None = None
) -> list[Event]:
    c = my_counter(state, site, counter, agent)
    if not c.help:
        raise CommandError("no_help_request")
    return [Event("help_cleared", now, {"counter": c.id})]
