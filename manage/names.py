"""What the manager's figures pages call outcomes, kinds of organisation, channels and scores, in the manager's
language (never a raw key on screen). The same words as the counter page's (counter/screens.py), so the
catalogues translate them once; device folders never import each other, hence this copy."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OUTCOMES = {
    "resolved": _l("Resolved here"),
    "referred": _l("Referred elsewhere"),
    "appointment_made": _l("Appointment made"),
    "online_help": _l("Helped online"),
    "escalated": _l("Escalated to second line"),
}
KINDS = {
    "social_welfare": _l("Social welfare (CPAS/OCMW)"),
    "housing": _l("Housing"),
    "employment": _l("Employment"),
    "tax": _l("Taxes"),
    "health": _l("Health"),
    "legal": _l("Legal aid"),
    "civil_status": _l("Civil status"),
    "other": _l("Other"),
}
CHANNELS = {
    "kiosk": _l("Kiosk ticket"),
    "appointment": _l("Appointment"),
    "phone": _l("Phone call"),
    "email": _l("Email"),
    "desk": _l("At the desk, no ticket"),
}
SCORES = {
    "1": _l("Very unhappy"),
    "2": _l("Unhappy"),
    "3": _l("Happy"),
    "4": _l("Very happy"),
}


def name_of(table: dict[str, object], key: str) -> str:
    """A key's name in the current locale; an unknown key (a kind a site made up) as it is."""
    found = table.get(key)
    return str(found) if found is not None else key
