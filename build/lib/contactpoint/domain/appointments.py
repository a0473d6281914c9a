"""Appointments: booking codes, check-in rules and today's list (pure: no IO, no Flask).

- An appointment is a booked slot for a need, found at the kiosk by its short booking code (typed on the
  on-screen keypad or scanned from the confirmation's QR code) or by its time in today's list.
- Check-in rule: `early` (more than `appointment_early_s` before the slot: the visitor is told when to come
  back, no ticket), `on_time` (a ticket carrying `slot_at`, ordered by the appointment rule), `late` (more than
  `appointment_late_s` after the slot: an ordinary ticket, and the visitor is told so).
- Whether the kiosk may issue a ticket now (closed, closing, full, no counter) is refusals.py.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .model import SiteState

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

    A confirmation QR code may carry the bare code or a URL holding it: its `code` parameter when there is one
    (…/c?code=K7P3QX&lang=fr), else the last segment of its path (…/checkin/K7P3QX?utm=mail#top); the rest of
    the query and the fragment are never part of the code. Separators, spaces and case do not matter.
    """
    text = (text or "").strip()
    if "/" in text or "=" in text or "?" in text or "#" in text:
        parts = urlsplit(text)
        bare = "=" in parts.path and "/" not in parts.path  # "code=K7P3QX": a query without its address
        params = parse_qs(parts.path if bare else parts.query)
        codes = params.get("code") or next((v for k, v in params.items() if k.lower() == "code"), None)
        if codes:
            text = codes[0]
        elif parts.path.strip("/") and not bare:
            text = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
        else:
            text = ""
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
