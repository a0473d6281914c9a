"""Every string of every page is translated: no missing, no fuzzy, no stale catalogue."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from contactpoint.i18n import NATIVE_NAMES

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
# every placeholder a string may hold: %(name)s, %(n)d, %(value)r, %(x).1f, and {minutes}-style (str.format);
# a translation must keep exactly the same set
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|\{\w*(?:[:!][^{}]*)?\}")


def placeholders(text: str) -> list[str]:
    return sorted(set(PLACEHOLDER.findall(text)))


def test_placeholders_of_every_kind_are_seen() -> None:
    assert placeholders("Date %(value)r is not like %(n)d, %(name)s") == ["%(n)d", "%(name)s", "%(value)r"]
    assert placeholders("Try again in {minutes} min, {0}, {x:.1f}") == ["{0}", "{minutes}", "{x:.1f}"]
    assert placeholders("%(value)s") != placeholders("%(value)r")  # a changed conversion is a changed string
    assert placeholders("100 %, {not a placeholder") == []


def catalogue(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def test_the_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    out = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l", "-k",
         "lazy_gettext", "-o", str(out), "--no-location", "--sort-output", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(out, "rb") as f:
        fresh = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(LOCALES / "messages.pot", "rb") as f:
        stored = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert fresh == stored, "run `make i18n` and translate the new strings"


@pytest.mark.parametrize("lang", sorted(NATIVE_NAMES))
def test_every_string_is_translated_and_keeps_its_placeholders(lang: str) -> None:
    with open(LOCALES / "messages.pot", "rb") as f:
        source = {(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(f) if m.id}
    cat = catalogue(lang)
    seen = set()
    for m in cat:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        seen.add(key)
        assert not m.fuzzy, f"{lang}: fuzzy: {key!r}"
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        assert strings and all(s.strip() for s in strings), f"{lang}: missing: {key!r}"
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        want = placeholders(" ".join(ids))
        for s in strings:
            assert placeholders(s) == want, f"{lang}: placeholders of {key!r}: {s!r}"
    assert source <= seen, f"{lang}: not in the catalogue: {sorted(source - seen)[:5]}"


def test_catalogues_without_their_mo_files_are_compiled_when_the_box_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel carries the .po files only; install.sh compiles them, and a box whose .mo files are missing or
    older than their .po (pip alone, an update) compiles them itself rather than serve untranslated pages."""
    import shutil

    from babel.support import Translations

    from contactpoint import i18n

    src = tmp_path / "locales"
    for po in LOCALES.glob("*/LC_MESSAGES/messages.po"):
        (src / po.relative_to(LOCALES)).parent.mkdir(parents=True)
        shutil.copy(po, src / po.relative_to(LOCALES))
    monkeypatch.setattr(i18n, "LOCALES", src)
    i18n.catalogues.cache_clear()
    try:
        out = i18n.catalogues()
        assert out != src and not list(src.glob("*/*/*.mo"))  # compiled elsewhere: /opt is read-only on a box
        fr = Translations.load(str(out), ["fr"], "messages")
        assert fr.gettext("Take an ordinary ticket") != "Take an ordinary ticket", "French is not translated"
        assert sorted(p.parts[-3] for p in out.glob("*/LC_MESSAGES/messages.mo")) == sorted(
            p.parts[-3] for p in LOCALES.glob("*/LC_MESSAGES/messages.po")
        )
        i18n.catalogues.cache_clear()
        for po in src.glob("*/LC_MESSAGES/messages.po"):  # compiled in place, as install.sh does: used as is
            shutil.copy(out / po.relative_to(src).with_suffix(".mo"), po.with_suffix(".mo"))
        assert i18n.catalogues() == src
    finally:
        i18n.catalogues.cache_clear()
