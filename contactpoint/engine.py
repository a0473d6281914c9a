"""The engine: every state change goes through here.

command → validation (pure core) → events → projection (same SQLite transaction) → broadcast.
One lock makes it the only writer, so two agents pressing "call next" at once never get the same ticket
and numbers never repeat.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from contactpoint.bus import EventBus, Published
from contactpoint.domain import commands
from contactpoint.domain.errors import CommandError
from contactpoint.domain.events import Changes, Event, agent_only_fields
from contactpoint.domain.feedback import TapGate, give_feedback
from contactpoint.domain.figures import counters_serving, idle_counters, wait_estimate_s
from contactpoint.domain.model import FINAL, WAITING, Ticket
from contactpoint.domain.refusals import unavailable_needs
from contactpoint.domain.site import Site
from contactpoint.engine_queries import EngineQueries, Place
from contactpoint.store import EventStore

Clock = Callable[[], float]
log = logging.getLogger(__name__)
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")  # a ticket's token: secrets.token_urlsafe(16) is 22 characters


# a command of the core (contactpoint/domain/commands.py): (state, site, now, **arguments) -> the events it causes
Command = Callable[..., list[Event]]


def _public_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "token"}


# what only agents may see: notes, reasons, who works where, a counter's help alert and its pause reason (the
# waiting room and the kiosk never get them: not in a snapshot, not in an event's data, tickets or counters);
# derived from each event type's declaration and the tickets' and counters' own (domain/events.py)
AGENT_ONLY = agent_only_fields()


def _strip(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in AGENT_ONLY}


def redact(payload: dict[str, Any]) -> dict[str, Any]:
    """A published event or a snapshot as the public pages may see it."""
    out = _strip(payload)
    if "data" in out:
        out["data"] = _strip(out["data"])
    for key in ("tickets", "counters"):
        if key in out:
            out[key] = [_strip(x) for x in out[key]]
    return out


class Engine(EngineQueries):
    """The one writer. Pages read through the queries (contactpoint/engine_queries.py) and write through `run`."""

    def __init__(self, site: Site, store: EventStore, clock: Clock | None = None) -> None:
        self.site = site
        self.store = store
        self.clock: Clock = clock or time.time
        self._lock = store.write_lock
        self.bus = EventBus()  # the committed events go out here (contactpoint/bus.py)
        self._behind: tuple[float, float] | None = None  # (log's last time, monotonic then) while the clock lags
        self.taps = TapGate()  # one tap per device per window (domain/feedback.py)
        self._load()

    def _load(self) -> None:
        # the projection comes with its index (domain/queues.py), kept in step by every commit's apply and
        # rebuilt on load and at day close: a visitor's place, the summary and a token cost a look-up, not a
        # walk over the day's tickets
        self._state = self.store.load_state()
        self._last_at = self.store.last_event_at()

    def now(self) -> float:
        """The time the next event is stamped with: the box's clock, but never before the log's last event.

        A Pi has no battery clock: after a power cut it boots with the time fake-hwclock saved (up to an hour
        old) and keeps it until NTP answers, which an offline box may never get. Taken as it is, that clock
        would call a later ticket first and close the day into the past (then refuse every ticket on a
        duplicate number). While the clock lags, time goes on from the log's last event at the pace of the
        monotonic clock; once the clock is ahead again it is used as it is.
        """
        wall = self.clock()
        if wall >= self._last_at:
            self._behind = None
            return wall
        if self._behind is None:
            self._behind = (self._last_at, time.monotonic())
            log.warning(
                "the clock is %.0f s behind the event log: counting on from the log's last event", self._last_at - wall
            )
        since, mono = self._behind
        return float(max(self._last_at, since + (time.monotonic() - mono)))

    # -- commands ------------------------------------------------------------------------------------------
    def run(self, command: Command, **kwargs: Any) -> list[Event]:
        with self._lock:
            now = self.now()
            events = command(self._state, self.site, now, **kwargs)
            if not events:
                return []
            try:
                results = self.store.commit(events, self._state)
            except BaseException:
                self._load()  # memory was changed by apply: take the truth again
                raise
            self._last_at = max(self._last_at, max(ev.at for ev, _ in results))
            published = [self._published(ev, ch) for ev, ch in results]
            self.bus.committed(published)  # inside the lock: subscribers see events in seq order
            return [ev for ev, _ in results]

    def _published(self, ev: Event, ch: Changes) -> Published:
        payload: dict[str, Any] = {"seq": ev.seq, "type": ev.type, "at": ev.at, "data": _public_data(ev.data)}
        if ch.tickets:
            payload["tickets"] = [self._state.tickets[t].public() for t in sorted(ch.tickets)]
        if ch.counters:
            payload["counters"] = [self._state.counters[c].to_dict() for c in sorted(ch.counters)]
        return Published(ev.seq, ev.type, payload)

    def release_counters_of(self, name: str, cause: str, by: str | None = None) -> None:
        """Close the counter an agent works at, if any (logout, account disabled): a visitor at it goes back to
        their need's queue at their place. The counter page and the manager's agents page both call it."""
        for c in self.counters():
            if c.open and c.agent == name:
                try:  # the command checks again, under the lock, that it is still this agent's counter
                    self.run(commands.release_counter, counter=c.id, cause=cause, agent=name, by=by)
                except CommandError:
                    pass  # closed or taken over meanwhile: nothing left to close

    def issue(self, *, need: str, lang: str, priority: bool = False, check_open: bool = True) -> Ticket:
        ticket_id = secrets.token_hex(8)
        self.run(
            commands.issue_ticket,
            need=need,
            lang=lang,
            priority=priority,
            ticket_id=ticket_id,
            token=secrets.token_urlsafe(16),
            check_open=check_open,
        )
        return self._state.tickets[ticket_id]

    def give_feedback(
        self, *, score: object, channel: object, device: str | None = None, ticket: str | None = None
    ) -> Event | None:
        """A satisfaction tap: the `feedback_given` event written, or None when the rate rule dropped it (another
        tap of the same device within `[feedback] tap_window_seconds`: it was counted already). Bad input raises
        CommandError before the rule looks at it; a phone's answer (one per visit) is never rate limited."""
        with self._lock:
            now = self.now()
            gated = channel != "phone" and device is not None
            if gated and not self.taps.admits(str(device), now, self.site.feedback):
                give_feedback(self._state, self.site, now, score=score, channel=channel, device=device)  # checked
                self.taps.note(str(device), now, counted=False)
                return None
            events = self.run(give_feedback, score=score, channel=channel, device=device, ticket=ticket)
            if gated:
                self.taps.note(str(device), now, counted=True)
            return events[-1]
    def log_contact(self, **choices: Any) -> list[Event]:
        """A contact without a ticket (domain/contacts.py `log_contact`: counter, channel, need, outcome, referral,
        agent), under a new random id."""
        return self.run(commands.log_contact, contact_id=secrets.token_hex(8), **choices)

    def tick(self) -> None:
        """Close the day when the local date has turned, or when its closing time came and no visitor is at a
        counter (called periodically by the server's day-close timer: contactpoint/dayclose.py)."""
        self.run(commands.day_change)
        self.run(commands.close_at_closing)

    # -- reading -------------------------------------------------------------------------------------------
    def ticket_by_token(self, token: object) -> Ticket | None:
        """The live ticket with this token, or None: malformed (any address, query or socket gives one; only the
        token's shape is ever compared, so a non-ASCII one never reaches compare_digest), unknown, or gone."""
        if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
            return None
        with self._lock:
            tid = self._state.index.tokens.get(token)
            t = None if tid is None else self._state.tickets.get(tid)
        # the index finds the candidate; the comparison that decides stays constant-time
        if t is not None and secrets.compare_digest(t.token, token):
            return t
        return None

    def ticket_view(self, t: Ticket) -> Place:
        """What a visitor is told about their ticket: its place and an honest estimate (None = no estimate)."""
        with self._lock:
            index = self._state.index
            ahead = index.position(t, self.site.policy)
            counters = self._state.counters.values()
            estimate = None
            if t.state in WAITING:
                estimate = wait_estimate_s(
                    ahead,
                    counters_serving(counters, t.need),
                    index.recent(t.need),
                    self.site.policy.default_service_s,
                    idle_counters(counters, t.need),
                )
        return Place(t, ahead, estimate)

    def summary(self) -> dict[str, Any]:
        """Per need: how many wait, the longest wait so far, and the estimate for a newcomer (one pass)."""
        with self._lock:
            now = self.now()
            counters = list(self._state.counters.values())
            seq = self._state.seq
            index = self._state.index
            waiting = {n.id: index.waiting(n.id) for n in self.site.needs}
            oldest = {
                need: at for need, line in index.lines.items() if (at := line.oldest_issued_at()) is not None
            }
            recent = {need: list(times) for need, times in index.service.items()}
        out: dict[str, Any] = {}
        for need in self.site.needs:
            serving = counters_serving(counters, need.id)
            est = wait_estimate_s(
                waiting[need.id],
                serving,
                recent.get(need.id, []),
                self.site.policy.default_service_s,
                idle_counters(counters, need.id),
            )
            out[need.id] = {
                "waiting": waiting[need.id],
                "longest_wait_s": now - oldest[need.id] if need.id in oldest else 0.0,
                "counters": serving,
                "estimate_s": est,
            }
        return {"seq": seq, "at": now, "needs": out}

    def snapshot(self) -> dict[str, Any]:
        """The state a page starts from, with the seq it is current to: every live ticket of the day (the agents'
        counter page; tools). The pages that need less take a bounded one: `display_snapshot`, `kiosk_snapshot`."""
        with self._lock:
            st = self._state
            live = [t for t in st.tickets.values() if t.state not in FINAL]  # only references, under the lock
            seq, day, printer = st.seq, st.day or self.site.day_of(self.now()), st.printer
            counters = [c.to_dict() for c in st.counters.values()]
            calls = [c.to_dict() for c in st.calls]
        # tickets are immutable: turned into dicts outside the lock, which a large day would hold up
        snap = {
            "seq": seq,
            "day": day,
            "printer": printer,
            "tickets": [t.public() for t in live],
            "counters": counters,
            "calls": calls,
        }
        snap["summary"] = self.summary()
        return snap

    def display_snapshot(self) -> dict[str, Any]:
        """What the waiting-room display starts from, bounded whatever the day's size: the last calls (each with
        its ticket's need, done ones included), the live tickets those calls and the counters name, the counters
        and the summary (the counts). The same shape as `snapshot`."""
        with self._lock:
            st = self._state
            calls = [c.to_dict() for c in st.calls]
            for c in calls:
                t = st.tickets.get(c["ticket"])
                c["need"] = t.need if t is not None else None
            named = {c.ticket for c in st.calls} | {c.ticket for c in st.counters.values() if c.ticket is not None}
            shown = sorted(
                (t for tid in named if (t := st.tickets.get(tid)) is not None and t.state not in FINAL),
                key=lambda t: (t.issued_at, t.id),
            )
            snap: dict[str, Any] = {
                "seq": st.seq,
                "day": st.day or self.site.day_of(self.now()),
                "printer": st.printer,
                "tickets": [t.public() for t in shown],
                "counters": [c.to_dict() for c in st.counters.values()],
                "calls": calls,
            }
        snap["summary"] = self.summary()
        return snap

    def kiosk_snapshot(self) -> dict[str, Any]:
        """What a kiosk page starts from, bounded whatever the day's size: the printer's status and the needs it
        marks as unavailable now, each with why (`refusals.unavailable_needs`)."""
        with self._lock:
            st = self._state
            return {
                "seq": st.seq,
                "day": st.day or self.site.day_of(self.now()),
                "printer": st.printer,
                "unavailable": unavailable_needs(st, self.site, self.now()),
            }
