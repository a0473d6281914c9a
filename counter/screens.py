"""What the counter page says: the names of states, outcomes, reasons and kinds of organisation, in the agent's
language (never a raw key on screen)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from contactpoint.domain.model import Outcome, TicketState

# names the agent reads: never a raw state or outcome key on screen
STATE_NAMES = {
    TicketState.ISSUED: _l("waiting"),
    TicketState.CALLED: _l("called"),
    TicketState.SERVING: _l("being served"),
    TicketState.DONE: _l("finished"),
    TicketState.NO_SHOW: _l("absent"),
    TicketState.CANCELLED: _l("cancelled"),
    TicketState.TRANSFERRED: _l("transferred, waiting"),
}
OUTCOME_NAMES = {
    Outcome.RESOLVED: _l("Resolved here"),
    Outcome.REFERRED: _l("Referred elsewhere"),
    Outcome.APPOINTMENT: _l("Appointment made"),
    Outcome.ONLINE_HELP: _l("Helped online"),
    Outcome.ESCALATED: _l("Escalated to second line"),
}
#: how a contact logged without a ticket came (contactpoint/domain/contacts.py CONTACT_CHANNELS)
CHANNEL_NAMES = {
    "phone": _l("Phone call"),
    "email": _l("Email"),
    "desk": _l("At the desk, without a ticket"),
}
PAUSE_REASONS = (_l("Break"), _l("Lunch"), _l("Back-office work"), _l("Phone call"), _l("Meeting"))
CANCEL_REASONS = (_l("Left before being called"), _l("Ticket taken by mistake"), _l("Duplicate ticket"))
CLOSE_REASONS = (_l("The agent has left"), _l("Their console does not answer"))
ORG_KINDS = {
    "social_welfare": _l("Social welfare (CPAS/OCMW)"),
    "housing": _l("Housing"),
    "employment": _l("Employment"),
    "tax": _l("Taxes"),
    "health": _l("Health"),
    "legal": _l("Legal aid"),
    "civil_status": _l("Civil status"),
    "other": _l("Other"),
}
