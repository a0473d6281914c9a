"""The figures, with DESIGN.md's definitions, used everywhere (box, hub, benchmarks).

A ticket's waiting and service time and the wait estimate live here; the site's figures per day, need and hour
are folded from the events by `tally.py` (docs/figures.md). `day_figures` computes the same definitions over a
list of tickets (a property test holds the two together).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .model import WAITING, Counter, Outcome, Ticket, TicketState


def waiting_time(t: Ticket) -> float | None:
    """First call − issue; for an appointment, first call − max(check-in, slot start)."""
    if t.called_at is None:
        return None
    return max(0.0, t.called_at - _wait_start(t))


def service_time(t: Ticket) -> float | None:
    """Finish − service start (start = first call when there was no explicit start)."""
    if t.finished_at is None or t.state != TicketState.DONE:
        return None
    start = t.serving_at if t.serving_at is not None else t.called_at
    if start is None:
        return None
    return max(0.0, t.finished_at - start)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


@dataclass(frozen=True, slots=True)
class DayFigures:
    issued: int
    called: int
    finished: int
    no_shows: int
    waiting_now: int
    no_show_rate: float | None  # no-shows / tickets called
    abandonment: float | None  # never called (cancelled before a call included) / issued
    service_level: float | None  # share of tickets called within their need's threshold of their issue
    first_line_resolution: float | None  # resolved at first line / finished
    wait_p50_s: float | None
    wait_p90_s: float | None
    service_p50_s: float | None


def _wait_start(t: Ticket) -> float:
    return t.issued_at if t.slot_at is None else max(t.issued_at, t.slot_at)


def day_figures(
    tickets: Iterable[Ticket],
    service_level_s: dict[str, float],
    default_level_s: float = 900.0,
    now: float | None = None,
) -> DayFigures:
    """The day's figures over its tickets. `now=None` means the day is closed: every ticket never called is
    abandoned and missed the service level. During the day (`now` given), a ticket not yet called counts
    against the service level once it has waited longer than its threshold, and is left out before: the
    bad news is never hidden by counting only the tickets that were lucky enough to be called."""
    ts = list(tickets)
    called = [t for t in ts if t.called_at is not None]
    finished = [t for t in ts if t.state == TicketState.DONE]
    waits = [w for t in called if (w := waiting_time(t)) is not None]
    services = [s for t in finished if (s := service_time(t)) is not None]

    def level(t: Ticket) -> float:
        return service_level_s.get(t.need, default_level_s)

    within = sum(1 for t in called if (w := waiting_time(t)) is not None and w <= level(t))
    undecided = (
        0
        if now is None
        else sum(
            1
            for t in ts
            if t.called_at is None and t.state != TicketState.CANCELLED and now - _wait_start(t) <= level(t)
        )
    )
    never_called = sum(1 for t in ts if t.called_at is None)
    return DayFigures(
        issued=len(ts),
        called=len(called),
        finished=len(finished),
        no_shows=sum(1 for t in ts if t.no_show_at is not None),
        waiting_now=sum(1 for t in ts if t.state in WAITING),
        no_show_rate=_ratio(sum(1 for t in called if t.no_show_at is not None), len(called)),
        abandonment=_ratio(never_called, len(ts)),
        service_level=_ratio(within, len(ts) - undecided),
        first_line_resolution=_ratio(sum(1 for t in finished if t.outcome == Outcome.RESOLVED), len(finished)),
        wait_p50_s=percentile(waits, 50),
        wait_p90_s=percentile(waits, 90),
        service_p50_s=percentile(services, 50),
    )


def recent_service_times(tickets: Iterable[Ticket], need: str | None = None, last: int = 20) -> list[float]:
    done = sorted(
        (t for t in tickets if t.state == TicketState.DONE and (need is None or t.need == need)),
        key=lambda t: t.finished_at or 0.0,
    )
    return [s for t in done[-last:] if (s := service_time(t)) is not None]


def counters_serving(counters: Iterable[Counter], need: str) -> int:
    return sum(1 for c in counters if c.open and not c.paused and need in c.needs)


def idle_counters(counters: Iterable[Counter], need: str) -> int:
    return sum(1 for c in counters if c.open and not c.paused and need in c.needs and c.ticket is None)


def wait_estimate_s(
    position: int, serving_counters: int, recent: Sequence[float], default_service_s: float, idle: int = 0
) -> float | None:
    """Expected wait before being called.

    People ahead who go straight to an idle counter cost nothing; each other person ahead costs one service
    time, shared by the counters serving the need, plus half a visit still in progress. Service time is the
    median of the day's recent visits (a prior until there are three). None when no counter serves the need:
    we do not invent a number.
    """
    if serving_counters <= 0:
        return None
    if position < idle:
        return 0.0
    service = percentile(recent, 50) if len(recent) >= 3 else None
    s = service if service is not None else default_service_s
    return (position - idle + 0.5) * s / serving_counters
