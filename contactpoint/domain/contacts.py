"""Contacts that did not come through the kiosk (pure): a phone call, an email, a visitor served at the desk
without a ticket. The agent logs one from the counter page in one tap and a few choices (no typing), so that the
figures count every channel.

A contact is a finished visit: it counts in the visits finished, their outcomes and referrals, first-line
resolution and the channels; never in tickets issued or called, waits, no-shows or abandonment. A visit's own
channel is `appointment` when its ticket has an appointment, else `kiosk` (`visit_channel`).
"""

from __future__ import annotations

from .checks import day_change, my_counter
from .errors import CommandError
from .facts import Event
from .model import Outcome, SiteState, Ticket
from .site import Site

#: the channels an agent logs a contact on (the kiosk's and the appointments' visits are tickets)
CONTACT_CHANNELS = ("phone", "email", "desk")
#: every channel a finished visit can have, in the order the figures show them
CHANNELS = ("kiosk", "appointment", *CONTACT_CHANNELS)


def visit_channel(t: Ticket) -> str:
    """The channel of a ticket's visit: `appointment` when it came from one, else `kiosk`."""
    return "appointment" if t.appointment_id is not None else "kiosk"


def log_contact(
    state: SiteState,
    site: Site,
    now: float,
    *,
    contact_id: str,
    counter: str,
    channel: str,
    need: str,
    outcome: str,
    referral: str | None = None,
    agent: str | None = None,
) -> list[Event]:
    """A contact the agent at `counter` handled: its channel, need and outcome (and where it was referred)."""
    if day_change(state, site, now):  # the date turned: the counters close with the day before anything else
        raise CommandError("counter_not_open")
    c = my_counter(state, site, counter, agent)
    if channel not in CONTACT_CHANNELS:
        raise CommandError("unknown_contact_channel", 400)
    if site.need(need) is None:
        raise CommandError("unknown_need", 400)
    try:
        out = Outcome(outcome)
    except ValueError:
        raise CommandError("unknown_outcome", 400) from None
    ref = referral if out == Outcome.REFERRED else None
    if ref is not None and site.organisation(ref) is None:
        raise CommandError("unknown_organisation", 400)
    if out == Outcome.REFERRED and ref is None and site.organisations:
        raise CommandError("referral_required", 400)
    data = {
        "id": contact_id,
        "day": site.day_of(now),
        "need": need,
        "channel": channel,
        "outcome": out.value,
        "referral": ref,
        "counter": c.id,
        "agent": c.agent,
    }
    return [Event("contact_logged", now, data)]
