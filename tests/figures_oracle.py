"""The figures computed directly from a list of events, written apart from contactpoint/domain/tally.py (none of
its code is used here): each ticket's story is gathered first, then every figure is a plain count or a sorted
list over those stories, as DESIGN.md and docs/figures.md define them. The property tests compare the two."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

# the documented bucket edges, written out again: 1 minute up to 60, 5 minutes up to 120, 15 minutes up to 240
EDGES = [m * 60.0 for m in range(1, 61)] + [m * 60.0 for m in range(65, 121, 5)] + [m * 60.0 for m in
                                                                                    range(135, 241, 15)]


def reported(values: list[float], p: float) -> float | None:
    """The exact nearest-rank percentile, then the upper edge of its bucket, capped by the largest value."""
    if not values:
        return None
    s = sorted(values)
    exact = s[max(0, math.ceil(p / 100 * len(s)) - 1)]
    upper = next((e for e in EDGES if exact <= e), math.inf)
    return min(upper, s[-1])


@dataclass
class Story:
    id: str
    day: str
    need: str
    hour: int
    issued_at: float
    slot_at: float | None
    appointment: bool
    priority: bool
    calls: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    finished: tuple[float, str, str | None] | None = None
    no_shows: int = 0
    transfers: int = 0
    cancelled_at: float | None = None
    closed: bool = False  # its day closed while it was still open


@dataclass
class Visit:  # a finished visit or a logged contact
    day: str
    need: str | None
    hour: int
    outcome: str
    referral: str | None
    channel: str


def _local(at: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(at, tz)


def oracle(events: list[Any], tz: tzinfo, levels: dict[str, float], kinds: dict[str, str], by: str = "need",
           now: float | None = None) -> dict[tuple[str, str, int | None], dict[str, Any]]:
    stories: dict[str, Story] = {}
    visits: list[Visit] = []
    taps: list[tuple[str, str | None, int, int, str]] = []  # day, need, hour, score, channel
    helps: list[tuple[str, int]] = []
    for ev in events:
        d = ev.data
        s = stories.get(d.get("ticket", ""))
        if ev.type == "ticket_issued":
            loc = _local(ev.at, tz)
            stories[d["id"]] = Story(d["id"], d["day"], d["need"], loc.hour, ev.at, d.get("slot_at"),
                                     d.get("appointment_id") is not None, bool(d.get("priority")))
        elif s is None or s.closed or s.finished or s.cancelled_at is not None:
            pass
        elif ev.type == "ticket_called":
            s.calls.append(ev.at)
        elif ev.type == "service_started":
            s.starts.append(ev.at)
        elif ev.type == "service_finished":
            s.finished = (ev.at, d["outcome"], d.get("referral"))
        elif ev.type == "no_show":
            s.no_shows += 1
        elif ev.type == "ticket_transferred":
            s.transfers += 1
        elif ev.type == "ticket_cancelled":
            s.cancelled_at = ev.at
        if ev.type == "day_closed":
            for x in stories.values():
                if x.day == d["day"] and not x.finished and x.cancelled_at is None:
                    x.closed = True
        elif ev.type == "help_requested":
            loc = _local(ev.at, tz)
            helps.append((loc.date().isoformat(), loc.hour))
        elif ev.type == "feedback_given" and d.get("score") in (1, 2, 3, 4):
            loc = _local(ev.at, tz)
            taps.append((loc.date().isoformat(), d.get("need"), loc.hour, d["score"], d["channel"]))
        elif ev.type == "contact_logged":
            loc = _local(ev.at, tz)
            visits.append(Visit(d["day"], d.get("need"), loc.hour, d["outcome"], d.get("referral"), d["channel"]))
    for s in stories.values():
        if s.finished:
            visits.append(Visit(s.day, s.need, s.hour, s.finished[1], s.finished[2],
                                "appointment" if s.appointment else "kiosk"))

    def groups(day: str, need: str | None, hour: int) -> list[tuple[str, str, int | None]]:
        h = hour if by == "hour" else None
        return [(day, "all", h)] + ([(day, need, h)] if need is not None else [])

    per_t: dict[Any, list[Story]] = defaultdict(list)
    per_v: dict[Any, list[Visit]] = defaultdict(list)
    per_tap: dict[Any, list[tuple[int, str]]] = defaultdict(list)
    per_help: dict[Any, int] = defaultdict(int)
    for s in stories.values():
        for g in groups(s.day, s.need, s.hour):
            per_t[g].append(s)
    for v in visits:
        for g in groups(v.day, v.need, v.hour):
            per_v[g].append(v)
    for day, need, hour, score, channel in taps:
        for g in groups(day, need, hour):
            per_tap[g].append((score, channel))
    for day, hour in helps:
        for g in groups(day, None, hour):
            per_help[g] += 1
    out = {}
    for g in set(per_t) | set(per_v) | set(per_tap) | set(per_help):
        out[g] = _figures(per_t[g], per_v[g], per_tap[g], per_help[g], levels, kinds, now)
    return out


def _wait(s: Story) -> float:
    start = s.issued_at if s.slot_at is None else max(s.issued_at, s.slot_at)
    return max(0.0, s.calls[0] - start)


def _figures(ts: list[Story], vs: list[Visit], taps: list[tuple[int, str]], helps: int, levels: dict[str, float],
             kinds: dict[str, str], now: float | None) -> dict[str, Any]:
    called = [s for s in ts if s.calls]
    waits = [_wait(s) for s in called]
    services = []
    for s in ts:
        if s.finished:
            start = s.starts[-1] if s.starts else s.calls[0]
            services.append(max(0.0, s.finished[0] - start))
    never = [s for s in ts if not s.calls]
    abandoned = [s for s in never if s.cancelled_at is not None or s.closed]
    within = [s for s in called if _wait(s) <= levels.get(s.need, 900.0)]

    def still_inside(s: Story) -> bool:
        start = s.issued_at if s.slot_at is None else max(s.issued_at, s.slot_at)
        return now - start <= levels.get(s.need, 900.0)  # type: ignore[operator]

    undecided = [] if now is None else [s for s in never if s not in abandoned and still_inside(s)]
    outcomes: dict[str, int] = defaultdict(int)
    refs: dict[str, int] = defaultdict(int)
    channels: dict[str, int] = defaultdict(int)
    for v in vs:
        outcomes[v.outcome] += 1
        channels[v.channel] += 1
        if v.outcome == "referred" or v.referral is not None:
            refs["unspecified" if v.referral is None else kinds.get(v.referral, "other")] += 1
    scores = [x for x, _ in taps]
    tap_channels: dict[str, int] = defaultdict(int)
    for _, ch in taps:
        tap_channels[ch] += 1

    def share(a: float, b: int) -> float | None:
        return a / b if b else None

    return {
        "issued": len(ts),
        "called": len(called),
        "served": len(vs),
        "no_shows": sum(1 for s in ts if s.no_shows),
        "abandoned": len(abandoned),
        "transferred": sum(1 for s in ts if s.transfers),
        "priority": sum(1 for s in ts if s.priority),
        "appointments": sum(1 for s in ts if s.appointment),
        "wait_p50_s": reported(waits, 50),
        "wait_p90_s": reported(waits, 90),
        "wait_max_s": max(waits, default=None),
        "service_p50_s": reported(services, 50),
        "service_p90_s": reported(services, 90),
        "service_max_s": max(services, default=None),
        "no_show_rate": share(sum(1 for s in called if s.no_shows), len(called)),
        "abandonment": share(len(abandoned), len(ts)),
        "service_level": share(len(within), len(ts) - len(undecided)),
        "first_line_resolution": share(outcomes.get("resolved", 0), len(vs)),
        "outcomes": dict(outcomes),
        "referrals_by_kind": dict(refs),
        "channels": dict(channels),
        "taps": {k: scores.count(k) for k in (1, 2, 3, 4) if k in scores},
        "taps_by_channel": dict(tap_channels),
        "csat": share(sum(1 for x in scores if x >= 3), len(scores)),
        "happy_index": share(100 * sum(1 if x >= 3 else -1 for x in scores), len(scores)),
        "response_rate": share(len(scores), len(vs)),
        "help_alerts": helps,
    }
