"""axe-core helpers for the counter page and phone pages: moderate violations count too (the kiosk's run counts
serious and critical only, `tests.kiosk_support.axe_problems`)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

from tests.kiosk_support import AXE_TAGS, load_axe

#: what must be zero on the counter page and phone pages: everything but "minor"
IMPACTS = ("moderate", "serious", "critical")


def axe_violations(page: Any, impacts: tuple[str, ...] = IMPACTS) -> list[str]:
    """axe-core's violations of the page as it is now at `impacts` (empty: none), one line each."""
    load_axe(page)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    out = []
    for v in result["violations"]:
        if v["impact"] in impacts:
            targets = [n["target"] for n in v["nodes"]][:3]
            out.append(f"{v['id']} ({v['impact']}): {v['help']} {targets}")
    return out


def take_ticket(base_url: str, need: str, lang: str = "fr") -> dict[str, Any]:
    """A ticket taken through the kiosk's API, as a visitor would (its number and phone token)."""
    req = urllib.request.Request(
        base_url + "/kiosk/api/tickets",
        data=json.dumps({"need": need, "lang": lang}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return dict(json.load(r))


def demo_server(tmp_path_factory: Any, name: str) -> Iterator[Any]:
    """The demo site served for real in a subprocess, for a module's pages (a fixture's body: `yield from`)."""
    from tests.live_server import LiveServer

    data = tmp_path_factory.mktemp(name) / "data"
    data.mkdir()
    live = LiveServer(data)
    live.start()
    yield live
    live.stop()
