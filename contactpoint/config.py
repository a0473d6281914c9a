"""Load and validate a site's TOML file. A wrong file stops the server with the key and what is wrong."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactpoint.config_box import SCREEN_KEYS, SERVER_KEYS, BoxSettings, parse_box
from contactpoint.config_devices import DEVICES_KEYS, parse_pairing
from contactpoint.config_feedback import FEEDBACK_KEYS, parse_buttons, parse_feedback
from contactpoint.config_reader import (
    ID_RE,
    ConfigError,
    _bool,
    _closed_days,
    _entries,
    _hours,
    _Reader,
    _translated,
)
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
    Zone,
)
from contactpoint.hardware.buttons.settings import KEYS as BUTTON_KEYS
from contactpoint.hardware.buttons.settings import ButtonSettings
from contactpoint.report.settings import KEYS as REPORT_KEYS
from contactpoint.report.settings import ReportSettings, parse_report

SAMPLE_SITE = Path(__file__).with_name("sample_site.toml")
# the pictograms a need may name: the SVG files the kiosk ships (kiosk/static/pictograms/NAME.svg)
PICTOGRAMS = Path(__file__).resolve().parent.parent / "kiosk" / "static" / "pictograms"
if not PICTOGRAMS.is_dir():  # installed from the wheel (a box's release): kiosk/ is contactpoint/kiosk/
    PICTOGRAMS = Path(__file__).resolve().parent / "kiosk" / "static" / "pictograms"


# every key a site file may hold, per table (a typo is an error, not a silent default); docs/configuration.md
# documents each one and a test checks it
KEYS: dict[str, tuple[str, ...]] = {
    "": ("site", "hours", "queue", "printer", "kiosk", "display", "needs", "counters", "organisations", "zones",
         "report"),
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
    "needs": ("id", "prefix", "pictogram", "names", "service_level_minutes", "capacity", "appointment_name",
              "max_wait_minutes", "max_service_minutes",
              "regional_code"),
    "counters": ("id", "label"),
    "report": REPORT_KEYS,
    "organisations": ("id", "kind", "name", "address", "phone", "website", "hours", "description"),
    "zones": ("id", "name", "needs", "counters"),
}

KEYS[""] = (*KEYS[""], "feedback", "buttons")  # the satisfaction taps (contactpoint/config_feedback.py)
KEYS["feedback"] = FEEDBACK_KEYS
KEYS["buttons"] = BUTTON_KEYS
KEYS[""] = (*KEYS[""], "devices")  # how the device pages are paired (contactpoint/config_devices.py)
KEYS["devices"] = DEVICES_KEYS
KEYS[""] = (*KEYS[""], "screen", "server")  # the installed box's screen and port (contactpoint/config_box.py)
KEYS["screen"] = SCREEN_KEYS
KEYS["server"] = SERVER_KEYS


@dataclass(frozen=True)
class SiteConfig:
    site: Site
    printer: dict[str, Any]
    path: str
    buttons: ButtonSettings | None = None  # the [buttons] table: none, no push-buttons
    report: ReportSettings | None = None  # None: the site does not report upstream
    pairing: str = "required"  # [devices] pairing: "required" or "first-sight" (docs/devices.md)
    box: BoxSettings = BoxSettings()  # the [screen] and [server] tables: what `contactpoint provision` installs


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


def _printer(r: _Reader, data: dict[str, Any]) -> dict[str, Any]:
    """The `[printer]` table (a fake printer when there is none), checked by the transport it names."""
    from contactpoint.hardware.printer import make_printer, transport_names  # the one registry of transports

    printer = r.table(data, "printer", "printer", required=False) or {"type": "fake"}
    ptype = printer.get("type", "fake")
    if ptype not in transport_names():
        raise r.fail("printer.type", f"must be one of {', '.join(transport_names())}; got {ptype!r}")
    try:
        make_printer({"type": ptype, **printer})  # builds the driver without opening it: every key checked here
    except ValueError as e:  # "printer.<key>: problem"
        pkey, _, problem = str(e).partition(": ")
        raise r.fail(pkey, problem) from None
    return printer


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
        standards = {}
        for std in ("max_wait_minutes", "max_service_minutes"):
            v = n.get(std)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 480):
                raise r.fail(f"{key}.{std}", f"must be a whole number of minutes from 1 to 480, got {v!r}")
            standards[std] = v
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
                max_wait_minutes=standards["max_wait_minutes"],
                max_service_minutes=standards["max_service_minutes"],
                regional_code=_regional_code(r, n, key),
            )
        )
    check_report(r, data, needs)

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
    printer = _printer(r, data)

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
        feedback=parse_feedback(r, data),
    )
    return SiteConfig(site=site, printer=dict(printer), path=path, buttons=parse_buttons(r, data),
                      report=parse_report(r, data, site_id), pairing=parse_pairing(r, data),
                      box=parse_box(r, data))


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


def _regional_code(r: _Reader, n: dict[str, Any], key: str) -> str | None:
    """A need's code in the region's list (contactpoint/regional_needs.toml), or None when it has none."""
    from contactpoint import regional_needs

    code = n.get("regional_code")
    if code is None:
        return None
    codes = regional_needs.load().codes()
    if not isinstance(code, str) or code not in codes:
        raise r.fail(f"{key}.regional_code", f"{code!r} is not in the region's code list (one of {', '.join(codes)})")
    return code


def check_report(r: _Reader, data: dict[str, Any], needs: list[Need]) -> str | None:
    """A site that reports upstream (a [report] table with hub_url) maps every need to a regional code: the hub
    compares sites by code, so an unmapped need could not be compared. Returns the hub's URL, or None."""
    report = data.get("report")
    if report is None:
        return None
    if not isinstance(report, dict):
        raise r.fail("report", "must be a table")
    url = report.get("hub_url")  # its form and the table's other keys: contactpoint/report/settings.py
    if not isinstance(url, str):
        return None
    for i, need in enumerate(needs):
        if need.regional_code is None:
            raise r.fail(
                f"needs[{i}].regional_code",
                f"the site reports to a hub: map the need {need.id!r} to a code of the region's list "
                "(contactpoint/regional_needs.toml)",
            )
    return url.rstrip("/")
