"""Satisfaction taps (pure): the one question's answers, the rate rule, the negative run and the command.

A visitor answers "How was your visit today?" on four smileys (1 very unhappy, 2 unhappy, 3 happy, 4 very happy)
through one of three channels: the exit tablet (`/feedback/`), the four push-buttons (`hardware/buttons/`) or
their phone's tracking page once the visit ended (`/t/<token>`). Each answer is one `feedback_given` event that
names a score, a channel, a need and an outcome when known, a ticket for the phone, a device: never a person,
never an agent.

- `TapGate`: one tap per device per window ("a child hammering it is one answer, not forty").
- `negative_run`: whether at least k of the last n taps within a window are negative (1 or 2).
- `give_feedback`: the command (validates, refuses with message keys, says which event happens).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import CommandError
from .facts import Event
from .model import SiteState, TicketState

if TYPE_CHECKING:
    from .site import Site

SCORES = (1, 2, 3, 4)  # very unhappy, unhappy, happy, very happy
NEGATIVE = frozenset({1, 2})
CHANNELS = ("tablet", "buttons", "phone")
#: `first`: the first tap of a device opens a window of `tap_window_s`; taps inside it are dropped, the next
#: tap after it counts again. `quiet`: every tap (counted or not) opens the window again, so a device counts a
#: tap only after it was left alone for the whole window (a child hammering for a minute is still one answer).
RULES = ("first", "quiet")
DEVICE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: the taps the projection remembers for the negative run (the largest n a site file may ask for)
MAX_RUN = 20
#: a tablet or buttons tap takes the need of the last finished visit only when it finished this recently
LINK_WITHIN_S = 600.0


@dataclass(frozen=True, slots=True)
class NegativeRun:
    """`negative_run = "3 of 5 within 15 minutes"`: at least `k` of the last `n` taps within `window_s` are 1 or 2."""

    k: int = 3
    n: int = 5
    window_s: float = 900.0

    def text(self) -> str:
        return f"{self.k} of {self.n} within {self.window_s / 60:g} minutes"


RUN_RE = re.compile(r"\s*(\d+)\s+of\s+(\d+)\s+within\s+(\d+)\s+minutes?\s*")


def parse_run(text: str) -> NegativeRun:
    """`"3 of 5 within 15 minutes"` → NegativeRun(3, 5, 900); ValueError saying what is wrong."""
    m = RUN_RE.fullmatch(text)
    if not m:
        raise ValueError(f'must look like "3 of 5 within 15 minutes", got {text!r}')
    k, n, minutes = (int(x) for x in m.groups())
    if not 1 <= k <= n <= MAX_RUN:
        raise ValueError(f"needs 1 <= k <= n <= {MAX_RUN} (k of n), got {k} of {n}")
    if not 1 <= minutes <= 24 * 60:
        raise ValueError(f"the window is 1 to 1440 minutes, got {minutes}")
    return NegativeRun(k, n, 60.0 * minutes)


@dataclass(frozen=True, slots=True)
class FeedbackSettings:
    tap_window_s: float = 5.0  # one tap per device per this many seconds (tablet, buttons)
    rule: str = "first"  # of RULES
    link_nearest_visit: bool = False  # a tablet/buttons tap takes the need of the visit that finished last
    negative_run: NegativeRun = NegativeRun()


class TapGate:
    """One tap per device per window. Pure (the time comes in); the caller holds the lock that orders taps.

    `first` keeps the first tap of the window: the visitor's first touch is their answer, and it is counted and
    thanked at once (keeping the last would mean waiting the window out before writing anything, and a tap the
    visitor was thanked for could be lost meanwhile). `quiet` also restarts the window on a dropped tap."""

    def __init__(self) -> None:
        self._counted: dict[str, float] = {}  # device -> when its window opened
        self._seen: dict[str, float] = {}  # device -> its last tap, counted or not

    def admits(self, device: str, now: float, settings: FeedbackSettings) -> bool:
        """Whether a tap of `device` at `now` counts (no change: call `note` once the tap is written or dropped)."""
        since = self._seen.get(device) if settings.rule == "quiet" else self._counted.get(device)
        return since is None or not 0 <= now - since < settings.tap_window_s

    def note(self, device: str, now: float, counted: bool) -> None:
        self._seen[device] = now
        if counted:
            self._counted[device] = now
        if len(self._seen) > 1000:  # a forged device id per request must not grow memory for ever
            self._seen.clear()
            self._counted.clear()


@dataclass(frozen=True, slots=True)
class NegativeAlert:
    since: float  # the first negative tap of the run
    negative: int  # negative taps among the last n within the window
    taps: int  # the taps looked at (the last n within the window)


def negative_run(taps: Iterable[tuple[float, int]], rule: NegativeRun, now: float) -> NegativeAlert | None:
    """The alert when at least k of the last n taps (time, score) within the window are negative, else None."""
    recent = [(at, s) for at, s in taps if 0 <= now - at <= rule.window_s][-rule.n :]
    negative = [at for at, s in recent if s in NEGATIVE]
    if len(negative) < rule.k:
        return None
    return NegativeAlert(since=negative[0], negative=len(negative), taps=len(recent))


def give_feedback(
    state: SiteState,
    site: Site,
    now: float,
    *,
    score: object,
    channel: object,
    device: str | None = None,
    ticket: str | None = None,
) -> list[Event]:
    """One answer. Phone: `ticket` a finished visit of the day not answered yet; its need and outcome go with the
    answer. Tablet and buttons: no ticket; the need of the last visit finished at the site when the site links
    them (`link_nearest_visit`) and it finished within LINK_WITHIN_S."""
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise CommandError("invalid_score", 400)
    if channel not in CHANNELS:
        raise CommandError("unknown_channel", 400)
    if device is not None and not DEVICE_RE.fullmatch(device):
        raise CommandError("bad_request", 400)
    need: str | None = None
    outcome: str | None = None
    if channel == "phone":
        t = state.tickets.get(ticket) if isinstance(ticket, str) else None
        if t is None:
            raise CommandError("unknown_ticket", 404)
        if t.state != TicketState.DONE:
            raise CommandError("visit_not_finished", 409)
        if t.id in state.answered:
            raise CommandError("feedback_already_given", 409)
        need, outcome = t.need, t.outcome.value if t.outcome is not None else None
    else:
        if ticket is not None:
            raise CommandError("bad_request", 400)
        last = state.index.last_finished
        if site.feedback.link_nearest_visit and last is not None and last.finished_at is not None:
            if 0 <= now - last.finished_at <= LINK_WITHIN_S:
                need = last.need
    data = {"score": score, "channel": channel, "need": need, "outcome": outcome, "ticket": ticket, "device": device}
    return [Event("feedback_given", now, data)]


def feedback_given(state: SiteState, ev: Event) -> None:
    """The handler's part (events.py): the ticket answered, and the tap among the recent ones."""
    d = ev.data
    if d.get("ticket"):
        state.answered.add(d["ticket"])
    state.taps.append((ev.at, int(d["score"])))
    del state.taps[:-MAX_RUN]
