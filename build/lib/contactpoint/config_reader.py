"""The primitives a site file is read with: a reader whose errors name the file and the key, and the readers of
the values that take more than one line to check (opening hours, closed days, translated texts, [[entries]])."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from contactpoint.domain.site import WEEKDAYS, Span

LANG_RE = re.compile(r"^[a-z]{2}$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SPAN_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class ConfigError(ValueError):
    """A site file that cannot be used; the message names the key and the problem."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")
        self.key = key
        self.problem = problem


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def table(self, data: dict[str, Any], key: str, name: str, required: bool = True) -> dict[str, Any]:
        v = data.get(name)
        if v is None and not required:
            return {}
        if not isinstance(v, dict):
            raise self.fail(key, "missing table" if v is None else "must be a table")
        return v

    def str_(self, data: dict[str, Any], key: str, name: str, default: str | None = None) -> str:
        v = data.get(name, default)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, "missing" if v is None else f"must be a non-empty string, got {v!r}")
        return v.strip()

    def num(self, data: dict[str, Any], key: str, name: str, default: float, lo: float, hi: float) -> float:
        v = data.get(name, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            raise self.fail(key, f"must be a number from {lo:g} to {hi:g}, got {v!r}")
        return float(v)

    def langs(self, data: dict[str, Any], key: str, name: str) -> tuple[str, ...]:
        v = data.get(name)
        if not isinstance(v, list) or not v or not all(isinstance(x, str) and LANG_RE.match(x) for x in v):
            raise self.fail(key, f"must be a non-empty list of two-letter language codes, got {v!r}")
        if len(set(v)) != len(v):
            raise self.fail(key, "lists a language twice")
        from contactpoint.i18n import NATIVE_NAMES  # the languages with catalogues, voices and a native name

        unknown = [x for x in v if x not in NATIVE_NAMES]
        if unknown:
            raise self.fail(
                key, f"{unknown[0]!r} is not a language contactpoint has (one of {', '.join(NATIVE_NAMES)})"
            )
        return tuple(v)

    def names(self, data: dict[str, Any], key: str, languages: tuple[str, ...]) -> dict[str, str]:
        v = data.get("names")
        if not isinstance(v, dict):
            raise self.fail(key, 'missing table of translated names (e.g. names = { fr = "…", nl = "…" })')
        for lang in languages:
            if not isinstance(v.get(lang), str) or not v[lang].strip():
                raise self.fail(f"{key}.{lang}", "missing translation for a language of the site")
        return {k: str(s).strip() for k, s in v.items()}


def _bool(r: _Reader, data: dict[str, Any], key: str, name: str, default: bool) -> bool:
    v = data.get(name, default)
    if not isinstance(v, bool):
        raise r.fail(key, f"must be true or false, got {v!r}")
    return v


def _hours(r: _Reader, data: dict[str, Any]) -> dict[int, tuple[Span, ...]]:
    week: dict[int, tuple[Span, ...]] = {}
    for name in data:
        if name not in WEEKDAYS and name != "closed":
            raise r.fail(f"hours.{name}", f"unknown day; use one of {', '.join(WEEKDAYS)} (or closed)")
    for i, day in enumerate(WEEKDAYS):
        spans = data.get(day, [])
        if not isinstance(spans, list):
            raise r.fail(f"hours.{day}", 'must be a list like ["09:00-12:30", "13:30-16:00"]')
        out = []
        for j, s in enumerate(spans):
            m = SPAN_RE.match(s) if isinstance(s, str) else None
            key = f"hours.{day}[{j}]"
            if not m:
                raise r.fail(key, f'must look like "09:00-12:30", got {s!r}')
            h1, m1, h2, m2 = (int(x) for x in m.groups())
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
                raise r.fail(key, f"not a time of day: {s!r}")
            start = time(h1, m1)
            end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
            if end <= start:
                raise r.fail(key, f"ends before it starts: {s!r}")
            out.append(Span(start, end))
        if out:
            week[i] = tuple(sorted(out, key=lambda s: s.start))
    return week


def _closed_days(r: _Reader, data: dict[str, Any]) -> frozenset[date]:
    """`[hours] closed = ["2026-12-25", …]`: public holidays and exceptional closures, the site's local days."""
    raw = data.get("closed", [])
    if not isinstance(raw, list):
        raise r.fail("hours.closed", 'must be a list of days like ["2026-12-25", "2027-01-01"]')
    out: set[date] = set()
    for i, v in enumerate(raw):
        if isinstance(v, date) and not isinstance(v, datetime):  # a bare TOML date: closed = [2026-12-25]
            out.add(v)
            continue
        try:
            if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                raise ValueError
            out.add(date.fromisoformat(v))
        except ValueError:
            raise r.fail(
                f"hours.closed[{i}]", f'must be a day written YYYY-MM-DD, like "2026-12-25", got {v!r}'
            ) from None
    return frozenset(out)


def _translated(r: _Reader, d: dict[str, Any], key: str, name: str) -> dict[str, str]:
    v = d.get(name, {})
    if isinstance(v, str):
        return {"*": v.strip()}
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        raise r.fail(key, "must be a text or a table of translated texts")
    return {k: x.strip() for k, x in v.items()}


def _entries(r: _Reader, data: dict[str, Any], table: str, *, required: bool) -> list[tuple[str, dict[str, Any]]]:
    """The `[[table]]` entries of a site file, each with the key errors name it by (`needs[2]`)."""
    raw = data.get(table, None if required else [])
    if required and (not isinstance(raw, list) or not raw):
        raise r.fail(table, f"at least one [[{table}]] entry is required")
    if not isinstance(raw, list):
        raise r.fail(table, f"must be a list of [[{table}]] tables")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise r.fail(f"{table}[{i}]", "must be a table")
        out.append((f"{table}[{i}]", item))
    return out
