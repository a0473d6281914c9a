"""The site file's `[devices]` table: how the box pairs its device pages (docs/devices.md)."""

from __future__ import annotations

from typing import Any

from contactpoint.config_reader import _Reader
from contactpoint.domain.devices import MODES

DEVICES_KEYS = ("pairing",)


def parse_pairing(r: _Reader, data: dict[str, Any]) -> str:
    """`[devices] pairing`: "required" (the default: a technician approves each device) or "first-sight"."""
    d = r.table(data, "devices", "devices", required=False)
    for k in d:
        if k not in DEVICES_KEYS:
            raise r.fail(f"devices.{k}", f"unknown key (allowed: {', '.join(DEVICES_KEYS)})")
    mode = r.str_(d, "devices.pairing", "pairing", "required")
    if mode not in MODES:
        raise r.fail("devices.pairing", f"must be one of {', '.join(MODES)}, got {mode!r}")
    return mode
