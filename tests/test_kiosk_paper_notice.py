"""In Chromium: the kiosk says the printer is out of paper on its first two screens, before the visitor chooses a
need, live as the printer's status changes, in every language of the site on the first screen (the visitor has not
chosen one yet) and in theirs on the needs screen; and that they will get their number on the screen and phone.

A real server drives the virtual network printer (hardware/printer/tcp_sim.py): it prints, then reports paper out,
then prints again, and the box's status poll turns each change into a printer_status event the kiosk receives
over Socket.IO.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.printer.tcp_sim import VirtualNetworkPrinter
from playwright.sync_api import expect

from tests.a11y_support import axe_violations
from tests.conftest import caught_up, shot
from tests.kiosk_support import LANGS
from tests.live_server import LiveServer
from tests.test_kiosk_layout import CHECK, VIEWPORTS
from tests.test_printing_browser import network_site

pytestmark = pytest.mark.browser
POLL_MS = 20_000  # the box polls the printer every 5 s; a slow shared machine gets room

PAPER_OUT = {
    "fr": "L'imprimante n'a plus de papier : vous recevrez votre numéro sur cet écran et sur votre téléphone.",
    "en": "The printer is out of paper: you will get your number on this screen and on your phone.",
    "ar": "نفد الورق من الطابعة: ستحصل على رقمك على هذه الشاشة وعلى هاتفك.",
    "nl": "De printer heeft geen papier meer: u krijgt uw nummer op dit scherm en op uw gsm.",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: Any) -> Iterator[tuple[LiveServer, VirtualNetworkPrinter]]:
    tmp = Path(tmp_path_factory.mktemp("paper"))
    sim = VirtualNetworkPrinter(mode="ok")
    port = sim.start()
    (tmp / "data").mkdir()
    server = LiveServer(tmp / "data", config=str(network_site(tmp, port)))
    server.start()
    yield server, sim
    server.stop()
    sim.stop()


def test_the_first_screens_say_the_printer_is_out_of_paper_live(browser: Any, served: Any) -> None:
    server, sim = served
    ctx = browser.new_context(viewport=VIEWPORTS["portrait"])
    first, needs = ctx.new_page(), ctx.new_page()
    first.goto(server.url + "/kiosk/")
    needs.goto(server.url + "/kiosk/ar/")
    for page in (first, needs):
        caught_up(page, server.url)
        expect(page.locator("#paper-notice")).to_be_hidden()  # the printer prints: nothing to say

    sim.mode = "paper_out"  # while both screens are shown
    notice = first.locator("#paper-notice")
    expect(notice).to_be_visible(timeout=POLL_MS)
    lines = notice.locator("li")
    expect(lines).to_have_count(len(LANGS))  # every language of the site: the visitor has not chosen yet
    for lang, text in PAPER_OUT.items():
        expect(notice.locator(f'li[lang="{lang}"]')).to_have_text(text)
    expect(notice.locator('li[lang="ar"]')).to_have_attribute("dir", "rtl")
    expect(needs.locator("#paper-notice")).to_be_visible(timeout=POLL_MS)
    expect(needs.locator("#paper-notice li")).to_have_count(1)
    expect(needs.locator("#paper-notice li")).to_have_text(PAPER_OUT["ar"])
    # the notice is before the choice: above the languages, above the needs
    assert notice.bounding_box()["y"] < first.locator(".k-lang").first.bounding_box()["y"]
    box = needs.locator("#paper-notice").bounding_box()
    assert box["y"] < needs.locator("button.k-need").first.bounding_box()["y"]
    shot(first, "kiosk-paper-out-languages")
    shot(needs, "kiosk-paper-out-needs-ar")

    # a screen opened while the paper is out says it from the start (rendered by the box, before any script)
    later = ctx.new_page()
    later.route("**/printer-notice.js", lambda route: route.abort())
    later.goto(server.url + "/kiosk/fr/")
    expect(later.locator("#paper-notice li")).to_have_text(PAPER_OUT["fr"])
    later.close()

    sim.mode = "ok"  # paper back in: the notices go
    expect(notice).to_be_hidden(timeout=POLL_MS)
    expect(needs.locator("#paper-notice")).to_be_hidden(timeout=POLL_MS)
    ctx.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_with_the_notice_every_control_is_uncovered_and_axe_passes(browser: Any, served: Any, viewport: str) -> None:
    server, sim = served
    sim.mode = "paper_out"
    problems: list[str] = []
    try:
        for prefs in ("{}", '{"large": true}', '{"large": true, "low": true}', '{"contrast": true}'):
            ctx = browser.new_context(viewport=VIEWPORTS[viewport])
            ctx.add_init_script(f"try {{ sessionStorage.setItem('kiosk-prefs', '{prefs}') }} catch (e) {{}}")
            page = ctx.new_page()
            for name, path in (("languages", "/kiosk/"), ("needs-fr", "/kiosk/fr/"), ("needs-ar", "/kiosk/ar/")):
                page.goto(server.url + path)
                expect(page.locator("#paper-notice")).to_be_visible(timeout=POLL_MS)
                where = f"{viewport} {prefs} {path}"
                result = page.evaluate(CHECK, False)
                problems += [f"{where}: {b}" for b in result["bad"]]
                if result["pageScrolls"] or result["mainScrolls"]:
                    problems.append(f"{where}: scrolls")
                problems += [f"{where}: {v}" for v in axe_violations(page)]
                if prefs in ("{}", '{"large": true, "low": true}'):
                    shot(page, f"kiosk-paper-out-{viewport}-{'plain' if prefs == '{}' else 'large-low'}-{name}")
            ctx.close()
    finally:
        sim.mode = "ok"
    assert not problems, "\n".join(problems)
