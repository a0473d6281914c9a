"""The box's paired devices (pure): which page asks for which role, pairing codes, and the audit commands.

A device (the kiosk's browser, a waiting-room display, a feedback tablet, a counter's browser) holds a random
credential in a cookie; the devices table (contactpoint/device_store.py) keeps its hash, role and name. The log
keeps who approved and revoked which device, when: `device_approved`, `device_revoked` (no secret in either).
"""

from __future__ import annotations

from .errors import CommandError
from .facts import Changes, Event
from .model import SiteState
from .site import Site

# the device pages, by the first segment of their path; each is a role a device is paired for
ROLES = ("kiosk", "display", "counter", "feedback")
MODES = ("required", "first-sight")  # the site file's `[devices] pairing`
# a pairing code: no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes, so it is read from across the room and typed right
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
MAX_NAME = 60
FIRST_SIGHT = "first-sight"  # the `approved_by` of a device the box paired by itself (the demo)


def role_of_path(path: str) -> str | None:
    """The role a request's path asks for (`/kiosk/…` → "kiosk"), or None when it is not a device page."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in ROLES and (path.startswith(f"/{first}/") or path == f"/{first}") else None


def normalise_code(raw: str) -> str:
    """A code as typed: case and separators ignored ("k7p-3qx" is "K7P3QX")."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())[: CODE_LENGTH * 2]


def valid_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def clean_name(raw: str) -> str:
    """A device's name as typed: spaces collapsed; CommandError("bad_device_name") when empty, too long or odd."""
    name = " ".join(raw[: MAX_NAME * 4].split())
    if not 0 < len(name) <= MAX_NAME or not name.isprintable():
        raise CommandError("bad_device_name", 400)
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise CommandError("unknown_device_role", 400)
    return role


def device_approved(state: SiteState, site: Site, now: float, *, device: int, role: str, name: str,
                    by: str) -> list[Event]:
    """The audit of an approval (the device itself lives in the devices table; never its credential here)."""
    check_role(role)
    return [Event("device_approved", now, {"device": device, "role": role, "name": name, "by": by})]


def device_revoked(state: SiteState, site: Site, now: float, *, device: int, role: str, name: str,
                   by: str) -> list[Event]:
    """The audit of a revocation: the device's credential is refused from now on."""
    check_role(role)
    return [Event("device_revoked", now, {"device": device, "role": role, "name": name, "by": by})]


def device_handler(state: SiteState, ch: Changes, ev: Event) -> None:
    """The handler of both: the projection holds no devices (the devices table does; the log is the record)."""
