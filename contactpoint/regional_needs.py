"""The region's code list of needs (contactpoint/regional_needs.toml): read by the box's check-config and by the hub.

A site maps each of its needs to one code (`regional_code`); the hub compares sites by code."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CODE_LIST = Path(__file__).with_name("regional_needs.toml")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # as contactpoint.report_format.CODE_RE
LANGS = ("fr", "nl", "en")


@dataclass(frozen=True)
class RegionalNeed:
    code: str
    names: dict[str, str]
    description: str

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True)
class CodeList:
    version: int
    needs: tuple[RegionalNeed, ...]

    def codes(self) -> tuple[str, ...]:
        return tuple(n.code for n in self.needs)

    def get(self, code: str) -> RegionalNeed | None:
        return next((n for n in self.needs if n.code == code), None)


def parse(text: str, where: str = "regional_needs.toml") -> CodeList:
    data = tomllib.loads(text)
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{where}: version must be a whole number, at least 1")
    needs: list[RegionalNeed] = []
    for i, entry in enumerate(data.get("needs", [])):
        code = entry.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code) or any(n.code == code for n in needs):
            raise ValueError(f"{where}: needs[{i}].code must be a unique code (a-z, 0-9, _), got {code!r}")
        names = entry.get("names", {})
        if not isinstance(names, dict) or any(not isinstance(names.get(lang), str) for lang in LANGS):
            raise ValueError(f"{where}: needs[{i}] ({code}) must have names in {', '.join(LANGS)}")
        description = entry.get("description")
        if not isinstance(description, str) or not description.strip():
            raise ValueError(f"{where}: needs[{i}] ({code}) must have a description")
        needs.append(RegionalNeed(code, dict(names), description))
    if not needs:
        raise ValueError(f"{where}: no needs")
    return CodeList(version, tuple(needs))


@lru_cache(maxsize=1)
def load() -> CodeList:
    return parse(CODE_LIST.read_text(encoding="utf-8"), str(CODE_LIST))
