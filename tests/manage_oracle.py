"""An independent computation of the history export's figures, straight from the event log (DESIGN.md's
definitions, written again without the tally): per day × need and an `all` row per day. Only for the tests."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Visit:
    day: str
    need: str
    issued_at: float
    start: float  # where the wait starts
    level_s: float
    called_at: float | None = None
    serving_at: float | None = None
    finished_at: float | None = None
    outcome: str | None = None
    referral: str | None = None
    no_show: bool = False
    cancelled: bool = False


@dataclass
class Expected:
    issued: int = 0
    called: int = 0
    served: int = 0
    no_shows: int = 0
    abandoned: int = 0
    within: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)


def visits(events: Iterable[Any], level_s: dict[str, float], tz: str) -> list[Visit]:
    """Each ticket's story from the log: issue, first call, last explicit start, finish, no-show, cancel."""
    zone = ZoneInfo(tz)
    by_id: dict[str, Visit] = {}
    for ev in events:
        d = ev.data
        if ev.type == "ticket_issued":
            slot = d.get("slot_at")
            day = d.get("day") or datetime.fromtimestamp(ev.at, zone).date().isoformat()
            by_id[d["id"]] = Visit(
                day, d["need"], ev.at, ev.at if slot is None else max(ev.at, slot), level_s.get(d["need"], 900.0)
            )
            continue
        v = by_id.get(d.get("ticket", ""))
        if v is None:
            continue
        if ev.type == "ticket_called" and v.called_at is None:
            v.called_at = ev.at
        elif ev.type == "service_started":
            v.serving_at = ev.at
        elif ev.type == "service_finished":
            v.finished_at, v.outcome, v.referral = ev.at, d.get("outcome"), d.get("referral")
        elif ev.type == "no_show":
            v.no_show = True
        elif ev.type == "ticket_cancelled":
            v.cancelled = True
    return list(by_id.values())


def expected(vs: list[Visit], kinds: dict[str, str]) -> dict[tuple[str, str], Expected]:
    """The figures of closed days per (day, need) and (day, "all")."""
    out: dict[tuple[str, str], Expected] = {}
    for v in vs:
        for key in ((v.day, v.need), (v.day, "all")):
            e = out.setdefault(key, Expected())
            e.issued += 1
            if v.called_at is not None:
                e.called += 1
                wait = v.called_at - v.start
                e.waits.append(wait)
                e.within += wait <= v.level_s
            else:
                e.abandoned += 1  # cancelled before a call, or still waiting when the day closed
            e.no_shows += v.no_show
            if v.finished_at is not None and v.outcome is not None:
                e.served += 1
                e.outcomes[v.outcome] = e.outcomes.get(v.outcome, 0) + 1
                begin = v.serving_at if v.serving_at is not None else v.called_at
                if begin is not None:
                    e.services.append(v.finished_at - begin)
                if v.outcome == "referred":
                    kind = kinds.get(v.referral or "", "other") if v.referral else "unspecified"
                    e.kinds[kind] = e.kinds.get(kind, 0) + 1
    return out


def nearest_rank(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]
