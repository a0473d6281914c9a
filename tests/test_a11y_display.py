"""axe-core on the waiting-room display in every language: idle, one call, a backlog of calls (the ones still to
be announced marked in the list), "Reconnecting…" and the "Tap to enable sound" button: zero moderate, serious
or critical violations (WCAG 2.2 AA tags)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.a11y_support import axe_violations, take_ticket
from tests.conftest import caught_up, shot
from tests.kiosk_support import LANGS
from tests.live_server import LiveServer
from tests.test_display_browser import Agent, _server, open_display, site10

pytestmark = [pytest.mark.browser, pytest.mark.a11y]


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[LiveServer]:
    yield from _server(tmp_path_factory.mktemp("a11y-display"), site10())


def test_the_display_passes_axe_idle_then_under_a_backlog(browser: Any, server: LiveServer) -> None:
    page = open_display(browser, server.url + "/display/?lang=fr")
    expect(page.locator("#idle")).to_be_visible()
    problems = {"idle": axe_violations(page)}
    shot(page, "a11y-display-fr-idle")
    for need in ("moving", "documents", "money"):
        take_ticket(server.url, need, "ar")
    agents = [Agent(server.url, n) for n in ("alice", "bob", "carol")]
    for agent, counter in zip(agents, ("1", "2", "3"), strict=True):
        agent.cmd("open", counter=counter, needs=["moving", "documents", "money"])
    for agent in agents:
        agent.cmd("call-next")
    caught_up(page, server.url)
    expect(page.locator("#last-calls li")).to_have_count(2)
    expect(page.locator("#last-calls li[data-waiting=true]")).to_have_count(2)  # still to be announced
    expect(page.locator("#last-calls li.d-new")).to_have_count(2)
    problems["backlog"] = axe_violations(page)
    shot(page, "a11y-display-fr-backlog")
    page.evaluate("document.getElementById('enable-sound').hidden = false")
    problems["sound button"] = axe_violations(page)
    page.evaluate("window.contactpointLive.socket.disconnect()")
    expect(page.locator("#offline")).to_be_visible()
    problems["reconnecting"] = axe_violations(page)
    page.close()
    assert not any(problems.values()), problems


@pytest.mark.parametrize("lang", LANGS)
def test_the_display_passes_axe_in_every_language(browser: Any, server: LiveServer, lang: str) -> None:
    page = open_display(browser, server.url + f"/display/?lang={lang}", 1280, 720)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("#current-number")).not_to_be_empty()  # the calls of the test above
    expect(page.locator("#waits li").first).to_be_visible()
    problems = axe_violations(page)
    if lang in ("fr", "ar"):
        shot(page, f"a11y-display-{lang}")
    page.close()
    assert not problems, f"{lang}: {problems}"
