"""The site's figures, folded from its events one at a time (pure: no Flask, no IO, no clock).

One definition for the box (live page, history, `contactpoint figures`) and the hub: DESIGN.md's figures, as
docs/figures.md writes them out. A `Tally` holds one group's counts and histograms and merges with another by
adding; a `DayTally` folds events in O(1) each into groups (day, need, hour of issue), keeping a little state per
ticket only while the ticket is open, and yields `FigureRow`s per day × need (plus an `all` row per day) or per
day × need × hour. `contactpoint/domain/figures.py` keeps the per-ticket helpers the queue uses (the wait
estimate, a ticket's waiting and service time) and `day_figures`, the same definitions over a list of tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .facts import Event
from .figure_settings import FigureSettings
from .histogram import BUCKET_EDGES_S, Histogram
from .rows import CSV_COLUMNS, FigureRow, row_csv, row_dict

By = Literal["need", "hour"]
ALL = "all"  # the need of a day's row over every need
CHANNELS = ("kiosk", "appointment", "phone", "email", "desk")
TAP_CHANNELS = ("tablet", "buttons", "phone")

Key = tuple[str, str | None, int]  # (the site's local day, need or None for the site, hour 0–23)


def _add(d: dict[Any, int], key: Any, n: int = 1) -> None:
    d[key] = d.get(key, 0) + n


@dataclass(slots=True)
class Tally:
    """One group's counts and histograms. Every field adds up across groups, days and sites."""

    issued: int = 0
    called: int = 0
    served: int = 0  # visits finished, logged contacts included
    no_shows: int = 0  # tickets called that did not come at least once
    abandoned: int = 0  # never called: cancelled before a call, or still waiting when the day closed
    transferred: int = 0  # tickets transferred at least once
    within_level: int = 0  # tickets first called within their need's service level threshold
    priority: int = 0
    appointments: int = 0  # tickets of an appointment
    help_alerts: int = 0
    waits: Histogram = field(default_factory=Histogram)
    services: Histogram = field(default_factory=Histogram)
    outcomes: dict[str, int] = field(default_factory=dict)
    referrals_by_kind: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)  # visits finished, by channel
    taps: dict[int, int] = field(default_factory=dict)  # score 1–4 -> taps
    taps_by_channel: dict[str, int] = field(default_factory=dict)
    taps_by_channel_score: dict[str, int] = field(default_factory=dict)  # "channel:score" -> taps (the reporter's)

    @staticmethod
    def merged(a: Tally, b: Tally) -> Tally:
        out = Tally()
        for f in fields(Tally):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, Histogram):
                setattr(out, f.name, x.merge(y))
            elif isinstance(x, dict):
                d = dict(x)
                for k, v in y.items():
                    _add(d, k, v)
                setattr(out, f.name, d)
            else:
                setattr(out, f.name, x + y)
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(Tally):
            x = getattr(self, f.name)
            if isinstance(x, Histogram):
                out[f.name] = x.to_dict()
            elif isinstance(x, dict):
                out[f.name] = {str(k): v for k, v in sorted(x.items())}
            else:
                out[f.name] = x
        return out

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Tally:
        t = Tally()
        for f in fields(Tally):
            if f.name not in d:
                continue
            x = getattr(t, f.name)
            if isinstance(x, Histogram):
                setattr(t, f.name, Histogram.from_dict(d[f.name]))
            elif f.name == "taps":
                t.taps = {int(k): int(v) for k, v in d[f.name].items()}
            elif isinstance(x, dict):
                setattr(t, f.name, {str(k): int(v) for k, v in d[f.name].items()})
            else:
                setattr(t, f.name, int(d[f.name]))
        return t

    def row(self, day: str, need: str, hour: int | None, undecided: int = 0) -> FigureRow:
        """The figures of this group. `undecided`: tickets still waiting, not yet past their threshold (live only:
        they are left out of the service level until they are called or pass it)."""
        taps = sum(self.taps.values())
        t = self.taps

        def ratio(num: float, den: int) -> float | None:
            return num / den if den else None

        return FigureRow(
            day=day,
            need=need,
            hour=hour,
            issued=self.issued,
            called=self.called,
            served=self.served,
            no_shows=self.no_shows,
            abandoned=self.abandoned,
            transferred=self.transferred,
            priority=self.priority,
            appointments=self.appointments,
            wait_p50_s=self.waits.percentile(50),
            wait_p90_s=self.waits.percentile(90),
            wait_max_s=self.waits.max(),
            service_p50_s=self.services.percentile(50),
            service_p90_s=self.services.percentile(90),
            service_max_s=self.services.max(),
            no_show_rate=ratio(self.no_shows, self.called),
            abandonment=ratio(self.abandoned, self.issued),
            service_level=ratio(self.within_level, self.issued - undecided),
            first_line_resolution=ratio(self.outcomes.get("resolved", 0), self.served),
            outcomes=dict(sorted(self.outcomes.items())),
            referrals_by_kind=dict(sorted(self.referrals_by_kind.items())),
            channels=dict(sorted(self.channels.items())),
            taps=dict(sorted(self.taps.items())),
            taps_by_channel=dict(sorted(self.taps_by_channel.items())),
            csat=ratio(t.get(3, 0) + t.get(4, 0), taps),
            happy_index=ratio(100 * (t.get(4, 0) + t.get(3, 0) - t.get(2, 0) - t.get(1, 0)), taps),
            response_rate=ratio(taps, self.served),
            help_alerts=self.help_alerts,
        )


