"""Whether a ticket prints as code-page text or as an image, and in which code page: decided per language.

A language prints as **text** when one code page of the printer's python-escpos profile holds every letter it
writes (`LETTERS`), else as a raster **image**; the answer is worked out once per (language, profile) and cached,
so a ticket costs one set check. The ``[printer]`` setting ``text_mode`` forces text or image, for every language
(``text_mode = "image"``) or per language (``text_mode = { tr = "image" }``): a printer whose real code-page table
lacks a page its profile lists (Turkish garbled, "Ta��n�yorum") prints that language as an image, and only that one.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from escpos.magicencode import Encoder
from escpos.printer import Dummy

#: code pages tried in this order (one per ticket); only those the printer profile lists are used
PREFERRED_CODEPAGES: tuple[str, ...] = (
    "CP850",
    "CP858",
    "CP852",
    "CP857",
    "CP1252",
    "ISO_8859-15",
    "ISO_8859-2",
    "CP1250",
    "CP1254",
    "CP437",
)
#: the ``text_mode`` values, for every language or for one
TEXT_MODES: tuple[str, ...] = ("auto", "text", "image")
#: the letters beyond ASCII each kiosk language writes, small then capital: a language prints as text on a printer
#: whose profile has one code page holding them all. French leaves out œ Œ Ÿ (no DOS code page has them: printers
#: write "oe"); a ticket that still holds one prints as an image. `contactpoint printer test --lang LANG` prints the
#: line, for the technician to compare with the paper.
LETTERS: dict[str, str] = {
    "fr": "àâæçéèêëîïôùûüÿ ÀÂÆÇÉÈÊËÎÏÔÙÛÜ",
    "nl": "áéíóúàèëïöü ÁÉÍÓÚÀÈËÏÖÜ",
    "en": "",
    "ar": "ا ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ظ ع غ ف ق ك ل م ن ه و ي ء آ أ ؤ إ ئ ة ى",
    "tr": "çğıöşüâîû ÇĞİÖŞÜÂÎÛ",
    "es": "áéíóúüñ¿¡ ÁÉÍÓÚÜÑ",
    "ro": "ăâîșț ĂÂÎȘȚ",
    "pl": "ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ",
    "pt": "áàâãçéêíóôõú ÁÀÂÃÇÉÊÍÓÔÕÚ",
    "de": "äöüß ÄÖÜ",
}
#: typographic characters Babel / translators use that code pages lack, folded for text mode only
TEXT_FOLD = str.maketrans(
    {
        "\u202f": "\u00a0",
        "\u2009": " ",
        "\u2007": " ",
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)
Mode = Literal["text", "image"]


def is_rtl_text(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


@functools.lru_cache(maxsize=64)
def _encodable(profile: str, codepage: str) -> frozenset[str]:
    """Every character `codepage` prints on `profile` (ASCII included); empty when the profile lacks the page."""
    pages = Dummy(profile=profile).profile.get_code_pages()
    if codepage not in pages:
        return frozenset()
    encoder = Encoder(pages)
    try:
        return frozenset(encoder._get_codepage_char_map(codepage)) | frozenset(chr(i) for i in range(128))
    except LookupError:
        return frozenset()


def _chars(texts: Iterable[str]) -> set[str]:
    return set("".join(t.translate(TEXT_FOLD) for t in texts))


def pick_codepage(texts: Iterable[str], profile: str = "default") -> str | None:
    """The first preferred code page of the profile that holds every character, or None (print as image)."""
    chars = _chars(texts)
    for name in PREFERRED_CODEPAGES:
        encodable = _encodable(profile, name)
        if encodable and chars <= encodable:
            return name
    return None


@functools.lru_cache(maxsize=256)
def language_codepage(lang: str, profile: str = "default") -> str | None:
    """The code page `lang` prints in on `profile` (the first preferred one holding all its `LETTERS`), or None:
    the profile has no such page and `lang` prints as an image. Worked out once per (language, profile)."""
    return pick_codepage([LETTERS[lang]], profile)


def mode_setting(text_mode: str | Mapping[str, str], lang: str) -> str:
    """The ``text_mode`` asked for `lang`: the one value for every language, or the table's (else "auto")."""
    return text_mode if isinstance(text_mode, str) else text_mode.get(lang, "auto")


def print_mode(
    texts: Sequence[str], lang: str, rtl: bool, profile: str = "default", text_mode: str | Mapping[str, str] = "auto"
) -> tuple[Mode, str | None]:
    """How a ticket or slip in `lang` with these texts prints: ("text", its code page) or ("image", None).

    ``"auto"``: as its language prints on this profile (`language_codepage`, cached); a text beyond the language's
    letters (a name from the site file) that the language's page lacks moves that ticket to another page or an
    image. ``"text"`` forced: the best page there is, else python-escpos's page switching ("?" for the rest)."""
    setting = mode_setting(text_mode, lang)
    if setting == "image":
        return "image", None
    known = lang in LETTERS
    page = language_codepage(lang, profile) if known else None
    if page is not None and _chars(texts) <= _encodable(profile, page):
        return "text", page  # the usual case: one cached answer and one set check
    if setting == "text":
        return "text", pick_codepage(texts, profile) or page
    if rtl or (known and page is None) or any(is_rtl_text(t) for t in texts):
        return "image", None
    page = pick_codepage(texts, profile)
    return ("text", page) if page else ("image", None)
