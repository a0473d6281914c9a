"""The manager's alerts: what the Today page shows so that reinforcement is called in on time (pure: the tickets,
the needs and the time are passed in).

- `long_wait`: a visitor waits longer than their need's `max_wait_minutes` (the site's standard);
- `long_service`: a visit at a counter lasts longer than its need's `max_service_minutes`;
- `low_first_line`: a need's first-line resolution over its last 7 days is below the study's 60% floor;
- `negative_run`: a run of unhappy taps (the satisfaction taps' rule, computed by the engine's query).

Never per agent: a long visit names its counter and its ticket number, not who serves it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import AT_COUNTER, WAITING, Ticket
from .site import Need

#: the study's floor for first-line resolution (DESIGN.md: "at least 60% of questions answered at the first line")
FIRST_LINE_TARGET = 0.60
#: how many days the first-line alert looks back over, today included
FIRST_LINE_DAYS = 7


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: its kind, the need it is about (None: the whole site), how many visits and how bad."""

    kind: str  # long_wait | long_service | low_first_line | negative_run
    need: str | None
    count: int  # visitors waiting too long, visits too long, visits finished in the week, negative taps
    worst_s: float = 0.0  # the longest wait or visit (long_wait, long_service)
    limit_s: float = 0.0  # the standard it passed (long_wait, long_service)
    rate: float | None = None  # low_first_line: the week's first-line resolution
    numbers: tuple[str, ...] = ()  # the tickets' numbers (long_wait, long_service), longest first, at most 5
    counters: tuple[str, ...] = field(default=())  # long_service: the counters where those visits are

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "need": self.need,
            "count": self.count,
            "worst_s": self.worst_s,
            "limit_s": self.limit_s,
            "rate": self.rate,
            "numbers": list(self.numbers),
            "counters": list(self.counters),
        }


def wait_start(t: Ticket) -> float:
    """Where a visitor's wait starts: the issue, or for an appointment max(check-in, slot) (DESIGN.md)."""
    return t.issued_at if t.slot_at is None else max(t.issued_at, t.slot_at)


def service_start(t: Ticket) -> float | None:
    """Where a visit at the counter starts: its explicit start, else its first call."""
    return t.serving_at if t.serving_at is not None else t.called_at


def standard_alerts(tickets: Iterable[Ticket], needs: Iterable[Need], now: float) -> list[Alert]:
    """Visitors past their need's maximum wait and visits past its maximum service time, one alert per need and
    kind (needs without a standard raise none), in the needs' order."""
    by_id = {n.id: n for n in needs}
    waits: dict[str, list[tuple[float, Ticket]]] = {}
    visits: dict[str, list[tuple[float, Ticket]]] = {}
    for t in tickets:
        need = by_id.get(t.need)
        if need is None:
            continue
        if t.state in WAITING and need.max_wait_minutes is not None:
            waited = now - wait_start(t)
            if waited > need.max_wait_minutes * 60:
                waits.setdefault(t.need, []).append((waited, t))
        elif t.state in AT_COUNTER and need.max_service_minutes is not None:
            start = service_start(t)
            if start is not None and now - start > need.max_service_minutes * 60:
                visits.setdefault(t.need, []).append((now - start, t))
    out: list[Alert] = []
    for need_id, need in by_id.items():
        for kind, found, limit in (
            ("long_wait", waits.get(need_id), need.max_wait_minutes),
            ("long_service", visits.get(need_id), need.max_service_minutes),
        ):
            if not found or limit is None:
                continue
            found.sort(key=lambda x: (-x[0], x[1].id))
            out.append(
                Alert(
                    kind,
                    need_id,
                    len(found),
                    worst_s=found[0][0],
                    limit_s=limit * 60.0,
                    numbers=tuple(t.number for _, t in found[:5]),
                    counters=tuple(t.counter for _, t in found[:5] if t.counter) if kind == "long_service" else (),
                )
            )
    return out


def first_line_alerts(week: Iterable[tuple[str, int, int]], target: float = FIRST_LINE_TARGET) -> list[Alert]:
    """Needs whose first-line resolution over the week is below `target`: `week` gives, per need, the visits
    finished and those resolved at first line over the last `FIRST_LINE_DAYS` days (summed by the caller from
    the figures' rows). A need with no finished visit raises nothing: there is nothing to judge yet."""
    out = []
    for need, finished, resolved in week:
        if finished > 0 and resolved / finished < target:
            out.append(Alert("low_first_line", need, finished, rate=resolved / finished))
    return out
