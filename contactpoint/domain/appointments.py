"""Appointments and the rules that decide whether the kiosk may issue a ticket now (pure: no IO, no Flask).

- An appointment is a booked slot for a need, found at the kiosk by its short booking code (typed on the
  on-screen keypad or scanned from the confirmation's QR code) or by its time in today's list.
- Check-in rule: `early` (more than `appointment_early_s` before the slot: the visitor is told when to come
  back, no ticket), `on_time` (a ticket carrying `slot_at`, ordered by the appointment rule), `late` (more than
  `appointment_late_s` after the slot: an ordinary ticket, and the visitor is told so).
- Availability: the site is closed, about to close (`last_ticket_s`), a need's daily capacity is reached, or no
  open counter serves the need; each answer carries the instant the visitor can come back, when there is one.
"""

from __future__ import annotations

import collections
import re
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from .model import SiteState
from .site import Site

# booking codes: no 0/O, 1/I/L (read aloud or typed on the keypad, they are easy to confuse)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_MIN, CODE_MAX = 4, 12
MAX_NAME = 120
MAX_DURATION_S = 8 * 3600


class AppointmentState(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"


class CheckInRule(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class Appointment:
    id: str
    code: str  # normalised booking code (capital letters and digits)
    day: str  # the site's local day of the slot (ISO date)
    slot_at: float  # slot start (epoch seconds)
    need: str
    duration_s: int = 0  # 0: not given
    name: str | None = None  # only when the booking needs it; purged when the day closes
    state: AppointmentState = AppointmentState.BOOKED
    ticket: str | None = None  # the ticket it became at check-in
    rule: CheckInRule | None = None  # how it checked in
    source: str = "manual"  # manual | csv | ics

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Appointment:
        d = dict(d)
        d["state"] = AppointmentState(d["state"])
        if d.get("rule") is not None:
            d["rule"] = CheckInRule(d["rule"])
        return Appointment(**d)


def normalise_code(text: str) -> str:
    """What a visitor typed or a scanner sent → a booking code to look up.

    A confirmation QR code may carry the bare code or a URL ending with it (…/checkin/K7P3QX); separators,
    spaces and case do not matter.
    """
    text = (text or "").strip()
    if "/" in text or "=" in text:
        text = re.split(r"[/=]", text.rstrip("/"))[-1]
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def valid_code(code: str) -> bool:
    return CODE_MIN <= len(code) <= CODE_MAX and code.isalnum() and code.isascii()


def make_code(random_bytes: bytes, length: int = 6) -> str:
    """A booking code from random bytes (the caller brings the randomness: the core stays pure)."""
    n = len(CODE_ALPHABET)
    return "".join(CODE_ALPHABET[b % n] for b in random_bytes[:length])


def clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(str(name).split())
    return name[:MAX_NAME] or None


def check_in_rule(slot_at: float, now: float, early_s: float, late_s: float) -> CheckInRule:
    if now < slot_at - early_s:
        return CheckInRule.EARLY
    if now > slot_at + late_s:
        return CheckInRule.LATE
    return CheckInRule.ON_TIME


def find_by_code(state: SiteState, code: str, day: str) -> Appointment | None:
    """Today's appointment with this code (a cancelled one is found too, so the visitor is told)."""
    found = None
    for a in state.appointments.values():
        if a.code == code and a.day == day:
            if a.state != AppointmentState.CANCELLED:
                return a
            found = a
    return found


def todays_open(state: SiteState, day: str) -> list[Appointment]:
    """Today's appointments still to check in, by slot time (the kiosk shows times and needs only)."""
    return sorted(
        (a for a in state.appointments.values() if a.day == day and a.state == AppointmentState.BOOKED),
        key=lambda a: (a.slot_at, a.need, a.id),
    )


def code_taken(state: SiteState, code: str, day: str) -> bool:
    return any(
        a.code == code and a.day == day and a.state != AppointmentState.CANCELLED for a in state.appointments.values()
    )


# -- may a ticket be issued now? ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Refusal:
    key: str  # a message key: site_closed | site_closing | capacity_reached | no_counter_for_need | no_counter_open
    come_back_at: float | None  # when the visitor can come back (epoch), None when unknown


def _epoch(local: datetime) -> float:
    return local.timestamp()


def _span_end(site: Site, local: datetime) -> datetime | None:
    """The end of the opening span `local` falls in (None when closed or always open)."""
    if site.hours.always_open:
        return None
    for span in site.hours.week.get(local.weekday(), ()):
        if span.contains(local.time()):
            return datetime.combine(local.date(), span.end, tzinfo=local.tzinfo)
    return None


def next_day_opening(site: Site, now: float) -> float | None:
    """The first opening on a later day than `now`'s local day (for "full today, come back …")."""
    local = site.local(now)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo)
    if site.hours.always_open:
        return _epoch(midnight)
    nxt = site.hours.next_opening(midnight - timedelta(microseconds=1))
    return None if nxt is None else _epoch(nxt)


def site_refusal(site: Site, now: float) -> Refusal | None:
    """Closed, or too close to closing for a ticket to be served today; else None."""
    local = site.local(now)
    if not site.hours.is_open(local):
        nxt = site.hours.next_opening(local)
        return Refusal("site_closed", None if nxt is None else _epoch(nxt))
    end = _span_end(site, local)
    if end is not None and _epoch(end) - now < site.policy.last_ticket_s:
        nxt = site.hours.next_opening(end)
        return Refusal("site_closing", None if nxt is None else _epoch(nxt))
    return None


def issued_today(state: SiteState, site: Site, now: float, need: str) -> int:
    """Tickets issued today for a need (appointment check-ins are not counted against the capacity)."""
    day = site.day_of(now)
    if state.day != day:
        return 0
    return sum(1 for t in state.tickets.values() if t.day == day and t.need == need and t.appointment_id is None)


def need_refusal(state: SiteState, site: Site, now: float, need: str) -> Refusal | None:
    """A need that cannot take a walk-in ticket now (capacity, no counter), the site being open."""
    n = site.need(need)
    if n is not None and n.capacity is not None and issued_today(state, site, now, need) >= n.capacity:
        return Refusal("capacity_reached", next_day_opening(site, now))
    if site.policy.require_open_counter and not any(c.open and need in c.needs for c in state.counters.values()):
        if not any(c.open for c in state.counters.values()):
            return Refusal("no_counter_open", None)
        return Refusal("no_counter_for_need", None)
    return None


def ticket_refusal(state: SiteState, site: Site, now: float, need: str) -> Refusal | None:
    return site_refusal(site, now) or need_refusal(state, site, now, need)


def full_needs(state: SiteState, site: Site, now: float) -> set[str]:
    """Needs whose capacity for today is reached (the kiosk marks them): the day's tickets are counted once."""
    capped = [n for n in site.needs if n.capacity is not None]
    if not capped:
        return set()
    day = site.day_of(now)
    counts = collections.Counter(
        t.need for t in state.tickets.values() if state.day == day and t.day == day and t.appointment_id is None
    )
    return {n.id for n in capped if n.capacity is not None and counts[n.id] >= n.capacity}
