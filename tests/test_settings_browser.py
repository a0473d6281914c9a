"""In Chromium: a manager changes a need's name and the display's message; the kiosk and the display show them
without a restart (the display without even a reload); the server restarts and they are still there; `config
export` has them. And axe-core on the settings pages in every language: no serious or critical violation."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.a11y_support import axe_violations, demo_server, take_ticket
from tests.conftest import shot
from tests.kiosk_support import LANGS
from tests.live_server import ROOT

pytestmark = [pytest.mark.browser]


def manager_login(page: Any, server: Any, lang: str = "en") -> None:
    page.goto(server.url + f"/manage/login?lang={lang}")
    page.fill("#name", "demo")
    page.fill("#password", server.password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_be_visible()


def test_a_change_in_the_browser_is_live_survives_a_restart_and_is_exported(browser: Any, live: Any) -> None:
    take_ticket(live.url, "moving", "en")  # the display lists a need's waits once someone waits for it
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    kiosk, display, manager = ctx.new_page(), ctx.new_page(), ctx.new_page()
    kiosk.goto(live.url + "/kiosk/en/")
    display.goto(live.url + "/display/?lang=en")
    expect(display.locator("#display")).to_have_attribute("data-state", "online")
    expect(display.locator("#waits")).to_contain_text("I'm moving")
    display.evaluate("window.notReloaded = true")

    manager_login(manager, live)
    manager.goto(live.url + "/manage/settings/needs/moving?lang=en")
    manager.fill("#f-names-en", "Moving house")
    manager.fill("#f-prefix", "7")  # refused next to the field, nothing saved
    manager.click("#save-need")
    expect(manager.locator("#f-prefix-error")).to_have_text("One capital letter, A to Z.")
    expect(manager.locator("#f-prefix")).to_have_attribute("aria-invalid", "true")
    shot(manager, "settings-need-error-en")
    manager.fill("#f-prefix", "A")
    manager.click("#save-need")
    expect(manager.locator(".m-flash")).to_contain_text("in force now")
    manager.fill("#f-name", "Saint-Gilles contact point")
    manager.fill("#f-message-en", "Closed on Friday afternoon")
    manager.click("#save-message")
    expect(manager.locator(".m-flash")).to_contain_text("in force now")
    shot(manager, "settings-en")

    # the display redraws from a fresh snapshot: no reload (the sound a tap enabled stays enabled)
    expect(display.locator("#site-message")).to_have_text("Closed on Friday afternoon")
    expect(display.locator("#waits")).to_contain_text("Moving house")
    expect(display.locator("#site-name")).to_have_text("Saint-Gilles contact point")
    assert display.evaluate("window.notReloaded === true")
    shot(display, "settings-display-en")
    # the kiosk resting on its services screen reloads once untouched for a few seconds
    expect(kiosk.locator(".k-needs")).to_contain_text("Moving house", timeout=20_000)
    ctx.close()

    live.restart()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(live.url + "/kiosk/en/")
    expect(page.locator(".k-needs")).to_contain_text("Moving house")
    page.goto(live.url + "/display/?lang=en")
    expect(page.locator("#site-message")).to_have_text("Closed on Friday afternoon")
    manager_login(page, live)
    page.goto(live.url + "/manage/settings/?lang=en")
    expect(page.locator("#f-message-en")).to_have_value("Closed on Friday afternoon")
    ctx.close()

    out = subprocess.run(
        [sys.executable, "-m", "contactpoint.provisioning.cli", "config", "export", "--data", str(live.data_dir)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert 'en = "Moving house"' in out and 'en = "Closed on Friday afternoon"' in out
    assert 'name = "Saint-Gilles contact point"' in out


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[Any]:
    yield from demo_server(tmp_path_factory, "a11y-settings")


@pytest.mark.a11y
@pytest.mark.parametrize("lang", LANGS)
def test_the_settings_pages_pass_axe(browser: Any, server: Any, lang: str) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    manager_login(page, server, lang)
    problems: dict[str, list[str]] = {}
    for name, path in (("settings", "/manage/settings/"), ("need", "/manage/settings/needs/moving"),
                       ("new-need", "/manage/settings/needs/new"), ("new-org", "/manage/settings/organisations/new")):
        page.goto(server.url + f"{path}?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems[name] = axe_violations(page, ("serious", "critical"))
    page.goto(server.url + f"/manage/settings/needs/moving?lang={lang}")
    page.fill("#f-prefix", "zz")
    page.fill("#f-service_level_minutes", "0")
    page.click("#save-need")
    expect(page.locator("#f-prefix-error")).to_be_visible()
    problems["need-errors"] = axe_violations(page, ("serious", "critical"))
    if lang in ("fr", "ar"):
        shot(page, f"settings-need-errors-{lang}")
    page.goto(server.url + f"/manage/agents?lang={lang}")
    problems["agents"] = axe_violations(page, ("serious", "critical"))
    ctx.close()
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, f"{lang}: {bad}"
