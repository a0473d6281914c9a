"""Settings changed from the browser: overlays on the site file's data, folded in log order (pure).

A `settings_changed` event says one change: `section` (a table of the site file), `key`, `value` and who made
it (`by`, agent-only). The site file stays the starting point: `fold` lays the log's changes over the file's
parsed TOML data, key by key, and the file's own validator (`contactpoint.config.parse_site`) checks the result,
so a change made in the browser can never give a site the file would refuse.

Keys, per section (docs/settings.md):
- `site`: `name`, `message` (a table language → text), `always_open` (true/false).
- `hours`: a weekday (`mon` … `sun`: a list of "HH:MM-HH:MM" spans; `[]` or none: closed that day) or `closed`
  (the list of closed days, "YYYY-MM-DD").
- `needs`, `counters`, `organisations` (the `[[…]]` entries, found by id): `ID` (a whole entry: added, or
  replaced; none: removed) or `ID.FIELD` (one field of an entry; none: back to the field's default).

Removing a need or a counter that today's visits still use is refused (`removal_refusals`): its tickets, its
open counter, its booked appointments would point at nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import CommandError
from .facts import Changes, Event
from .model import FINAL, SiteState
from .site import WEEKDAYS, Site

ENTRIES = ("needs", "counters", "organisations")  # the sections whose keys start with an entry's id
FIELDS: dict[str, tuple[str, ...]] = {
    "site": ("name", "message", "always_open"),
    "hours": (*WEEKDAYS, "closed"),
    "needs": ("names", "pictogram", "prefix", "service_level_minutes", "max_wait_minutes", "max_service_minutes",
              "capacity", "appointment_name"),
    "counters": ("label",),
    "organisations": ("kind", "name", "address", "phone", "website", "hours", "description"),
}
SECTIONS = tuple(FIELDS)

Change = tuple[str, str, Any]  # (section, key, value)


def shape_error(section: object, key: object, value: object) -> str | None:
    """What is wrong with a change before it is even folded (None: its shape is fine): an unknown section or
    key, a value of no TOML type. What the value means is the site file's validator's to say."""
    if section not in FIELDS or not isinstance(key, str) or not key or len(key) > 80:
        return "unknown_setting"
    if section in ENTRIES:
        entry, _, fld = key.partition(".")
        if not entry or (fld and fld not in FIELDS[section]):
            return "unknown_setting"
        if not fld and value is not None and not isinstance(value, dict):
            return "bad_setting_value"
    elif key not in FIELDS[section]:
        return "unknown_setting"
    if not _plain(value):
        return "bad_setting_value"
    return None


def _plain(v: object, depth: int = 0) -> bool:
    if depth > 3:
        return False
    if v is None or isinstance(v, bool | int | str):
        return True
    if isinstance(v, list):
        return all(_plain(x, depth + 1) and x is not None for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _plain(x, depth + 1) and x is not None for k, x in v.items())
    return False


def fold(data: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    """The site file's data with `changes` laid over it in order (a new dict: `data` is left as it is)."""
    out = copy.deepcopy(data)
    for section, key, value in changes:
        value = copy.deepcopy(value)
        if section == "site":
            _set(out.setdefault("site", {}), key, value)
        elif section == "hours":
            _set(out.setdefault("hours", {}), key, value)
        elif section in ENTRIES:
            entries = out.setdefault(section, [])
            entry_id, _, fld = key.partition(".")
            i = next((i for i, e in enumerate(entries) if isinstance(e, dict) and str(e.get("id")) == entry_id), None)
            if not fld:
                if value is None:
                    if i is not None:
                        del entries[i]
                elif i is None:
                    entries.append({**value, "id": entry_id})
                else:
                    entries[i] = {**value, "id": entries[i]["id"]}
            elif i is not None:  # a field of an entry removed since: nothing to change
                _set(entries[i], fld, value)
    return out


def _set(table: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


def removal_refusals(state: SiteState, site: Site, changes: list[Change]) -> str | None:
    """Why these changes may not remove what they remove (a message key), or None.

    A need stays while a ticket of today, an open counter or a booked appointment names it; a counter stays
    while it is open or a visitor of today is called to it. Edit it instead (a need's name, a counter's label),
    or remove it once the day is closed."""
    for section, key, value in changes:
        if value is not None or "." in key:
            continue
        if section == "needs":
            if any(t.need == key for t in state.tickets.values()):
                return "need_in_use"
            if any(c.open and key in c.needs for c in state.counters.values()):
                return "need_in_use"
            if any(a.need == key and a.state.value == "booked" for a in state.appointments.values()):
                return "need_booked"
        if section == "counters":
            c = state.counters.get(key)
            if c is not None and (c.open or c.ticket is not None):
                return "counter_in_use"
            if any(t.counter == key and t.state not in FINAL for t in state.tickets.values()):
                return "counter_in_use"
    return None


def change_settings(state: SiteState, site: Site, now: float, *, changes: list[Change], by: str) -> list[Event]:
    """The command: one `settings_changed` event per change (checked by the site file's validator before)."""
    for section, key, value in changes:
        error = shape_error(section, key, value)
        if error is not None:
            raise CommandError(error, 400)
    refusal = removal_refusals(state, site, changes)
    if refusal is not None:
        raise CommandError(refusal, 409)
    return [Event("settings_changed", now, {"section": s, "key": k, "value": v, "by": by}) for s, k, v in changes]


AGENT_CHANGES = ("added", "password_reset", "role_changed", "disabled", "enabled")


def agent_changed(state: SiteState, site: Site, now: float, *, agent: str, change: str, role: str | None,
                  by: str) -> list[Event]:
    """The audit of an account's change (the account itself lives in the agents table, never a password here)."""
    if change not in AGENT_CHANGES:
        raise CommandError("bad_request", 400)
    return [Event("agent_changed", now, {"agent": agent, "change": change, "role": role, "by": by})]


def settings_changed(state: SiteState, ch: Changes, ev: Event) -> None:
    """The handler: the projection holds no settings (the engine swaps its Site; the log is the record)."""


def agent_changed_handler(state: SiteState, ch: Changes, ev: Event) -> None:
    """The handler: accounts live in the agents table; the log keeps who changed what, when."""
