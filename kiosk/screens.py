"""What each kiosk screen says, in the visitor's language: one source for the page and for "read aloud".

The speech endpoint never speaks text sent by the browser: it asks this module for the screen's text by an id
(and the ticket's token, the need, the time of an appointment), so only the box's own translated words are
spoken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date
from flask_babel import gettext as _

from contactpoint.domain.appointments import Appointment
from contactpoint.domain.model import PRINTER_PRINTS
from contactpoint.domain.refusals import after_span, next_day_opening, site_refusal
from contactpoint.domain.site import Site
from contactpoint.engine_queries import Place
from contactpoint.i18n import NATIVE_NAMES, RTL, date_locale, place_phrases, short_time
from contactpoint.messages import message

NOTICE_KINDS = (
    "site_closed",
    "site_closing",
    "capacity_reached",
    "queue_full",
    "no_counter_for_need",
    "no_counter_open",
    "appointment_too_early",
    "unknown_appointment",
    "appointment_cancelled",
    "appointment_already_checked_in",
    "appointment_not_today",
    "rate_limited",
)


def printer_down_text() -> str:
    """What the ticket screen says, and reads aloud, when the printer cannot give the visitor a paper ticket."""
    return _("The printer is not working: please remember your number, or scan the code with your phone.")


def paper_notice_text(key: str) -> str:
    """What the first two screens say (and read aloud) while the printer cannot print, before the visitor has
    chosen anything: no paper ticket, but the number on the screen and on their phone."""
    if key == "printer_paper_out":
        return _("The printer is out of paper: you will get your number on this screen and on your phone.")
    return _("The printer is not working: you will get your number on this screen and on your phone.")


def paper_notices(langs: list[str], key: str) -> list[dict[str, str]]:
    """The notice in each of `langs` (the first screen: every language of the site, since the visitor has not
    chosen yet; the needs screen: theirs), with both wordings so the page can switch as the printer changes."""
    from flask_babel import force_locale

    out = []
    for lang in langs:
        with force_locale(lang):
            out.append(
                {
                    "lang": lang,
                    "dir": "rtl" if lang in RTL else "ltr",
                    "paper_out": paper_notice_text("printer_paper_out"),
                    "other": paper_notice_text("printer_offline"),
                    "now": paper_notice_text(key),
                }
            )
    return out


def when_text(site: Site, at: float | None, now: float, lang: str) -> str:
    """ "today at 13:30", "tomorrow at 9:00", "on Tuesday at 9:00" in the visitor's language."""
    if at is None:
        return ""
    local, today = site.local(at), site.local(now).date()
    clock = short_time(local, lang)
    days = (local.date() - today).days
    if days <= 0:
        return _("today at %(time)s", time=clock)
    if days == 1:
        return _("tomorrow at %(time)s", time=clock)
    if days < 7:
        return _("on %(day)s at %(time)s", day=format_date(local, "EEEE", locale=date_locale(lang)), time=clock)
    return _("on %(day)s at %(time)s", day=format_date(local, "EEEE d MMMM", locale=date_locale(lang)), time=clock)


def come_back_text(site: Site, at: float | None, now: float, lang: str) -> str:
    if at is None:
        return _("Please come back another day or ask a staff member.")
    return _("Please come back %(when)s.", when=when_text(site, at, now, lang))


def clock_text(site: Site, at: float, lang: str) -> str:
    return short_time(site.local(at), lang)


def need_name(site: Site, need: str, lang: str) -> str:
    n = site.need(need)
    return n.name(lang) if n else need


@dataclass
class Screen:
    id: str  # the text id the page sends to the speech endpoint
    title: str
    lines: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def spoken(self) -> str:
        return " ".join(x.strip().rstrip(".") + "." for x in [self.title, *self.lines] if x and x.strip())


def languages_screen() -> Screen:
    return Screen("languages", _("Choose your language"), [_("Touch your language on the screen.")])


def language_spoken(lang: str, printer: str = "printer_ok") -> str:
    """One part of the first screen's read-aloud playlist, said in `lang` (the current locale) by its own voice:
    the language's own name, then "Choose your language" in it ("Français. Choisissez votre langue."), then the
    printer's notice in it while the printer cannot print."""
    text = f"{NATIVE_NAMES.get(lang, lang)}. {_('Choose your language')}."
    return text if printer in PRINTER_PRINTS else f"{text} {paper_notice_text(printer)}"


def error_screen(key: str) -> Screen:
    """A kiosk error page: what happened in plain words, and what to do (the buttons say the rest)."""
    lines = [_("Touch Back to choose again, or Start again.")]
    if key == "server_error":
        lines.insert(0, _("If it happens again, please ask a staff member."))
    return Screen("error", message(key), lines, {"kind": key, "pictogram": "question"})


