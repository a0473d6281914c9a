"""The spine end to end in Debian's Chromium: kiosk → counter page → display, through a server restart."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import shot

pytestmark = pytest.mark.browser


def login(page: Any, live: Any) -> None:
    page.goto(live.url + "/counter/")
    page.fill("#name", "demo")
    page.fill("#password", live.password)
    page.click("button[type=submit]")
    expect(page.locator("#counter-page")).to_have_attribute("data-state", "online")


def take_ticket_over_http(live: Any, need: str) -> str:
    req = urllib.request.Request(
        live.url + "/kiosk/api/tickets",
        data=json.dumps({"need": need, "lang": "nl"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return str(json.load(r)["number"])


def test_kiosk_counter_display_and_recovery_after_a_restart(browser: Any, live: Any) -> None:
    with urllib.request.urlopen(live.url + "/api/health", timeout=5) as r:
        assert json.load(r)["server"] == "gevent"  # what `contactpoint demo` runs (docs/performance.md)
    display = browser.new_page(viewport={"width": 1280, "height": 720})
    display.goto(live.url + "/display/")
    expect(display.locator("#display")).to_have_attribute("data-state", "online")

    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920})
    kiosk.goto(live.url + "/kiosk/")
    shot(kiosk, "kiosk-languages")
    kiosk.get_by_role("link", name="Français").click()
    shot(kiosk, "kiosk-needs-fr")
    kiosk.get_by_role("button", name="Je déménage").click()
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    shot(kiosk, "kiosk-ticket-fr")

    counter_page = browser.new_page(viewport={"width": 1280, "height": 800})
    login(counter_page, live)
    counter_page.click("#open-btn")
    expect(counter_page.locator("#work-panel")).to_be_visible()
    expect(counter_page.locator("#btn-call-next")).to_be_enabled()
    counter_page.click("#btn-call-next")
    expect(counter_page.locator("#current-number")).to_have_text("A001")

    expect(display.locator("#current-number")).to_have_text("A001")
    expect(display.locator("#current-counter")).to_have_text("1")
    shot(display, "display-call")
    shot(counter_page, "counter-serving")
    counter_page.click("#btn-finish-resolved")
    expect(counter_page.locator("#current-number")).to_have_text("—")

    # the box restarts: the display says it is reconnecting, then recovers by itself
    live.stop()
    expect(display.locator("#offline")).to_be_visible(timeout=10_000)
    expect(counter_page.locator("#offline")).to_be_visible(timeout=10_000)
    expect(counter_page.locator("#btn-call-next")).to_be_disabled()
    shot(display, "display-reconnecting")
    live.start()
    expect(display.locator("#display")).to_have_attribute("data-state", "online", timeout=15_000)
    expect(display.locator("#offline")).to_be_hidden()
    expect(display.locator("#current-number")).to_have_text("A001")  # the last call, from the snapshot

    number = take_ticket_over_http(live, "moving")
    assert number == "A002"  # numbering resumed after the restart
    # the demo's login is for one run only: the counter page goes to the login page by itself, not "offline" forever
    expect(counter_page).to_have_url(re.compile(r"/counter/login"), timeout=15_000)
    login(counter_page, live)  # the new run's password
    expect(counter_page.locator("#current-number")).to_have_text("—")
    expect(counter_page.locator("#btn-call-next")).to_be_enabled()
    counter_page.keyboard.press("n")  # the documented shortcut
    # the display may still be announcing A001 (chime, then French, then Dutch: ~10 s) when a fast restart is
    # over: A002 waits for its turn, never overlapping; 30 s bounds any one announcement
    expect(display.locator("#current-number")).to_have_text("A002", timeout=30_000)
    expect(counter_page.locator("#current-number")).to_have_text("A002")
    display.close()
    kiosk.close()
    counter_page.close()
