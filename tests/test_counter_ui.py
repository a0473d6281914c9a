"""The counter page's guards in Debian's Chromium: closing a colleague's counter, the transfer dialog's closed
counters, a paused counter's out-of-order call, a command the box never answers, and logging out."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import shot
from tests.live_server import ROOT
from tests.test_counter_e2e import BOB_PASSWORD, idle, log, login, open_counter, take

pytestmark = pytest.mark.browser


def add_agent(live: Any, name: str, password: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "contactpoint.provisioning.cli", "agent", "add", name, "--data", str(live.data_dir),
         "--password", password],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr


def test_closing_a_colleagues_counter_and_the_transfer_dialog(browser: Any, live: Any) -> None:
    add_agent(live, "bob", BOB_PASSWORD)
    take(live, "moving")
    take(live, "moving")
    a = browser.new_page(viewport={"width": 1280, "height": 800})
    login(a, live, "demo", live.password)
    open_counter(a, "1", ["moving"])
    b = browser.new_page(viewport={"width": 800, "height": 1280})  # a tablet in portrait
    login(b, live, "bob", BOB_PASSWORD)
    open_counter(b, "2", ["moving"])
    b.click("#btn-call-next")
    expect(b.locator("#current-number")).to_have_text("A001")

    # the transfer dialog: counter 3 is closed, listed but not choosable; counter 2 (bob) is
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A002")
    idle(a)
    a.keyboard.press("t")
    a.locator('#form-transfer input[name="kind"][value="to_counter"]').check()
    expect(a.locator('#transfer-counter option[value="3"]')).to_be_disabled()
    expect(a.locator('#transfer-counter option[value="2"]')).to_be_enabled()
    expect(a.locator("#transfer-counter")).to_have_value("2")
    shot(a, "counter-transfer-closed-counter")
    a.keyboard.press("Escape")

    # bob's tablet "dies" with A001 at his counter: demo closes counter 2 from the counters list
    b.close()
    row = a.locator('#counters-list li[data-counter="2"]')
    expect(row).to_contain_text("bob")
    expect(a.locator('#counters-list li[data-counter="1"] button')).to_have_count(0)  # not one's own
    row.locator("button.c-close-other").click()
    dlg = a.locator("#dlg-close-other")
    expect(dlg).to_be_visible()
    expect(dlg.locator("#close-other-what")).to_contain_text("2 (bob)")
    expect(dlg.locator("#close-other-visitor")).to_contain_text("A001")
    shot(a, "counter-close-other-dialog")
    dlg.locator('input[name="preset"][value=""]').check()
    a.click("#btn-close-other-go")
    expect(dlg.locator(".c-dialog-error")).to_be_visible()  # "Other" with no words: a reason is required
    a.fill("#close-other-reason", "tablet broken")
    a.click("#btn-close-other-go")
    expect(dlg).to_be_hidden()
    expect(row).to_contain_text("closed")
    expect(row.locator("button")).to_have_count(0)
    assert log(live, "counter_closed")[-1] == {"counter": "2", "cause": "colleague", "by": "demo",
                                               "reason": "tablet broken"}  # fmt: skip
    # A001 waits again, first in the queue (its original place)
    expect(a.locator("#queue-list button.c-ticket").first).to_contain_text("A001")
    shot(a, "counter-after-close-other")
    a.close()


def test_a_paused_counter_cannot_call_out_of_order(browser: Any, live: Any) -> None:
    take(live, "moving")
    take(live, "moving")
    a = browser.new_page(viewport={"width": 1280, "height": 800})
    login(a, live, "demo", live.password)
    open_counter(a, "1", ["moving"])
    idle(a)
    a.keyboard.press("p")
    a.locator('#dlg-pause input[name="preset"]').first.check()
    a.click("#btn-pause-go")
    expect(a.locator("#paused-banner")).to_be_visible()
    a.locator("#queue-list button.c-ticket", has_text="A002").click()
    expect(a.locator("#dlg-ticket")).to_be_visible()
    expect(a.locator("#btn-call-this")).to_be_disabled()
    a.keyboard.press("Escape")
    a.click("#btn-resume")
    a.locator("#queue-list button.c-ticket", has_text="A002").click()
    expect(a.locator("#btn-call-this")).to_be_enabled()
    a.close()


def test_a_command_the_box_never_answers_gives_up_and_says_so_in_the_agents_language(browser: Any, live: Any) -> None:
    take(live, "moving")
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-BE")  # a French-speaking agent
    a = ctx.new_page()
    a.goto(live.url + "/counter/")
    a.fill("#name", "demo")
    a.fill("#password", live.password)
    a.click("button[type=submit]")
    expect(a.locator("#counter-page")).to_have_attribute("data-state", "online")
    open_counter(a, "1", ["moving"])
    held: list[Any] = []
    a.route("**/counter/api/call-next", lambda route: held.append(route))  # the box vanishes mid-command
    a.click("#btn-call-next")
    expect(a.locator("#counter-page")).to_have_attribute("aria-busy", "true")
    expect(a.locator("#error")).to_have_text(
        "Le boîtier n'a pas répondu à temps. Vérifiez votre guichet avant de réessayer.", timeout=15_000
    )
    expect(a.locator("#counter-page")).to_have_attribute("aria-busy", "false")
    expect(a.locator("#btn-call-next")).to_be_enabled()  # usable again: the socket is still live
    shot(a, "counter-command-timeout-fr")
    assert len(held) == 1
    a.unroute("**/counter/api/call-next")  # the box is back
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A001")
    ctx.close()


def test_logging_out_closes_the_counter_and_the_sessions_other_tabs(browser: Any, live: Any) -> None:
    take(live, "moving")
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    a = ctx.new_page()
    login(a, live, "demo", live.password)
    open_counter(a, "1", ["moving"])
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A001")
    other = ctx.new_page()  # a second tab of the same session
    other.goto(live.url + "/counter/?lang=en")
    expect(other.locator("#counter-page")).to_have_attribute("data-state", "online")
    a.click("text=Log out")
    expect(a).to_have_url(re.compile(r"/counter/login"))
    expect(other).to_have_url(re.compile(r"/counter/login"), timeout=10_000)  # its socket was closed at once
    assert log(live, "counter_closed")[-1] == {"counter": "1", "cause": "logout", "by": "demo", "reason": None}
    assert log(live, "ticket_returned")[-1]["counter"] == "1"
    ctx.close()


def test_the_agent_sees_the_name_an_appointment_keeps(browser: Any, live: Any) -> None:
    """The manager books a "documents" appointment with the visitor's name (that need keeps names), the visitor
    checks in at the kiosk with the code, and the agent who calls them sees whom to greet."""
    import datetime as dt

    manager = browser.new_page(viewport={"width": 1280, "height": 800})
    manager.goto(live.url + "/manage/login?lang=en")
    manager.fill("#name", "demo")
    manager.fill("#password", live.password)
    manager.click("button[type=submit]")
    manager.wait_for_url(re.compile("/manage/today"))  # where a manager's login leads
    manager.goto(live.url + "/manage/appointments")
    soon = dt.datetime.now() + dt.timedelta(minutes=5)  # the demo site's time zone is the machine's here
    manager.fill("#a-date", soon.strftime("%Y-%m-%d"))
    manager.fill("#a-time", soon.strftime("%H:%M"))
    manager.select_option("#a-need", "documents")
    manager.fill("#a-code", "NAME42")
    manager.fill("#a-name", "Maria <b>Lopes</b>")
    manager.click("#a-name ~ button[type=submit]")
    expect(manager.locator("body")).to_contain_text("NAME42")

    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920})
    kiosk.goto(live.url + "/kiosk/fr/appointment")
    kiosk.fill("#code", "NAME42")
    kiosk.locator("#code-ok").click()
    expect(kiosk.locator("#ticket-number")).to_contain_text("B0")

    agent = browser.new_page(viewport={"width": 1280, "height": 800})
    login(agent, live, "demo", live.password)
    open_counter(agent, "1", ["documents"])
    expect(agent.locator("#current-name")).to_be_hidden()
    agent.click("#btn-call-next")
    expect(agent.locator("#current-name-text")).to_have_text("Maria <b>Lopes</b>")  # shown as text, never as HTML
    shot(agent, "counter-appointment-name")
    agent.reload()  # from the snapshot too, not only from the live booking event
    expect(agent.locator("#current-name-text")).to_have_text("Maria <b>Lopes</b>")
    for page in (manager, kiosk, agent):
        page.close()
