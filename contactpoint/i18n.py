"""Languages: Flask-Babel bound to the repository's catalogues, the locale chosen per request."""

from __future__ import annotations

import functools
import logging
import tempfile
from datetime import datetime
from pathlib import Path

from babel.dates import format_datetime, format_time
from flask import Flask, g, request, session
from flask_babel import Babel

from contactpoint.box import current_box

_HERE = Path(__file__).resolve().parent
# the catalogues: `locales/` of a checkout, which a wheel installs as the package contactpoint.locales
LOCALES = _HERE / "locales" if (_HERE / "locales").is_dir() else _HERE.parent / "locales"
log = logging.getLogger(__name__)


def _compiled(folder: Path) -> bool:
    """Every catalogue of `folder` has its .mo, as new as its .po (make setup and install.sh compile them)."""
    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
            return False
    return True


@functools.cache
def catalogues() -> Path:
    """The folder Flask-Babel reads: LOCALES when its .mo files are there and fresh, else (a wheel installed by
    pip alone, `contactpoint update` before its first compile) the .po files compiled once into a temporary
    folder, so a box never serves untranslated pages for want of a build step."""
    if _compiled(LOCALES):
        return LOCALES
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    out = Path(tempfile.mkdtemp(prefix="contactpoint-locales-"))
    for po in sorted(LOCALES.glob("*/LC_MESSAGES/messages.po")):
        target = out / po.relative_to(LOCALES).parent
        target.mkdir(parents=True)
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parts[-3])
        with (target / "messages.mo").open("wb") as f:
            write_mo(f, catalog)
    log.warning("translations compiled into %s: %s has no fresh .mo files (pybabel compile -d it)", out, LOCALES)
    return out
RTL = frozenset({"ar", "he", "fa", "ur"})
# each language by its own name: a visitor recognises theirs without reading anything else
NATIVE_NAMES = {
    "fr": "Français",
    "nl": "Nederlands",
    "en": "English",
    "de": "Deutsch",
    "ar": "العربية",
    "tr": "Türkçe",
    "es": "Español",
    "ro": "Română",
    "pl": "Polski",
    "pt": "Português",
}

#: the locale whose date and time formats a language uses here. Babel's plain "en" is American English
#: ("12/2/26, 4:37 PM" on 2 December, which a Brussels reader takes for 12 February); the others are already
#: day-first and 24-hour. For date and time formatting only: the catalogues stay per language.
DATE_LOCALES = {"en": "en_GB"}


#: Babel's short date and time where it is not day first and 24-hour: Arabic's ("7\u200f/12\u200f/2026، 4:37 م")
#: is 12-hour, and its right-to-left marks make the paper read it year first ("2026/12/7، 4:37 م")
DATETIME_PATTERNS = {"ar": "dd/MM/y HH:mm"}
#: Babel's short time where it is not 24-hour: Arabic's is "8:31 ص"
TIME_PATTERNS = {"ar": "HH:mm"}
_LRI, _PDI = "\u2066", "\u2069"  # Unicode bidi isolates: left-to-right isolate ... pop directional isolate


def date_locale(lang: str) -> str:
    """The Babel locale to format dates and times in `lang` with (`format_datetime(..., locale=...)`)."""
    return DATE_LOCALES.get(lang, lang)


def short_datetime(when: datetime, lang: str) -> str:
    """A date and time as tickets and slips print them: `lang`'s own short format, always day first and 24-hour
    ("07/12/2026 16:37" in French). In a right-to-left language the date is isolated left to right (LRI … PDI):
    on paper it reads day first, as in the other languages, whatever surrounds it."""
    pattern = DATETIME_PATTERNS.get(lang)
    if pattern is None:
        return str(format_datetime(when, "short", locale=date_locale(lang)))
    text = str(format_datetime(when, pattern, locale=date_locale(lang)))
    return f"{_LRI}{text}{_PDI}" if lang in RTL else text


def short_time(when: datetime, lang: str) -> str:
    """A time of day as the kiosk says it: `lang`'s own short format, always 24-hour ("08:31", "8:31" in Spanish;
    Arabic "08:31", not Babel's "8:31 ص")."""
    return str(format_time(when, TIME_PATTERNS.get(lang, "short"), locale=date_locale(lang)))


babel = Babel()


def place_phrases(ahead: int, estimate_s: float | None) -> tuple[str, str]:
    """A visitor's place and honest estimate, in the current locale (printed ticket, phone page alike)."""
    from flask_babel import gettext, ngettext

    if ahead == 0:
        position = gettext("You are next in line")
    else:
        position = ngettext("%(num)d person before you", "%(num)d people before you", ahead)
    if estimate_s is None:
        estimate = gettext("No estimate yet: no counter serves this right now.")
    else:
        estimate = gettext("Estimated wait: about %(min)d min", min=max(1, round(estimate_s / 60)))
    return position, estimate


def view_lang(languages: tuple[str, ...]) -> str | None:
    """The language a view chose for this request (g.lang), if the site has it."""
    lang = getattr(g, "lang", None)
    return str(lang) if lang in languages else None


def select_locale() -> str:
    site = current_box().site
    lang = view_lang(site.languages)
    if lang is not None:
        return lang
    arg = request.args.get("lang")
    if arg in site.languages:
        return str(arg)
    if session.get("lang") in site.languages:
        return str(session["lang"])
    best = request.accept_languages.best_match(site.languages)
    return best or site.default_language


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(catalogues()))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def language_context() -> dict[str, object]:
        from flask_babel import get_locale

        lang = str(get_locale() or "en")
        return {"lang": lang, "dir": "rtl" if lang in RTL else "ltr", "native_names": NATIVE_NAMES}
