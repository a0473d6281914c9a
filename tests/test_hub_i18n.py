"""The hub's catalogues (domain "hub", hub/locales/): up to date with the code, every string translated in French
and Dutch, msgfmt -c clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

HUB = Path(__file__).resolve().parent.parent / "hub"


def extracted() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in extract_from_dir(str(HUB), method_map)}


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_hub_string_is_translated(lang: str) -> None:
    po = HUB / "locales" / lang / "LC_MESSAGES" / "hub.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    strings = {m.id: m.string for m in catalog if m.id}
    missing = extracted() - set(strings)
    assert not missing, f"run `make i18n` and translate: {sorted(missing)}"
    assert all(strings.values()), [k for k, v in strings.items() if not v]
    if lang != "en":
        assert sum(k != v for k, v in strings.items()) > len(strings) * 0.7  # really translated, not copied
    if shutil.which("msgfmt"):
        done = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(po)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
