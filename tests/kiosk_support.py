"""Helpers for the kiosk's tests: a site file made from the sample with a few changes, apps and live servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contactpoint.config import SAMPLE_SITE

LANGS = ("fr", "nl", "en", "de", "ar", "tr", "es", "ro", "pl", "pt")


def site_text(
    *,
    always_open: bool = True,
    rate_limit: str = "1000 per minute",
    capacity: int | None = None,
    hours: dict[str, str] | None = None,
    idle_reset_s: int = 90,
) -> str:
    text = SAMPLE_SITE.read_text()
    text = text.replace("always_open = true", f"always_open = {'true' if always_open else 'false'}")
    text = text.replace('rate_limit = "30 per minute"', f'rate_limit = "{rate_limit}"')
    text = text.replace("idle_reset_seconds = 90", f"idle_reset_seconds = {idle_reset_s}")
    if capacity is not None:  # on the first need ("I'm moving")
        text = text.replace('prefix = "A"\n', f'prefix = "A"\ncapacity = {capacity}\n', 1)
    if hours is not None:
        start, end = text.index("[hours]\n"), text.index("[queue]")
        body = "".join(f'{day} = ["{span}"]\n' for day, span in hours.items())
        text = text[:start] + "[hours]\n" + body + "\n" + text[end:]
    return text


def write_site(folder: Path, **kw: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "site.toml"
    path.write_text(site_text(**kw))
    return path


def make_app(tmp_path: Path, clock: Any, *, config: dict[str, Any] | None = None, **site: Any) -> Any:
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app

    cfg = {"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "test"}
    cfg["SITE_CONFIG"] = str(write_site(tmp_path / "site", **site))
    cfg.update(config or {})
    app = create_app(cfg, printer=FakePrinter(), clock=clock)
    app.extensions["contactpoint"].start()
    return app


def close_app(app: Any) -> None:
    """Stop the box's background services and close its store (every app a test starts, it closes)."""
    app.extensions["contactpoint"].close()


def book(app: Any, slot_at: float, code: str, need: str = "moving", name: str | None = None) -> str:
    from contactpoint import appointments_import as imp

    with app.test_request_context():
        return imp.book(app.extensions["contactpoint"].engine, slot_at=slot_at, need=need, code=code, name=name)


# -- browser: a live server on a site file, with appointments booked before it starts ----------------------
def start_live(folder: Path, *, slots: list[tuple[int, str, str]] | None = None, **site: Any) -> Any:
    """A LiveServer for a site made by `site_text(**site)`; `slots` = [(minutes from now, code, need)]."""
    import time

    from tests.live_server import LiveServer

    config = write_site(folder / "site", **site)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    if slots:
        from contactpoint.hardware.printer import FakePrinter

        from contactpoint import create_app

        app = create_app({"SITE_CONFIG": str(config), "DATA_DIR": str(data)}, printer=FakePrinter())
        now = time.time()
        for minutes, code, need in slots:
            book(app, now + minutes * 60, code, need)
        close_app(app)
    server = LiveServer(data, config=str(config))
    server.start()
    return server


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def load_axe(page: Any) -> None:
    """Put axe-core in the page. Not as a <script> tag (`add_script_tag` inlines it, which the box's
    Content-Security-Policy refuses, and the browser guard would fail the test): as the body of a function
    Playwright runs through the DevTools protocol, which page policies do not govern."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate("() => {\n" + AXE.read_text() + "\n;window.axe = window.axe || axe;\n}")


def add_test_style(page: Any, css: str) -> None:
    """Lay a test's own CSS over the page as a constructed style sheet (the CSSOM, which the page's
    Content-Security-Policy allows), not as an inline <style> (`add_style_tag`), which it refuses."""
    page.evaluate(
        "css => { const s = new CSSStyleSheet(); s.replaceSync(css);"
        " document.adoptedStyleSheets = [...document.adoptedStyleSheets, s]; }",
        css,
    )


def axe_problems(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now (empty: none)."""
    load_axe(page)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    out = []
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in v["nodes"]][:3]
            out.append(f"{v['id']} ({v['impact']}): {v['help']} {targets}")
    return out
