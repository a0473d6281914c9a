"""The site file's `[screen]` (which page the box's own screen shows) and `[server]` (the port the installed
service listens on) tables: read by `contactpoint provision`, which writes them into the box's systemd units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contactpoint.config_reader import _Reader

SCREEN_KEYS = ("page",)
SERVER_KEYS = ("port",)
SCREEN_PAGES = ("none", "kiosk", "display")
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class BoxSettings:
    screen: str = "none"  # the page a screen plugged into the box shows: kiosk, display or none
    port: int = DEFAULT_PORT


def parse_box(r: _Reader, data: dict[str, Any]) -> BoxSettings:
    screen = r.table(data, "screen", "screen", required=False)
    server = r.table(data, "server", "server", required=False)
    for table, keys, allowed in (("screen", screen, SCREEN_KEYS), ("server", server, SERVER_KEYS)):
        for k in keys:
            if k not in allowed:
                raise r.fail(f"{table}.{k}", f"unknown key (allowed: {', '.join(allowed)})")
    page = screen.get("page", "none")
    if page not in SCREEN_PAGES:
        raise r.fail("screen.page", f"must be one of {', '.join(SCREEN_PAGES)}, got {page!r}")
    port = server.get("port", DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
        raise r.fail("server.port", f"must be a whole number from 1024 to 65535, got {port!r}")
    return BoxSettings(screen=page, port=port)
