"""What a site is: its needs, counters, languages and opening hours (parsed from TOML elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from .feedback import FeedbackSettings


@dataclass(frozen=True, slots=True)
class Need:
    id: str
    prefix: str
    pictogram: str
    names: dict[str, str]
    service_level_minutes: int = 15
    capacity: int | None = None  # the most tickets a day for this need; None: no limit
    appointment_name: bool = False  # its appointments need the visitor's name (else a name is never kept)
    max_wait_minutes: int | None = None  # the site's standard: a visitor waiting longer raises a manager's alert
    max_service_minutes: int | None = None  # the same for a visit at the counter
    regional_code: str | None = None  # the need's code in the region's list (contactpoint/regional_needs.toml)

    def name(self, lang: str, fallback: str = "en") -> str:
        return self.names.get(lang) or self.names.get(fallback) or next(iter(self.names.values()), self.id)


@dataclass(frozen=True, slots=True)
class CounterDef:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Organisation:
    """Where a visitor can be referred: printed on a referral slip in the visitor's language."""

    id: str
    kind: str  # e.g. "cpas", "housing", "employment" (the referral's category in the figures)
    name: str
    address: str = ""
    phone: str = ""
    website: str = ""
    hours: dict[str, str] = field(default_factory=dict)  # translated opening hours text
    description: dict[str, str] = field(default_factory=dict)  # translated one-line description


@dataclass(frozen=True, slots=True)
class Zone:
    """A part of the waiting room: a display may show only some needs or counters."""

    id: str
    name: str
    needs: tuple[str, ...] = ()  # empty: every need
    counters: tuple[str, ...] = ()  # empty: every counter


@dataclass(frozen=True, slots=True)
class KioskSettings:
    idle_reset_s: int = 90  # back to the first screen after this long untouched (with a warning first)
    ticket_screen_s: int = 45  # how long the ticket stays on screen
    rate_limit: str = "30 per minute"  # tickets per kiosk address (Flask-Limiter syntax)


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    min_call_s: float = 6.0  # each call stays on screen at least this long; calls are queued, never overlap
    speech_rate: int = 140  # espeak-ng words per minute
    announce: bool = True  # chime + spoken announcement


@dataclass(frozen=True, slots=True)
class Span:
    start: time
    end: time

    def contains(self, t: time) -> bool:
        return self.start <= t < self.end


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    # weekday index (0 = Monday) -> spans; a weekday absent means closed that day
    week: dict[int, tuple[Span, ...]] = field(default_factory=dict)
    always_open: bool = False
    # the site's local days it is closed whatever the weekday says: public holidays, exceptional closures
    closed: frozenset[date] = frozenset()

    def spans(self, day: date) -> tuple[Span, ...]:
        """The opening spans of a local day (none on a closed day; the whole day when always open)."""
        if day in self.closed:
            return ()
        if self.always_open:
            return (Span(time(0), time(23, 59, 59, 999999)),)
        return self.week.get(day.weekday(), ())

    def is_open(self, local: datetime) -> bool:
        if self.always_open:
            return local.date() not in self.closed
        return any(s.contains(local.time()) for s in self.spans(local.date()))

    def next_opening(self, local: datetime) -> datetime | None:
        """The next moment the site opens after `local` (same tzinfo), skipping closed days; None if never.

        Always open: `local` itself, or the midnight that ends a run of closed days."""
        if self.always_open and local.date() not in self.closed:
            return local
        for days in range(8 + len(self.closed)):  # a week, plus every closed day that may lie in the way
            day: date = (local + timedelta(days=days)).date()
            for span in self.spans(day):
                start = datetime.combine(day, span.start, tzinfo=local.tzinfo)
                if start > local:
                    return start
        return None


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    # a priority ticket is placed as if issued this much earlier: nobody waits behind priority
    # visitors who arrived more than this after them (the aging cap)
    priority_advance_s: float = 600.0
    # an appointment is placed as if issued this much before max(check-in, slot start)
    appointment_advance_s: float = 900.0
    # a visitor marked absent may rejoin the queue within this window
    no_show_grace_s: float = 900.0
    # prior for the wait estimate before any visit of the day is finished
    default_service_s: float = 420.0
    # refuse tickets for a need no open counter serves: a ticket nobody can call is not a ticket
    require_open_counter: bool = True
    # no new ticket this close to closing time (a ticket must be servable today)
    last_ticket_s: float = 900.0
    # an appointment may check in this early before its slot, and this late after it keeps its appointment rules
    appointment_early_s: float = 1800.0
    appointment_late_s: float = 900.0


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    tz: tzinfo
    languages: tuple[str, ...]
    default_language: str
    announcement_languages: tuple[str, ...]
    needs: tuple[Need, ...]
    counters: tuple[CounterDef, ...]
    hours: OpeningHours
    policy: QueuePolicy = QueuePolicy()
    message: dict[str, str] = field(default_factory=dict)
    organisations: tuple[Organisation, ...] = ()
    zones: tuple[Zone, ...] = ()
    kiosk: KioskSettings = KioskSettings()
    display: DisplaySettings = DisplaySettings()
    feedback: FeedbackSettings = FeedbackSettings()  # the satisfaction taps' rate rule and negative run

    def organisation(self, org_id: str) -> Organisation | None:
        for o in self.organisations:
            if o.id == org_id:
                return o
        return None

    def zone(self, zone_id: str) -> Zone | None:
        for z in self.zones:
            if z.id == zone_id:
                return z
        return None

    def need(self, need_id: str) -> Need | None:
        for n in self.needs:
            if n.id == need_id:
                return n
        return None

    def counter(self, counter_id: str) -> CounterDef | None:
        for c in self.counters:
            if c.id == counter_id:
                return c
        return None

    def local(self, epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, self.tz)

    def day_of(self, epoch: float) -> str:
        """The site's local day of an instant (ISO date), DST-safe: computed from the instant, not by adding hours."""
        return self.local(epoch).date().isoformat()
