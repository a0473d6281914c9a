"""The settings forms' fields, read and checked with an error next to each field in the manager's language.

Each reader gives the value as the site file would hold it, or records an error for its field. The site file's
validator (`contactpoint.config.parse_site`) checks the whole site again afterwards (manage/settings.py): these
readers only make its refusals speak the manager's language, next to the field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _

from contactpoint.config import PICTOGRAMS
from contactpoint.config_reader import ID_RE, SPAN_RE

MAX_TEXT = 500


def pictograms() -> list[str]:
    return sorted(f.stem for f in PICTOGRAMS.glob("*.svg"))


class Form:
    def __init__(self, form: Any) -> None:
        self.form = form
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return str(self.form.get(name, "")).strip()

    def fail(self, name: str, text: str) -> None:
        self.errors.setdefault(name, text)

    def text(self, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
        v = self.raw(name)
        if required and not v:
            self.fail(name, _("Required."))
        if len(v) > limit or "\n" in v and limit <= 120:
            self.fail(name, _("At most %(n)d characters, on one line.", n=limit))
        return v

    def minutes(self, name: str, *, optional: bool, lo: int = 1, hi: int = 480) -> int | None:
        v = self.raw(name)
        if not v and optional:
            return None
        if not re.fullmatch(r"\d{1,4}", v) or not lo <= int(v) <= hi:
            if optional:
                self.fail(name, _("Leave it empty, or give a whole number from %(lo)d to %(hi)d.", lo=lo, hi=hi))
            else:
                self.fail(name, _("Give a whole number from %(lo)d to %(hi)d.", lo=lo, hi=hi))
            return None
        return int(v)

    def entry_id(self, name: str, taken: set[str], pattern: re.Pattern[str] = ID_RE) -> str:
        v = self.raw(name)
        if not pattern.fullmatch(v):
            self.fail(name, _("Use lowercase letters, digits, - and _ (at most 40)."))
        elif v in taken:
            self.fail(name, _("This id is already used."))
        return v

    def prefix(self, name: str, others: dict[str, str]) -> str:
        v = self.raw(name)
        if not re.fullmatch(r"[A-Z]", v):
            self.fail(name, _("One capital letter, A to Z."))
        elif v in others:
            self.fail(name, _("This letter is already the prefix of %(need)s.", need=others[v]))
        return v

    def pictogram(self, name: str) -> str:
        v = self.raw(name)
        if v not in pictograms():
            self.fail(name, _("Choose a pictogram."))
        return v

    def translated(self, prefix: str, languages: tuple[str, ...], *, required: bool) -> dict[str, str]:
        out = {}
        for lang in languages:
            v = self.text(f"{prefix}.{lang}", limit=120 if required else MAX_TEXT)
            if required and not v:
                self.fail(f"{prefix}.{lang}", _("Give the name in this language."))
            if v:
                out[lang] = v
        return out

    def spans(self, name: str) -> list[str]:
        v = self.raw(name)
        out = [s.strip() for s in v.split(",") if s.strip()]
        for s in out:
            m = SPAN_RE.fullmatch(s)
            if not m or int(m[1]) > 23 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59 or s[6:] <= s[:5]:
                self.fail(name, _("Write the hours like 09:00-12:30, 13:30-16:30 (empty: closed)."))
                break
        return out

    def days(self, name: str) -> list[str]:
        out = sorted({s for s in re.split(r"[\s,]+", self.raw(name)) if s})
        for s in out:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
                    raise ValueError
                date.fromisoformat(s)
            except ValueError:
                self.fail(name, _("Write each day like 2026-12-25."))
                break
        return out
