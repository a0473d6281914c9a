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
