"""The upstream windows (pure): the log's events folded into one `Tally` per (15-minute window of the site's local
day, need), as the hub receives them.

A ticket's events all count in the window it was issued in (its wait, its visit, its outcome), as the day's
figures count them in the hour it was issued in: a visit that ends after its window was sent changes that window,
which is then sent again with a higher revision. Taps that name no need, and the safety alerts, count in the
site's own window of the moment (need None). Nothing of a ticket leaves this module but counts: no number, token,
name, note, agent or exact time (the window's start is its only time, to the quarter of an hour).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from contactpoint.domain.facts import Event
from contactpoint.domain.histogram import BUCKET_EDGES_S
from contactpoint.domain.site import Site
from contactpoint.domain.tally import DayTally, FigureSettings, Key, Tally
from contactpoint.report_format import SITE_NEED

WINDOW_MINUTES = 15
CONTACT_CHANNELS = ("phone", "email", "desk")
COUNTS = ("issued", "called", "served", "no_show", "abandoned", "transferred", "priority", "appointments",
          "contacts", "help_alerts")

WindowKey = tuple[str, str | None]  # (start "YYYY-MM-DDTHH:MM" in the site's local time, need or None)


def settings_of(site: Site) -> FigureSettings:
    return replace(FigureSettings.of(site), slot_minutes=WINDOW_MINUTES)


def start_of(key: Key) -> str:
    day, _, slot = key
    minutes = slot * WINDOW_MINUTES
    return f"{day}T{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    start: str
    day: str
    need: str | None
    content: dict[str, Any]  # the window as sent, but its revision

    @property
    def key(self) -> WindowKey:
        return (self.start, self.need)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def content(site: Site, need: str | None, t: Tally, undecided: int, level_s: float) -> dict[str, Any]:
    """A window's figures in the wire format's words (contactpoint/report_format.py)."""
    n = site.need(need) if need is not None else None
    counts = {
        "issued": t.issued, "called": t.called, "served": t.served, "no_show": t.no_shows,
        "abandoned": t.abandoned, "transferred": t.transferred, "priority": t.priority,
        "appointments": t.appointments, "contacts": sum(t.channels.get(c, 0) for c in CONTACT_CHANNELS),
        "help_alerts": t.help_alerts,
    }
    taps: dict[str, dict[str, int]] = {}
    for key, count in sorted(t.taps_by_channel_score.items()):
        channel, _, score = key.rpartition(":")
        taps.setdefault(channel, {s: 0 for s in ("1", "2", "3", "4")})[score] = count
    return {
        "need": SITE_NEED if need is None else need,
        "code": SITE_NEED if n is None else n.regional_code,
        "names": {} if n is None else dict(n.names),
        "counts": counts,
        "wait_hist": list(t.waits.counts),
        "service_hist": list(t.services.counts),
        "service_level": {"threshold_s": int(level_s), "within": t.within_level, "of": t.issued - undecided},
        "outcomes": dict(sorted(t.outcomes.items())),
        "referrals": dict(sorted(t.referrals_by_kind.items())),
        "channels": dict(sorted(t.channels.items())),
        "taps": taps,
    }


class Windows:
    """The windows of the open day(s), fed one event at a time in O(1) (`add`); `changed()` lists the windows
    touched since it was last asked, with their current content."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.settings = settings_of(site)
        self.tally = DayTally(self.settings)
        self._touched: set[Key] = set()

    def add(self, ev: Event) -> None:
        self.tally.add(ev)
        if ev.type == "day_closed":  # its waiting tickets became abandoned in many windows of the day
            day = str(ev.data.get("day"))
            self._touched.update(k for k in self.tally.groups if k[0] == day)
        elif self.tally.touched is not None:
            self._touched.add(self.tally.touched)

    def add_all(self, events: Iterable[Event]) -> None:
        for ev in events:
            self.add(ev)

    def changed(self, now: float | None) -> list[Window]:
        keys, self._touched = sorted(self._touched, key=_order), set()
        undecided = self.tally.undecided(now) if keys else {}
        return [self.window(k, undecided) for k in keys if k in self.tally.groups]

    def window(self, key: Key, undecided: Mapping[Key, int]) -> Window:
        day, need, _ = key
        level = self.settings.level(need) if need is not None else self.settings.default_level_s
        t = self.tally.groups[key]
        return Window(start_of(key), day, need, content(self.site, need, t, undecided.get(key, 0), level))

    def all(self, now: float | None) -> list[Window]:
        undecided = self.tally.undecided(now)
        return [self.window(k, undecided) for k in sorted(self.tally.groups, key=_order)]

    def forget_before(self, day: str) -> None:
        """Drop the windows of days before `day` (sent and final: the reporter keeps only recent days in memory)."""
        for k in [k for k in self.tally.groups if k[0] < day]:
            del self.tally.groups[k]


def _order(k: Key) -> tuple[str, int, str]:
    return (k[0], k[2], k[1] or "")


__all__ = ["BUCKET_EDGES_S", "COUNTS", "WINDOW_MINUTES", "Window", "Windows", "content", "start_of"]