@dataclass(slots=True)
class _Open:
    """What is kept of a ticket while it is open (dropped once it is finished, cancelled or its day closed)."""

    key: Key
    start: float  # when its wait started: issue, or max(check-in, slot) for an appointment
    level_s: float
    channel: str
    called_at: float | None = None  # first call
    serving_at: float | None = None
    no_show: bool = False
    transferred: bool = False


def rows_of(
    groups: Mapping[Key, Tally], by: By = "need", undecided: Mapping[Key, int] | None = None
) -> list[FigureRow]:
    """Rows of grouped tallies: per day × need plus an `all` row per day (`by="need"`), or per day × need ×
    hour plus an `all` row per day × hour (`by="hour"`). Sorted by day, hour, then need (`all` first)."""
    und = undecided or {}
    merged: dict[tuple[str, str, int | None], tuple[Tally, int]] = {}

    def put(k: tuple[str, str, int | None], t: Tally, u: int) -> None:
        got = merged.get(k)
        merged[k] = (t, u) if got is None else (Tally.merged(got[0], t), got[1] + u)

    for (day, need, hour), t in groups.items():
        h = hour if by == "hour" else None
        u = und.get((day, need, hour), 0)
        put((day, ALL, h), t, u)
        if need is not None:
            put((day, need, h), t, u)
    ordered = sorted(merged, key=lambda k: (k[0], -1 if k[2] is None else k[2], k[1] != ALL, k[1]))
    return [merged[k][0].row(k[0], k[1], k[2], merged[k][1]) for k in ordered]


