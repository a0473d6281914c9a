"""Load and validate a site's TOML file. A wrong file stops the server with the key and what is wrong."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactpoint.domain.site import (
    WEEKDAYS,
    CounterDef,
    DisplaySettings,
    KioskSettings,
    Need,
    OpeningHours,
    Organisation,
    QueuePolicy,
    Site,
    Span,
    Zone,
)

SAMPLE_SITE = Path(__file__).with_name("sample_site.toml")
# the pictograms a need may name: the SVG files the kiosk ships (kiosk/static/pictograms/NAME.svg)
PICTOGRAMS = Path(__file__).resolve().parent.parent / "kiosk" / "static" / "pictograms"
LANG_RE = re.compile(r"^[a-z]{2}$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SPAN_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


# every key a site file may hold, per table (a typo is an error, not a silent default); docs/configuration.md
# documents each one and a test checks it
KEYS: dict[str, tuple[str, ...]] = {
    "": ("site", "hours", "queue", "printer", "kiosk", "display", "needs", "counters", "organisations", "zones"),
    "site": (
        "id",
        "name",
        "timezone",
        "languages",
        "default_language",
        "announcement_languages",
        "always_open",
        "message",
    ),
    "hours": (*WEEKDAYS, "closed"),
    "queue": (
        "priority_advance_minutes",
        "appointment_advance_minutes",
        "no_show_grace_minutes",
        "default_service_minutes",
        "require_open_counter",
        "last_ticket_minutes",
        "appointment_early_minutes",
        "appointment_late_minutes",
    ),
    "kiosk": ("idle_reset_seconds", "ticket_screen_seconds", "rate_limit"),
    "display": ("min_call_seconds", "speech_rate", "announce"),
    "needs": ("id", "prefix", "pictogram", "names", "service_level_minutes", "capacity", "appointment_name"),
    "counters": ("id", "label"),
    "organisations": ("id", "kind", "name", "address", "phone", "website", "hours", "description"),
    "zones": ("id", "name", "needs", "counters"),
}


class ConfigError(ValueError):
    """A site file that cannot be used; the message names the key and the problem."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class SiteConfig:
    site: Site
    printer: dict[str, Any]
    path: str


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


def _unknown_keys(r: _Reader, data: dict[str, Any]) -> None:
    def check(table: str, where: str, d: Any) -> None:
        if not isinstance(d, dict):
            return
        for k in d:
            if k not in KEYS[table]:
                raise r.fail(f"{where}.{k}" if where else k, f"unknown key (allowed: {', '.join(KEYS[table])})")

    check("", "", data)
    for table in ("site", "hours", "queue", "kiosk", "display"):
        check(table, table, data.get(table))
    for table in ("needs", "counters", "organisations", "zones"):
        items = data.get(table)
        for i, item in enumerate(items if isinstance(items, list) else []):
            check(table, f"{table}[{i}]", item)


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


def _organisations(r: _Reader, data: dict[str, Any], languages: tuple[str, ...]) -> tuple[Organisation, ...]:
    out: list[Organisation] = []
    for key, o in _entries(r, data, "organisations", required=False):
        oid = r.str_(o, f"{key}.id", "id")
        if not ID_RE.match(oid) or any(x.id == oid for x in out):
            raise r.fail(f"{key}.id", f"must be a unique id of lowercase letters, digits, - and _, got {oid!r}")
        out.append(
            Organisation(
                id=oid,
                kind=r.str_(o, f"{key}.kind", "kind"),
                name=r.str_(o, f"{key}.name", "name"),
                address=str(o.get("address", "")).strip(),
                phone=str(o.get("phone", "")).strip(),
                website=str(o.get("website", "")).strip(),
                hours=_translated(r, o, f"{key}.hours", "hours"),
                description=_translated(r, o, f"{key}.description", "description"),
            )
        )
    return tuple(out)


