"""The issue's whole flow in Chromium, across three pages of one real server: a visit ends at the counter, the
visitor's phone asks how it was, the visitor answers, and the answer shows on the manager's live page without a
reload. The time from the tap to the manager's screen is printed (a figure, never an assertion: bench/ measures)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.a11y_support import take_ticket
from tests.conftest import shot
from tests.live_server import LiveServer
from tests.test_manage_browser import agent_api, manager_page, server  # noqa: F401 - the module's live server

pytestmark = pytest.mark.browser


def test_a_phone_answer_reaches_the_managers_live_page(browser: Any, server: LiveServer) -> None:  # noqa: F811
    manager = manager_page(browser, server, "/manage/today")
    expect(manager.locator("#main")).to_have_attribute("data-state", "online")
    manager.evaluate("() => { window.notReloaded = true; }")
    happy_before = int(manager.locator("#tap-4").inner_text())
    agent_page, cmd = agent_api(browser, server)
    cmd("open", counter="3", needs=["housing"])
    ticket = take_ticket(server.url, "housing", "pl")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(f"{server.url}/t/{ticket['token']}")
    expect(phone.locator("#question")).to_be_hidden()  # asked only once the visit ended
    cmd("call-next")
    cmd("finish", outcome="resolved")
    expect(phone.locator("#question")).to_be_visible()
    expect(phone.locator("#faces-question")).to_have_text("Jak oceniasz dzisiejszą wizytę?")
    tapped = time.monotonic()
    phone.click(".face-very-happy")
    expect(phone.locator("#thanks")).to_be_visible()
    expect(manager.locator("#tap-4")).to_have_text(str(happy_before + 1))
    shown = time.monotonic()
    print(f"tap on the phone → the manager's live page: {(shown - tapped) * 1000:.0f} ms")
    expect(manager.locator("#sat-csat")).not_to_have_text("—")
    assert manager.evaluate("() => window.notReloaded === true")  # pushed, not reloaded
    shot(manager, "manage-today-after-phone-answer")
    # the agent's counter page shows no rating of any kind
    assert "Very happy" not in agent_page.inner_text("body") and not agent_page.locator(".face").count()
    cmd("close")
    for p in (phone, agent_page, manager):
        p.close()