class DayTally:
    """The figures of a site's days, fed one event at a time (`add`), each in O(1)."""

    def __init__(self, settings: FigureSettings) -> None:
        self.settings = settings
        self.groups: dict[Key, Tally] = {}
        self.open: dict[str, _Open] = {}  # tickets not final yet, by id
        self.touched: Key | None = None  # the group the last event added to (None: it changed no group)

    def _group(self, key: Key) -> Tally:
        self.touched = key
        t = self.groups.get(key)
        if t is None:
            t = self.groups[key] = Tally()
        return t

    def _site_key(self, at: float, need: str | None) -> Key:
        local = self.settings.local(at)
        return (local.date().isoformat(), need, self.settings.slot(local))

    def add(self, ev: Event) -> None:
        """Fold one event in (unknown types and tickets not seen issued are ignored: the tally never raises)."""
        self.touched = None
        handler = _HANDLERS.get(ev.type)
        if handler is not None:
            handler(self, ev)

    def days(self) -> list[str]:
        return sorted({k[0] for k in self.groups})

    def day_groups(self, day: str) -> dict[Key, Tally]:
        return {k: t for k, t in self.groups.items() if k[0] == day}

    def pop_day(self, day: str) -> dict[Key, Tally]:
        """Take a day's groups out (frozen elsewhere); its open tickets stay."""
        out = self.day_groups(day)
        for k in out:
            del self.groups[k]
        return out

    def undecided(self, now: float | None) -> dict[Key, int]:
        """Per group, the tickets still waiting to be first called and not yet past their threshold at `now`."""
        out: dict[Key, int] = {}
        if now is None:
            return out
        for o in self.open.values():
            if o.called_at is None and now - o.start <= o.level_s:
                _add(out, o.key)
        return out

    def rows(self, by: By = "need", now: float | None = None, day: str | None = None) -> list[FigureRow]:
        """The rows of every day (or of `day`). `now` given: the live figures (tickets still waiting within
        their threshold are left out of the service level); None: as the day closed."""
        groups = self.groups if day is None else self.day_groups(day)
        return rows_of(groups, by, self.undecided(now))

    # -- the events ---------------------------------------------------------------------------------------
    def _issued(self, ev: Event) -> None:
        d = ev.data
        need = str(d["need"])
        slot = d.get("slot_at")
        local = self.settings.local(ev.at)
        key: Key = (str(d.get("day") or local.date().isoformat()), need, self.settings.slot(local))
        appointment = d.get("appointment_id") is not None
        self.open[str(d["id"])] = _Open(
            key=key,
            start=ev.at if slot is None else max(ev.at, float(slot)),
            level_s=self.settings.level(need),
            channel="appointment" if appointment else "kiosk",
        )
        t = self._group(key)
        t.issued += 1
        t.priority += bool(d.get("priority"))
        t.appointments += appointment

    def _called(self, ev: Event) -> None:
        o = self.open.get(str(ev.data.get("ticket")))
        if o is None or o.called_at is not None:
            return
        o.called_at = ev.at
        t = self._group(o.key)
        t.called += 1
        wait = max(0.0, ev.at - o.start)
        t.waits.add(wait)
        t.within_level += wait <= o.level_s

    def _started(self, ev: Event) -> None:
        o = self.open.get(str(ev.data.get("ticket")))
        if o is not None:
            o.serving_at = ev.at

    def _finished_visit(self, t: Tally, data: Mapping[str, Any], channel: str) -> None:
        t.served += 1
        outcome = str(data.get("outcome"))
        _add(t.outcomes, outcome)
        if outcome == "referred" or data.get("referral") is not None:
            _add(t.referrals_by_kind, self.settings.kind(data.get("referral")))
        _add(t.channels, channel)

    def _finished(self, ev: Event) -> None:
        o = self.open.pop(str(ev.data.get("ticket")), None)
        if o is None:
            return
        t = self._group(o.key)
        self._finished_visit(t, ev.data, o.channel)
        start = o.serving_at if o.serving_at is not None else o.called_at
        if start is not None:
            t.services.add(max(0.0, ev.at - start))

    def _no_show(self, ev: Event) -> None:
        o = self.open.get(str(ev.data.get("ticket")))
        if o is not None and not o.no_show:
            o.no_show = True
            self._group(o.key).no_shows += 1

    def _transferred(self, ev: Event) -> None:
        o = self.open.get(str(ev.data.get("ticket")))
        if o is not None and not o.transferred:
            o.transferred = True
            self._group(o.key).transferred += 1

    def _cancelled(self, ev: Event) -> None:
        o = self.open.pop(str(ev.data.get("ticket")), None)
        if o is not None and o.called_at is None:
            self._group(o.key).abandoned += 1

    def _day_closed(self, ev: Event) -> None:
        day = str(ev.data.get("day"))
        for tid in [tid for tid, o in self.open.items() if o.key[0] == day]:
            o = self.open.pop(tid)
            if o.called_at is None:
                self._group(o.key).abandoned += 1

    def _help(self, ev: Event) -> None:
        self._group(self._site_key(ev.at, None)).help_alerts += 1

    def _feedback(self, ev: Event) -> None:
        d = ev.data
        score = d.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 4:
            return
        need = d.get("need")
        t = self._group(self._site_key(ev.at, None if need is None else str(need)))
        _add(t.taps, score)
        _add(t.taps_by_channel, str(d.get("channel")))
        _add(t.taps_by_channel_score, f"{d.get('channel')}:{score}")

    def _contact(self, ev: Event) -> None:
        d = ev.data
        day, _, hour = self._site_key(ev.at, None)
        need = d.get("need")
        t = self._group((str(d.get("day") or day), None if need is None else str(need), hour))
        self._finished_visit(t, d, str(d.get("channel")))


_HANDLERS = {
    "ticket_issued": DayTally._issued,
    "ticket_called": DayTally._called,
    "service_started": DayTally._started,
    "service_finished": DayTally._finished,
    "no_show": DayTally._no_show,
    "ticket_transferred": DayTally._transferred,
    "ticket_cancelled": DayTally._cancelled,
    "day_closed": DayTally._day_closed,
    "help_requested": DayTally._help,
    "feedback_given": DayTally._feedback,
    "contact_logged": DayTally._contact,
}

__all__ = [
    "ALL",
    "By",
    "Key",
    "BUCKET_EDGES_S",
    "CHANNELS",
    "CSV_COLUMNS",
    "DayTally",
    "FigureRow",
    "FigureSettings",
    "Histogram",
    "Tally",
    "TAP_CHANNELS",
    "row_csv",
    "row_dict",
    "rows_of",
]