def needs_screen(site: Site, lang: str, printer: str = "printer_ok") -> Screen:
    lines = [n.name(lang) for n in site.needs]
    lines += [_("I have an appointment"), _("I need priority (reduced mobility, pregnancy, age)")]
    if printer not in PRINTER_PRINTS:  # said first, as the screen shows it: before the visitor chooses
        lines.insert(0, paper_notice_text(printer))
    return Screen("needs", _("What brings you here?"), [_("Touch what brings you here."), *lines])


def ticket_screen(site: Site, view: Place, need_name: str, lang: str, *, printer_down: bool = False) -> Screen:
    t = view.ticket
    position, estimate = place_phrases(view.ahead, view.estimate_s)
    lines = [need_name, _("Your number"), " ".join(t.number), position, estimate]
    late = t.appointment_id and t.slot_at is None
    if late:
        lines.append(_("You arrived after your appointment time: you have an ordinary ticket."))
    elif t.slot_at is not None:
        lines.append(_("Your appointment at %(time)s is checked in.", time=clock_text(site, t.slot_at, lang)))
    if t.priority:
        lines.append(_("Priority ticket"))
    if printer_down:  # the screen says the same (kiosk/_printer_alert.html): there is no paper ticket to keep
        lines.append(printer_down_text())
    else:
        lines.append(_("Keep your ticket and have a seat. Watch the screen: we call your number."))
    return Screen(
        "ticket",
        _("Your number"),
        lines[:1] + lines[2:],
        {"position": position, "estimate": estimate, "late": bool(late)},
    )


def appointment_screen() -> Screen:
    return Screen(
        "appointment",
        _("I have an appointment"),
        [
            _("Type your booking code with the keys, or hold the code of your confirmation under the scanner."),
        ],
    )


def slots_screen(site: Site, slots: Sequence[Appointment], lang: str) -> Screen:
    """The day's appointments still to check in (Engine.open_appointments), by slot time."""
    lines = [f"{clock_text(site, a.slot_at, lang)} {need_name(site, a.need, lang)}" for a in slots]
    text = _("Touch the time of your appointment.") if slots else _("There are no more appointments today.")
    return Screen("slots", _("Choose the time of your appointment"), [text, *lines], {"slots": slots})


def idle_screen() -> Screen:
    return Screen("idle", _("Are you still there?"), [_("Touch Yes to continue.")])


def _come_back(site: Site, now: float) -> float | None:
    """When to come back after a queue_full or no-counter refusal, worked out on the box (never taken from the
    address): the next opening after the current span (today after lunch, or another day); None: always open."""
    refusal = site_refusal(site, now)
    return refusal.come_back_at if refusal is not None else after_span(site, now)


def notice_screen(
    site: Site, now: float, lang: str, kind: str, need: str | None = None, at: float | None = None
) -> Screen:
    """A friendly screen instead of an error: what happened and what to do, never a raw code."""
    need_def = site.need(need) if need else None
    title = message(kind)
    lines: list[str] = []
    pictogram = "question"
    if kind in ("site_closed", "site_closing"):
        refusal = site_refusal(site, now)
        come = refusal.come_back_at if refusal else at
        lines.append(come_back_text(site, come, now, lang))
        pictogram = "home"
    elif kind == "capacity_reached":
        if need_def:
            title = _("%(need)s: there are no more tickets today.", need=need_def.name(lang))
        lines.append(come_back_text(site, next_day_opening(site, now), now, lang))
        lines.append(_("You can choose another service."))
        pictogram = need_def.pictogram if need_def else "question"
    elif kind == "queue_full":
        if need_def:
            title = _(
                "%(need)s: too many people are already waiting to be seen before closing.", need=need_def.name(lang)
            )
        lines.append(come_back_text(site, _come_back(site, now), now, lang))
        lines.append(_("You can choose another service."))
        pictogram = need_def.pictogram if need_def else "question"
    elif kind in ("no_counter_for_need", "no_counter_open"):
        if kind == "no_counter_for_need" and need_def:
            title = _("%(need)s: no counter serves this right now.", need=need_def.name(lang))
        lines.append(_("Please try again in a few minutes, or ask a staff member."))
        later = _come_back(site, now)
        if later is not None:
            lines.append(_("If no counter opens, please come back %(when)s.", when=when_text(site, later, now, lang)))
        if kind == "no_counter_for_need":
            lines.append(_("You can choose another service."))
    elif kind == "appointment_too_early":
        pictogram = "appointment"
        if at is not None:
            lines.append(_("You can check in from %(time)s.", time=clock_text(site, at, lang)))
            lines.append(_("Come back then, or take an ordinary ticket now."))
    elif kind == "unknown_appointment":
        pictogram = "appointment"
        lines.append(_("You can try again, or choose the time of your appointment in the list."))
    elif kind in ("appointment_cancelled", "appointment_not_today", "appointment_already_checked_in"):
        pictogram = "appointment"
        lines.append(_("Please ask a staff member, or take an ordinary ticket."))
    elif kind == "rate_limited":
        lines.append(_("Wait one minute, then touch the screen again."))
    return Screen("notice", title, lines, {"kind": kind, "pictogram": pictogram, "need": need})
