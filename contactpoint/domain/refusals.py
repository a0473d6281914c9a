"""May the kiosk issue a ticket now? The refusal rules (pure: no IO, no Flask).

- The site is closed (opening hours, a closed day) or about to close (`last_ticket_s`).
- A need's daily capacity is reached (walk-ins only: a late appointment was booked), no open counter serves it
  (`require_open_counter`), or its queue is too long for the honest estimate to be called before the opening span
  ends.

Each answer carries the instant the visitor can come back, when there is one. The counts and the queue come from
the projection's index (queues.py): no rule walks the day's tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from .closing import is_closed_today
from .figures import counters_serving, idle_counters, wait_estimate_s
from .model import SiteState
from .site import Site


@dataclass(frozen=True, slots=True)
class Refusal:
    # a message key: site_closed | site_closing | capacity_reached | queue_full | no_counter_for_need |
    # no_counter_open
    key: str
    come_back_at: float | None  # when the visitor can come back (epoch), None when unknown


def _epoch(local: datetime) -> float:
    return local.timestamp()


def _span_end(site: Site, local: datetime) -> datetime | None:
    """The end of the opening span `local` falls in (None when closed or always open)."""
    if site.hours.always_open:
        return None
    for span in site.hours.spans(local.date()):
        if span.contains(local.time()):
            return datetime.combine(local.date(), span.end, tzinfo=local.tzinfo)
    return None


def _after(site: Site, local: datetime | None) -> float | None:
    if local is None:
        return None
    nxt = site.hours.next_opening(local)
    return None if nxt is None else _epoch(nxt)


def after_span(site: Site, now: float) -> float | None:
    """The next opening after the opening span `now` falls in (today after lunch, or a later day); None when
    always open or never again."""
    return _after(site, _span_end(site, site.local(now)))


def next_day_opening(site: Site, now: float) -> float | None:
    """The first opening on a later day than `now`'s local day (for "full today, come back …")."""
    local = site.local(now)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo)
    return _after(site, midnight - timedelta(microseconds=1))


def site_refusal(site: Site, now: float) -> Refusal | None:
    """Closed (opening hours, a closed day), or too close to closing for a ticket to be served today; else None."""
    local = site.local(now)
    if not site.hours.is_open(local):
        return Refusal("site_closed", _after(site, local))
    end = _span_end(site, local)
    if end is not None and _epoch(end) - now < site.policy.last_ticket_s:
        return Refusal("site_closing", _after(site, end))
    return None


def issued_today(state: SiteState, site: Site, now: float, need: str) -> int:
    """Tickets issued today for a need (appointment check-ins are not counted against the capacity)."""
    day = site.day_of(now)
    if state.day != day:
        return 0
    return state.index.walk_ins.get((day, need), 0)


def newcomer_wait_s(state: SiteState, site: Site, now: float, need: str, priority: bool = False) -> float | None:
    """The wait a ticket issued now would be told (the same estimate as its ticket screen); None: no counter."""
    counters = state.counters.values()
    serving = counters_serving(counters, need)
    if serving <= 0:
        return None
    policy = site.policy
    ahead, recent = 0, []
    if state.day == site.day_of(now):  # else yesterday's queue leaves at the day's close: nobody is ahead
        ahead = state.index.ahead_of_newcomer(need, now, policy, priority)
        recent = state.index.recent(need)
    return wait_estimate_s(ahead, serving, recent, policy.default_service_s, idle_counters(counters, need))


def need_refusal(
    state: SiteState, site: Site, now: float, need: str, *, priority: bool = False, walk_in: bool = True
) -> Refusal | None:
    """A need that cannot take a ticket now, the site being open: its daily capacity (walk-ins only), no open
    counter serving it (`require_open_counter`), or a queue too long to be called before the opening span ends
    (the honest estimate of the call time is after it)."""
    if is_closed_today(state, site, now):  # a manager closed the day, or its closing time came
        return Refusal("site_closed", next_day_opening(site, now))
    n = site.need(need)
    if walk_in and n is not None and n.capacity is not None and issued_today(state, site, now, need) >= n.capacity:
        return Refusal("capacity_reached", next_day_opening(site, now))
    local = site.local(now)
    end = _span_end(site, local)
    if site.policy.require_open_counter and not any(c.open and need in c.needs for c in state.counters.values()):
        later = _after(site, end)  # if none opens in this span: the next opening (None when always open)
        if not any(c.open for c in state.counters.values()):
            return Refusal("no_counter_open", later)
        return Refusal("no_counter_for_need", later)
    if end is None:  # always open: no closing time to be called before
        return None
    wait = newcomer_wait_s(state, site, now, need, priority)  # None: every counter for it paused, no estimate
    if wait is not None and now + wait > _epoch(end):
        return Refusal("queue_full", _after(site, end))  # the next opening: today after lunch, or another day
    return None


def ticket_refusal(
    state: SiteState, site: Site, now: float, need: str, *, priority: bool = False, walk_in: bool = True
) -> Refusal | None:
    """Why no ticket for this need can be issued now (None: it can). A late appointment (walk_in=False) is not
    held to the need's capacity: it was booked."""
    return site_refusal(site, now) or need_refusal(state, site, now, need, priority=priority, walk_in=walk_in)


def unavailable_needs(state: SiteState, site: Site, now: float) -> dict[str, str]:
    """Needs the kiosk marks on the needs screen, each with why (capacity_reached, queue_full, no_counter_…)."""
    out: dict[str, str] = {need: "capacity_reached" for need in full_needs(state, site, now)}
    for n in site.needs:
        if n.id not in out:
            r = need_refusal(state, site, now, n.id)
            if r is not None:
                out[n.id] = r.key
    return out


def full_needs(state: SiteState, site: Site, now: float) -> set[str]:
    """Needs whose capacity for today is reached (the kiosk marks them): the day's tickets are counted once."""
    capped = [n for n in site.needs if n.capacity is not None]
    if not capped:
        return set()
    day = site.day_of(now)
    if state.day != day:
        return set()
    return {n.id for n in capped if n.capacity is not None and state.index.walk_ins.get((day, n.id), 0) >= n.capacity}