def _zones(r: _Reader, data: dict[str, Any], needs: list[Need], counters: list[CounterDef]) -> tuple[Zone, ...]:
    need_ids = {n.id for n in needs}
    counter_ids = {c.id for c in counters}
    out: list[Zone] = []
    for key, z in _entries(r, data, "zones", required=False):
        zid = r.str_(z, f"{key}.id", "id")
        if not ID_RE.match(zid) or any(x.id == zid for x in out):
            raise r.fail(f"{key}.id", f"must be a unique id of lowercase letters, digits, - and _, got {zid!r}")
        zn, zc = z.get("needs", []), z.get("counters", [])
        if not isinstance(zn, list) or not all(isinstance(x, str) for x in zn) or not set(zn) <= need_ids:
            raise r.fail(f"{key}.needs", f"must list needs of this site, got {zn!r}")
        if (
            not isinstance(zc, list)
            or not all(isinstance(x, str | int) for x in zc)
            or not {str(c) for c in zc} <= counter_ids
        ):
            raise r.fail(f"{key}.counters", f"must list counters of this site, got {zc!r}")
        out.append(Zone(zid, r.str_(z, f"{key}.name", "name", zid), tuple(zn), tuple(str(c) for c in zc)))
    return tuple(out)


def parse_site(data: dict[str, Any], path: str = "<site>") -> SiteConfig:
    r = _Reader(path)
    _unknown_keys(r, data)
    s = r.table(data, "site", "site")
    site_id = r.str_(s, "site.id", "id")
    if not ID_RE.match(site_id):
        raise r.fail("site.id", f"use lowercase letters, digits, - and _ (at most 40), got {site_id!r}")
    tz_name = r.str_(s, "site.timezone", "timezone")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("site.timezone", f"unknown time zone {tz_name!r} (e.g. Europe/Brussels)") from None
    languages = r.langs(s, "site.languages", "languages")
    default_language = r.str_(s, "site.default_language", "default_language", languages[0])
    if default_language not in languages:
        raise r.fail("site.default_language", f"{default_language!r} is not in site.languages")
    announce = (
        r.langs(s, "site.announcement_languages", "announcement_languages")
        if "announcement_languages" in s
        else (default_language,)
    )
    message = s.get("message", {})
    if not isinstance(message, dict) or not all(isinstance(v, str) for v in message.values()):
        raise r.fail("site.message", "must be a table of translated strings")

    needs: list[Need] = []
    for key, n in _entries(r, data, "needs", required=True):
        nid = r.str_(n, f"{key}.id", "id")
        if not ID_RE.match(nid):
            raise r.fail(f"{key}.id", f"use lowercase letters, digits, - and _, got {nid!r}")
        prefix = r.str_(n, f"{key}.prefix", "prefix")
        if not re.fullmatch(r"[A-Z]", prefix):
            raise r.fail(f"{key}.prefix", f"must be one capital letter A-Z, got {prefix!r}")
        if any(x.id == nid for x in needs):
            raise r.fail(f"{key}.id", f"{nid!r} is used twice")
        if any(x.prefix == prefix for x in needs):
            raise r.fail(f"{key}.prefix", f"{prefix!r} is already the prefix of another need")
        level = r.num(n, f"{key}.service_level_minutes", "service_level_minutes", 15, 1, 480)
        capacity = n.get("capacity")
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1):
            raise r.fail(f"{key}.capacity", f"must be a whole number of tickets a day, at least 1, got {capacity!r}")
        pictogram = r.str_(n, f"{key}.pictogram", "pictogram", "question")
        if not ID_RE.match(pictogram) or not (PICTOGRAMS / f"{pictogram}.svg").is_file():
            shipped = sorted(f.stem for f in PICTOGRAMS.glob("*.svg"))
            raise r.fail(f"{key}.pictogram", f"no pictogram named {pictogram!r} (one of {', '.join(shipped)})")
        needs.append(
            Need(
                id=nid,
                prefix=prefix,
                pictogram=pictogram,
                names=r.names(n, f"{key}.names", languages),
                service_level_minutes=int(level),
                capacity=capacity,
                appointment_name=_bool(r, n, f"{key}.appointment_name", "appointment_name", False),
            )
        )

    counters: list[CounterDef] = []
    for key, c in _entries(r, data, "counters", required=True):
        cid = str(c.get("id", "")).strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,12}", cid):
            raise r.fail(f"{key}.id", f"must be 1-12 letters or digits, got {c.get('id')!r}")
        if any(x.id == cid for x in counters):
            raise r.fail(f"{key}.id", f"{cid!r} is used twice")
        counters.append(CounterDef(id=cid, label=r.str_(c, f"{key}.label", "label", cid)))

    hours_data = r.table(data, "hours", "hours", required=False)
    always = _bool(r, s, "site.always_open", "always_open", False)
    week = _hours(r, hours_data)
    if not week and not always:
        raise r.fail("hours", "no opening hours: list them per day, or set site.always_open = true")

    q = r.table(data, "queue", "queue", required=False)
    policy = QueuePolicy(
        priority_advance_s=60 * r.num(q, "queue.priority_advance_minutes", "priority_advance_minutes", 10, 0, 240),
        appointment_advance_s=60
        * r.num(q, "queue.appointment_advance_minutes", "appointment_advance_minutes", 15, 0, 240),
        no_show_grace_s=60 * r.num(q, "queue.no_show_grace_minutes", "no_show_grace_minutes", 15, 0, 240),
        default_service_s=60 * r.num(q, "queue.default_service_minutes", "default_service_minutes", 7, 1, 120),
        require_open_counter=_bool(r, q, "queue.require_open_counter", "require_open_counter", True),
        last_ticket_s=60 * r.num(q, "queue.last_ticket_minutes", "last_ticket_minutes", 15, 0, 240),
        appointment_early_s=60 * r.num(q, "queue.appointment_early_minutes", "appointment_early_minutes", 30, 0, 480),
        appointment_late_s=60 * r.num(q, "queue.appointment_late_minutes", "appointment_late_minutes", 15, 0, 480),
    )
    k = r.table(data, "kiosk", "kiosk", required=False)
    rate = r.str_(k, "kiosk.rate_limit", "rate_limit", "30 per minute")
    if not re.fullmatch(r"\d+\s*(per|/)\s*(second|minute|hour|day)", rate):
        raise r.fail("kiosk.rate_limit", f'must look like "30 per minute", got {rate!r}')
    kiosk = KioskSettings(
        idle_reset_s=int(r.num(k, "kiosk.idle_reset_seconds", "idle_reset_seconds", 90, 20, 3600)),
        ticket_screen_s=int(r.num(k, "kiosk.ticket_screen_seconds", "ticket_screen_seconds", 45, 5, 600)),
        rate_limit=rate,
    )
    dsp = r.table(data, "display", "display", required=False)
    display = DisplaySettings(
        min_call_s=r.num(dsp, "display.min_call_seconds", "min_call_seconds", 6, 1, 60),
        speech_rate=int(r.num(dsp, "display.speech_rate", "speech_rate", 140, 80, 300)),
        announce=_bool(r, dsp, "display.announce", "announce", True),
    )
    organisations = _organisations(r, data, languages)
    zones = _zones(r, data, needs, counters)
    printer = r.table(data, "printer", "printer", required=False) or {"type": "fake"}
    ptype = printer.get("type", "fake")
    from hardware.printer import make_printer, transport_names  # the one registry of transports

    if ptype not in transport_names():
        raise r.fail("printer.type", f"must be one of {', '.join(transport_names())}; got {ptype!r}")
    # builds the driver without opening it: every key checked here

    try:
        make_printer({"type": ptype, **printer})
    except ValueError as e:  # "printer.<key>: problem"
        pkey, _, problem = str(e).partition(": ")
        raise r.fail(pkey, problem) from None

    site = Site(
        id=site_id,
        name=r.str_(s, "site.name", "name"),
        tz=tz,
        languages=languages,
        default_language=default_language,
        announcement_languages=announce,
        needs=tuple(needs),
        counters=tuple(counters),
        hours=OpeningHours(week=week, always_open=always, closed=_closed_days(r, hours_data)),
        policy=policy,
        message={k: v.strip() for k, v in message.items()},
        organisations=organisations,
        zones=zones,
        kiosk=kiosk,
        display=display,
    )
    return SiteConfig(site=site, printer=dict(printer), path=path)


def load_site(path: str | Path | None = None) -> SiteConfig:
    p = Path(path) if path else SAMPLE_SITE
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ConfigError(str(p), "file", f"cannot be read ({e.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(p), "file", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(p), "file", f"is not valid TOML ({e})") from None
    return parse_site(data, str(p))
