"""Appointments into the box: CSV and iCalendar files from a booking system (read by appointments_files.py),
and the booking itself.

A visitor's name is kept only for a need whose site setting says its appointments need it
(`[[needs]] appointment_name = true`); for other needs it is dropped and the import report says how many.

Every line or event that cannot be used gives a clear error with its line number; the others are booked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from contactpoint.appointments_files import (
    COLUMNS,
    MAX_FILE,
    MAX_ROWS,
    WINDOWS_ZONES,
    Parsed,
    Row,
    code_from_uid,
    find_need,
    parse_csv,
    parse_file,
    parse_ics,
)
from contactpoint.domain import commands
from contactpoint.domain.appointments import make_code
from contactpoint.domain.errors import CommandError
from contactpoint.domain.site import Site


# -- booking -----------------------------------------------------------------------------------------------
@dataclass(slots=True)
class ImportReport:
    booked: int = 0
    skipped: int = 0  # already in the box (same code, same day, same slot): importing twice is harmless
    errors: list[tuple[int, str]] = field(default_factory=list)
    names_dropped: int = 0  # names given for needs whose appointments do not need one: not kept


def keeps_name(site: Site, need: str) -> bool:
    """Whether a booking for this need may keep the visitor's name (`[[needs]] appointment_name = true`)."""
    n = site.need(need)
    return bool(n and n.appointment_name)


def new_code(engine: Any, day: str) -> str:
    while True:
        code = make_code(secrets.token_bytes(8), 6)
        if not engine.code_taken(code, day):
            return code


def book(
    engine: Any,
    *,
    slot_at: float,
    need: str,
    code: str = "",
    name: str | None = None,
    duration_s: int = 0,
    source: str = "manual",
) -> str:
    """Book one appointment through the engine; returns its id (raises CommandError when refused)."""
    aid = secrets.token_hex(8)
    code = code or new_code(engine, engine.site.day_of(slot_at))
    engine.run(
        commands.book_appointment,
        appointment_id=aid,
        code=code,
        slot_at=slot_at,
        need=need,
        duration_s=duration_s,
        name=name,
        source=source,
    )
    return aid


def import_rows(engine: Any, parsed: Parsed, source: str) -> ImportReport:
    from contactpoint.messages import message

    report = ImportReport(errors=list(parsed.errors))
    booked = {(a.code, a.slot_at, a.need) for a in engine.appointments()}
    for row in parsed.rows:
        key = (row.code, row.slot_at, row.need)
        if key in booked:  # the same booking imported again: harmless
            report.skipped += 1
            continue
        name = row.name if keeps_name(engine.site, row.need) else None
        try:
            book(
                engine,
                slot_at=row.slot_at,
                need=row.need,
                code=row.code,
                name=name,
                duration_s=row.duration_s,
                source=source,
            )
            report.booked += 1
            if row.name and name is None:
                report.names_dropped += 1
            booked.add(key)
        except CommandError as e:
            report.errors.append((row.line, message(e.key)))
    report.errors.sort()
    return report


def import_file(engine: Any, filename: str, data: bytes) -> ImportReport:
    try:
        parsed, source = parse_file(filename, data, engine.site)
    except ValueError as e:
        return ImportReport(errors=[(0, str(e))])
    return import_rows(engine, parsed, source)


__all__ = [
    "COLUMNS",
    "MAX_FILE",
    "MAX_ROWS",
    "WINDOWS_ZONES",
    "code_from_uid",
    "find_need",
    "Parsed",
    "Row",
    "ImportReport",
    "parse_csv",
    "parse_ics",
    "parse_file",
    "import_file",
    "book",
    "keeps_name",
]
