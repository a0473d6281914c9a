"""Events (facts appended to the log): one declaration per type, and how each one changes the projection.

Each `EventType` says a type's payload fields, which of them only agents may see, which public pages receive it
(the agents' counter page receives every event), its one-line description and its handler (`handlers.py`). From the
table come `apply`'s dispatch, the broadcast audiences (`contactpoint/broadcast.py`), the fields redacted for the
public pages (`contactpoint/engine.py`, `AGENT_ONLY`) and the docs check (`docs/events.md`, tests/test_docs.py).
A new event type is one declaration here, its handler, its row in docs/events.md and its test.

`apply` is the only function that changes a SiteState; replaying the log through it rebuilds the projection
exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import devices as dv
from . import handlers as h
from . import settings as st
from .facts import MAX_CALLS, Changes, Event
from .model import COUNTER_AGENT_ONLY, TICKET_AGENT_ONLY, WAITING, SiteState

Handler = Callable[[SiteState, Changes, Event], None]
PAGES = ("display", "kiosk")  # the public pages with a Socket.IO namespace of their own


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    fields: tuple[str, ...]  # its payload (`data`), as the commands write it
    handler: Handler
    description: str
    agent_only: frozenset[str] = frozenset()  # fields removed before a public page sees it
    pages: frozenset[str] = frozenset()  # public pages that receive it (of PAGES)
    agents: bool = True  # the agents' counter page receives it (False: a visitor's rating, never shown to agents)


def _e(name: str, fields: str, handler: Handler, description: str, agent_only: str = "", pages: str = "",
       agents: bool = True) -> EventType:
    return EventType(name, tuple(fields.split()), handler, description, frozenset(agent_only.split()),
                     frozenset(pages.split()), agents)


EVENTS: dict[str, EventType] = {
    e.name: e
    for e in (
        _e("ticket_issued", "id token day need number serial lang priority slot_at appointment_id", h.ticket_issued,
           "a visitor takes a ticket"),
        _e("ticket_called", "ticket counter agent out_of_order reason", h.ticket_called,
           "an agent calls a ticket", "agent reason", "display"),
        _e("ticket_recalled", "ticket counter", h.ticket_recalled,
           "the agent announces the same ticket again", pages="display"),
        _e("service_started", "ticket counter", h.service_started, "the visitor is at the counter", pages="display"),
        _e("service_finished", "ticket counter outcome referral", h.service_finished,
           "the visit ends with an outcome", "referral", "display"),
        _e("no_show", "ticket counter", h.no_show, "the called visitor did not come", pages="display"),
        _e("ticket_rejoined", "ticket", h.ticket_rejoined, "an absent visitor rejoins within the grace window"),
        _e("ticket_transferred", "ticket counter need to_counter to_agent note", h.ticket_transferred,
           "the visit goes to another need, counter or agent, keeping its place", "to_agent note", "display"),
        _e("ticket_returned", "ticket counter", h.ticket_returned,
           "its counter closed under it: the visitor waits again at their original place", pages="display"),
        _e("ticket_cancelled", "ticket reason", h.ticket_cancelled, "the visit is cancelled", "reason", "display"),
        _e("counter_opened", "counter agent needs", h.counter_opened,
           "an agent opens a counter for some needs", "agent", "display kiosk"),
        _e("counter_closed", "counter cause by reason", h.counter_closed,
           "the counter closes", "cause by reason", "display kiosk"),
        _e("counter_paused", "counter reason", h.counter_paused, "the agent pauses", "reason", "display"),
        _e("counter_resumed", "counter", h.counter_resumed, "the agent resumes", pages="display"),
        _e("help_requested", "counter", h.help_requested, "the discreet alert: this counter needs a colleague now"),
        _e("help_cleared", "counter", h.help_cleared, "the alert is over"),
        _e("printer_status", "key ticket", h.printer_status, "the printer's state changed", pages="kiosk"),
        _e("day_closed", "day next_day cause by abandoned interrupted", h.day_closed,
           "the day closes: at closing time, by a manager or the command, or when the local date turns", "by",
           "display kiosk"),
        _e("appointment_booked", "id code day slot_at need duration_s name source", h.appointment_booked,
           "a manager books a slot, or an import adds one"),
        _e("appointment_cancelled", "appointment", h.appointment_cancelled,
           "a manager cancels a booked appointment"),
        _e("appointment_checked_in", "appointment ticket rule", h.appointment_checked_in,
           "the visitor checks in at the kiosk"),
        _e("feedback_given", "score channel need outcome ticket device", h.feedback_given,
           "a visitor answers how their visit was (a satisfaction tap)", agents=False),
        _e("contact_logged", "id day need channel outcome referral counter agent", h.contact_logged,
           "an agent logs a contact that came by phone, email or to the desk without a ticket", "agent referral"),
        _e("settings_changed", "section key value by", st.settings_changed,
           "a manager changed a setting in the browser: it overlays the site file", "by", "display kiosk"),
        _e("agent_changed", "agent change role by", st.agent_changed_handler,
           "a manager added, disabled, enabled an account, reset its password or changed its role", "agent by"),
        _e("device_approved", "device role name by", dv.device_handler,
           "a technician or manager paired a device for a role (its credential never in the log)", "by"),
        _e("device_revoked", "device role name by", dv.device_handler,
           "a technician or manager revoked a device: its credential is refused from then on", "by"),
    )
}
EVENT_TYPES = tuple(EVENTS)


def received_by(page: str) -> frozenset[str]:
    """The event types a public page receives."""
    return frozenset(e.name for e in EVENTS.values() if page in e.pages)


def received_by_agents() -> frozenset[str]:
    """The event types the agents' counter page receives (every one but a visitor's rating)."""
    return frozenset(e.name for e in EVENTS.values() if e.agents)


def agent_only_fields() -> frozenset[str]:
    """Every field only agents may see: in an event's data, a ticket or a counter (a ticket's token is apart:
    never broadcast at all, not even to agents)."""
    data: frozenset[str] = frozenset().union(*(e.agent_only for e in EVENTS.values()))
    return data | TICKET_AGENT_ONLY | COUNTER_AGENT_ONLY


def apply(state: SiteState, ev: Event) -> Changes:
    ch = Changes()
    if ev.seq:
        state.seq = ev.seq
    declared = EVENTS.get(ev.type)
    if declared is None:
        raise ValueError(f"unknown event type {ev.type!r}")
    declared.handler(state, ch, ev)
    return ch


def replay(events: list[Event]) -> SiteState:
    state = SiteState()
    for ev in events:
        apply(state, ev)
    return state


__all__ = ["Event", "Changes", "EventType", "EVENTS", "apply", "replay", "EVENT_TYPES", "MAX_CALLS", "WAITING"]
