"""axe-core on the counter's pages in every language, logged in with a ticket waiting: zero moderate, serious or
critical violations (WCAG 2.2 AA tags). And the keyboard: after a command the focus is never lost to the body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.a11y_support import axe_violations, demo_server, take_ticket
from tests.conftest import shot
from tests.kiosk_support import LANGS

pytestmark = [pytest.mark.browser, pytest.mark.a11y]


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[Any]:
    yield from demo_server(tmp_path_factory, "a11y-counter")


def in_language(page: Any, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


def log_in(page: Any, server: Any, lang: str, name: str = "demo", password: str | None = None) -> None:
    """Log in from the login page in `lang` (its axe check is in test_every_counter_page_passes_axe)."""
    page.goto(server.url + f"/counter/login?lang={lang}")
    page.fill("#name", name)
    page.fill("#password", password or server.password)
    page.click("button[type=submit]")
    expect(page.locator("#counter-page")).to_have_attribute("data-state", "online")


@pytest.mark.parametrize("lang", LANGS)
def test_every_counter_page_passes_axe(browser: Any, server: Any, lang: str) -> None:
    take_ticket(server.url, "moving", lang)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    problems: dict[str, list[str]] = {}
    log_in(page, server, lang)
    page.goto(server.url + f"/counter/?lang={lang}")
    expect(page.locator("#counter-page")).to_have_attribute("data-state", "online")
    in_language(page, lang)
    expect(page.locator("#open-panel")).to_be_visible()
    problems["open-counter"] = axe_violations(page)
    page.click("#open-btn")
    expect(page.locator("#work-panel")).to_be_visible()
    expect(page.locator("#queue-list button.c-ticket").first).to_be_visible()
    problems["counter-waiting"] = axe_violations(page)
    page.locator("#queue-list button.c-ticket").first.click()
    expect(page.locator("#dlg-ticket")).to_be_visible()
    problems["ticket-dialog"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.click("#btn-call-next")
    expect(page.locator("#current-number")).not_to_have_text("—")
    problems["counter-calling"] = axe_violations(page)
    if lang in ("fr", "ar"):
        shot(page, f"a11y-counter-{lang}")
    page.click("#btn-start")
    expect(page.locator("#btn-start")).to_be_disabled()
    page.click("#btn-finish-resolved")  # leave the counter free for the next language's run
    expect(page.locator("#current-number")).to_have_text("—")
    page.click("#btn-close")
    expect(page.locator("#open-panel")).to_be_visible()
    page.goto(server.url + f"/manage/agents?lang={lang}")
    in_language(page, lang)
    problems["agents"] = axe_violations(page)
    page.goto(server.url + f"/manage/appointments?lang={lang}")
    expect(page.locator("#day")).to_be_visible()
    in_language(page, lang)
    problems["manage-appointments"] = axe_violations(page)
    ctx.close()
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(server.url + f"/manage/login?lang={lang}")
    in_language(page, lang)
    problems["manage-login"] = axe_violations(page)
    page.goto(server.url + f"/counter/login?lang={lang}")
    in_language(page, lang)
    problems["login"] = axe_violations(page)
    ctx.close()
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, f"{lang}: {bad}"


def test_the_check_counts_moderate_violations(browser: Any, server: Any) -> None:
    """axe runs for real here, moderate included: a page without a main landmark or an h1 is caught."""
    page = browser.new_page()
    page.goto(server.url + "/counter/?lang=fr")
    page.evaluate("() => { const m = document.querySelector('main'); m.replaceWith(...m.childNodes); }")
    page.evaluate("() => document.querySelector('h1').remove()")
    found = " ".join(axe_violations(page))
    page.close()
    assert "landmark-one-main" in found and "page-has-heading-one" in found and "(moderate)" in found


def test_after_calling_with_the_keyboard_the_focus_is_on_the_number(browser: Any, server: Any) -> None:
    """Enter on "Call next": the button is disabled while the call runs (and stays so), which used to drop the
    focus on the page body; it lands on the number called."""
    take_ticket(server.url, "moving", "fr")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, server, "fr", "agent", server.agent_password)
    page.click("#open-btn")
    expect(page.locator("#queue-list button.c-ticket").first).to_be_visible()
    page.focus("#btn-call-next")
    page.keyboard.press("Enter")
    expect(page.locator("#current-number")).not_to_have_text("—")
    expect(page.locator("#current-number")).to_be_focused()
    # and again for the next command done with the keyboard (the number stays the place to start from)
    page.focus("#btn-start")
    page.keyboard.press("Enter")
    expect(page.locator("#btn-start")).to_be_disabled()
    expect(page.locator("#current-number")).to_be_focused()
    page.click("#btn-finish-resolved")
    expect(page.locator("#current-number")).to_have_text("—")
    page.click("#btn-close")
    expect(page.locator("#open-panel")).to_be_visible()
    page.close()
