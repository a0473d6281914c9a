"""Appointment files from a booking system, read into rows: CSV and iCalendar (booked by appointments_import.py).

CSV: a header row naming the columns `date, time, need, code` and optionally `name, duration` (minutes), in
English, French, Dutch or German (Date;Heure;Service;Code;Nom, Datum;Uur;Dienst;Code;Naam); comma, semicolon or
tab separated (a Belgian spreadsheet saves with semicolons, Excel's "Unicode text" with tabs), an Excel `sep=;`
first line obeyed; UTF-8, UTF-16 with its BOM (Excel's "Unicode text") or Windows-1252; dates as 2026-11-25,
25/11/2026 or 25/11/26.

iCalendar (RFC 5545): a small, strict reader of VEVENT blocks, enough for what booking systems export:
DTSTART (UTC `…Z`, with `TZID=` an IANA name or a Windows one as Outlook writes it, or floating = the site's time
zone), DTEND or DURATION, SUMMARY (the need), UID, DESCRIPTION (lines `Code: …`, `Name: …`, `Need: …`),
STATUS:CANCELLED skipped; a repeating event (RRULE) is not imported and its line says so. No library: a full
iCalendar library would cost more memory and start-up on a Pi than the few rules used here (docs/appointments.md).

Every line or event that cannot be used gives a clear error with its line number; the others become rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from contactpoint.domain.appointments import MAX_DURATION_S, make_code, normalise_code, valid_code
from contactpoint.domain.site import Site

MAX_FILE = 2 * 1024 * 1024
MAX_ROWS = 5000


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    slot_at: float
    need: str
    code: str
    name: str | None = None
    duration_s: int = 0


@dataclass(slots=True)
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def find_need(site: Site, text: str) -> str | None:
    """A need by its id or by its name in any language of the site (case and spaces do not matter)."""
    t = " ".join(text.split()).casefold()
    for n in site.needs:
        if t == n.id.casefold() or any(t == " ".join(v.split()).casefold() for v in n.names.values()):
            return n.id
    return None


# the columns, by the names booking systems and spreadsheets give them (compared without case and accents)
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "datum", "day", "jour", "dag", "tag", "start date", "date de debut", "begindatum"),
    "time": ("time", "heure", "uur", "tijd", "hour", "zeit", "uhrzeit", "start time", "heure de debut", "begintijd"),
    "need": ("need", "service", "dienst", "besoin", "motif", "reden", "dienstleistung", "subject", "sujet"),
    "code": (
        "code",
        "booking code",
        "code de reservation",
        "reservatiecode",
        "boekingscode",
        "buchungscode",
        "reference",
        "referentie",
        "referenz",
    ),
    "name": ("name", "nom", "naam", "visitor", "visiteur", "bezoeker", "besucher"),
    "duration": ("duration", "duree", "duur", "dauer", "minutes", "minuten"),
}

# Windows time-zone names (Outlook writes TZID="Romance Standard Time") → IANA, for Europe and its neighbours
WINDOWS_ZONES: dict[str, str] = {
    "Romance Standard Time": "Europe/Brussels",  # Brussels, Copenhagen, Madrid, Paris
    "W. Europe Standard Time": "Europe/Berlin",  # Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna
    "Central Europe Standard Time": "Europe/Budapest",  # Belgrade, Bratislava, Budapest, Ljubljana, Prague
    "Central European Standard Time": "Europe/Warsaw",  # Sarajevo, Skopje, Warsaw, Zagreb
    "GMT Standard Time": "Europe/London",  # Dublin, Edinburgh, Lisbon, London
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "GTB Standard Time": "Europe/Bucharest",  # Athens, Bucharest
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",  # Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius
    "Kaliningrad Standard Time": "Europe/Kaliningrad",
    "Russian Standard Time": "Europe/Moscow",
    "Belarus Standard Time": "Europe/Minsk",
    "Turkey Standard Time": "Europe/Istanbul",
    "Morocco Standard Time": "Africa/Casablanca",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
}


def _plain(text: str) -> str:
    """A header as compared: no case, no accents, single spaces, no BOM or quotes."""
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", "").strip().strip('"'))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().replace("_", " ").split())


def _column(header: str) -> str | None:
    h = _plain(header)
    for name, aliases in COLUMNS.items():
        if h in aliases:
            return name
    return None


def _date(text: str) -> date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d-%m-%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _time(text: str) -> time | None:
    m = re.fullmatch(r"(\d{1,2})[:hH.](\d{2})(?::\d{2})?", text.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        return None
    return time(int(m.group(1)), int(m.group(2)))


def _code(text: str) -> tuple[str, bool]:
    code = normalise_code(text)
    return code, valid_code(code)


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE:
        raise ValueError(_("The file is larger than 2 MB."))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its BOM: Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValueError(_("The file is not text.")) from None
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("The file is not text."))


def parse_csv(text: str, site: Site) -> Parsed:
    out = Parsed()
    lines = text.splitlines()
    first = 0
    delimiter = None
    if lines and re.fullmatch(r'"?sep=(.)"?,*', lines[0].strip(), re.IGNORECASE):  # Excel's "sep=;" line
        delimiter = re.fullmatch(r'"?sep=(.)"?,*', lines[0].strip(), re.IGNORECASE).group(1)  # type: ignore[union-attr]
        first = 1
    if len(lines) <= first or not lines[first].strip():
        out.errors.append((first + 1, _("The file is empty.")))
        return out
    head = lines[first]
    if delimiter is None:
        delimiter = max(("\t", ";", ","), key=lambda d: (head.count(d), d == ","))
    reader = csv.reader(io.StringIO("\n".join(lines[first:])), delimiter=delimiter)
    header = [_column(h) or _plain(h) for h in next(reader)]
    missing = [c for c in ("date", "time", "need", "code") if c not in header]
    if missing:
        out.errors.append((first + 1, _("Missing column(s): %(cols)s.", cols=", ".join(missing))))
        return out
    col = {name: header.index(name) for name in header}

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    for row in reader:
        line = reader.line_num + first
        if not any(c.strip() for c in row):
            continue
        if len(out.rows) + len(out.errors) >= MAX_ROWS:
            out.errors.append((line, _("Too many lines: at most %(n)d.", n=MAX_ROWS)))
            break
        d, t = _date(cell(row, "date")), _time(cell(row, "time"))
        if d is None:
            out.errors.append((line, _("Date %(value)r is not like 2026-11-25.", value=cell(row, "date"))))
            continue
        if t is None:
            out.errors.append((line, _("Time %(value)r is not like 09:30.", value=cell(row, "time"))))
            continue
        need = find_need(site, cell(row, "need"))
        if need is None:
            out.errors.append((line, _("Unknown service %(value)r.", value=cell(row, "need"))))
            continue
        code, ok = _code(cell(row, "code"))
        if not ok:
            out.errors.append((line, _("Booking code %(value)r: 4 to 12 letters or digits.", value=cell(row, "code"))))
            continue
        duration_s = 0
        raw = cell(row, "duration")
        if raw:
            if not raw.isdigit() or int(raw) * 60 > MAX_DURATION_S:
                out.errors.append((line, _("Duration %(value)r: whole minutes, at most 480.", value=raw)))
                continue
            duration_s = int(raw) * 60
        slot = datetime.combine(d, t, tzinfo=site.tz)
        out.rows.append(Row(line, slot.timestamp(), need, code, cell(row, "name") or None, duration_s))
    return out


# -- iCalendar ---------------------------------------------------------------------------------------------
_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def _unfold(text: str) -> list[tuple[int, str]]:
    """Content lines with the line number they start on (a line starting with a space or tab continues)."""
    out: list[tuple[int, str]] = []
    for i, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((i, raw))
    return out


def _property(line: str) -> tuple[str, dict[str, str], str]:
    head, sep, value = line.partition(":")
    if not sep:
        raise ValueError(line)
    name, *params = head.split(";")
    pmap = {}
    for p in params:
        k, _eq, v = p.partition("=")
        pmap[k.upper()] = v.strip('"')
    return name.upper(), pmap, value


def _ics_datetime(value: str, params: dict[str, str], site: Site) -> datetime:
    if params.get("VALUE", "").upper() == "DATE" or re.fullmatch(r"\d{8}", value):
        raise ValueError(_("an all-day event has no time"))
    m = re.fullmatch(r"(\d{8})T(\d{6})(Z?)", value.strip())
    if not m:
        raise ValueError(_("%(value)r is not a date and time", value=value))
    naive = datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
    if m.group(3):
        return naive.replace(tzinfo=UTC)
    if "TZID" in params:
        tzid = params["TZID"].strip().lstrip("/")
        try:
            return naive.replace(tzinfo=ZoneInfo(WINDOWS_ZONES.get(tzid, tzid)))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("unknown time zone %(tz)r", tz=params["TZID"])) from None
    return naive.replace(tzinfo=site.tz)


def _ics_duration(value: str) -> int:
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", value.strip())
    if not m or not any(m.groups()):
        raise ValueError(_("%(value)r is not a duration", value=value))
    d, h, mi, s = (int(x or 0) for x in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def code_from_uid(uid: str) -> str:
    """A stable booking code for an event without one: importing the same calendar twice books nothing twice."""
    return make_code(hashlib.sha256(uid.encode()).digest(), 6)


def parse_ics(text: str, site: Site) -> Parsed:
    out = Parsed()
    lines = _unfold(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        out.errors.append((1, _("An iCalendar file starts with BEGIN:VCALENDAR.")))
        return out
    event: dict[str, tuple[dict[str, str], str]] | None = None
    start_line = 0
    for number, line in lines:
        try:
            name, params, value = _property(line)
        except ValueError:
            out.errors.append((number, _("Not an iCalendar line.")))
            continue
        if name == "BEGIN" and value.upper() == "VEVENT":
            event, start_line = {}, number
        elif name == "END" and value.upper() == "VEVENT" and event is not None:
            if len(out.rows) + len(out.errors) >= MAX_ROWS:
                out.errors.append((number, _("Too many lines: at most %(n)d.", n=MAX_ROWS)))
                break
            _ics_event(event, start_line, site, out)
            event = None
        elif event is not None and name not in event:
            event[name] = (params, value)
    return out


def _ics_event(ev: dict[str, tuple[dict[str, str], str]], line: int, site: Site, out: Parsed) -> None:
    if ev.get("STATUS", ({}, ""))[1].strip().upper() == "CANCELLED":
        return
    if "RRULE" in ev or "RDATE" in ev:  # a visitor's booking is one visit: a series is not guessed at
        out.errors.append((line, _("A repeating event (RRULE) is not imported: export each appointment on its own.")))
        return
    if "DTSTART" not in ev:
        out.errors.append((line, _("The event has no DTSTART.")))
        return
    fields: dict[str, str] = {}
    for raw in _unescape(ev.get("DESCRIPTION", ({}, ""))[1]).split("\n"):
        key, sep, value = raw.partition(":")
        if sep and key.strip().lower() in ("code", "name", "need"):
            fields[key.strip().lower()] = value.strip()
    try:
        start = _ics_datetime(ev["DTSTART"][1], ev["DTSTART"][0], site)
        duration_s = 0
        if "DTEND" in ev:
            duration_s = int((_ics_datetime(ev["DTEND"][1], ev["DTEND"][0], site) - start).total_seconds())
        elif "DURATION" in ev:
            duration_s = _ics_duration(ev["DURATION"][1])
    except ValueError as e:
        out.errors.append((line, str(e)))
        return
    if not 0 <= duration_s <= MAX_DURATION_S:
        out.errors.append((line, _("Duration: at most 480 minutes.")))
        return
    need_text = fields.get("need") or _unescape(ev.get("SUMMARY", ({}, ""))[1])
    need = find_need(site, need_text)
    if need is None:
        out.errors.append((line, _("Unknown service %(value)r.", value=need_text)))
        return
    uid = _unescape(ev.get("UID", ({}, ""))[1]).strip()
    if "code" not in fields and not uid:
        out.errors.append((line, _("The event has neither a UID nor a Code: line.")))
        return
    code, ok = _code(fields["code"]) if "code" in fields else (code_from_uid(uid), True)
    if not ok:
        out.errors.append((line, _("Booking code %(value)r: 4 to 12 letters or digits.", value=fields["code"])))
        return
    out.rows.append(Row(line, start.timestamp(), need, code, fields.get("name") or None, duration_s))


def parse_file(filename: str, data: bytes, site: Site) -> tuple[Parsed, str]:
    """CSV or iCalendar by content (a file named .ics or starting with BEGIN:VCALENDAR is iCalendar)."""
    text = _decode(data)
    if filename.lower().endswith(".ics") or text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        return parse_ics(text, site), "ics"
    return parse_csv(text, site), "csv"
