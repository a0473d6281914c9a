"""In Chromium: a visitor always leaves with a number, whatever the printer does; the phone follows the ticket.

A real server (`contactpoint serve`) drives a virtual network printer (hardware/printer/tcp_sim.py) that prints,
reports paper out, refuses connections or stalls. The kiosk must show the number and a printer alert in the
visitor's language, and a logged-in counter page must show the printer alert.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.printer import decode_escpos
from contactpoint.hardware.printer.tcp_sim import VirtualNetworkPrinter
from playwright.sync_api import expect

from contactpoint.config import SAMPLE_SITE
from tests.conftest import caught_up, shot
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


def network_site(tmp_path: Path, port: int) -> Path:
    """The sample site with its [printer] table pointing at the virtual printer."""
    text = Path(SAMPLE_SITE).read_text(encoding="utf-8")
    table = f'[printer]\ntype = "network"\nhost = "127.0.0.1"\nport = {port}\ntimeout = 2.0\n'
    text, n = re.subn(r"(?ms)^\[printer\]\n.*?(?=^\[)", table + "\n", text)
    assert n == 1
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def add_agent(data_dir: Path, name: str = "ines") -> None:
    from contactpoint.auth import hash_password
    from contactpoint.store import EventStore

    store = EventStore(data_dir / "contactpoint.sqlite3")
    store.add_agent(name, hash_password(PASSWORD), "agent", time.time())
    store.close()


def login(page: Any, url: str, name: str, password: str) -> None:
    page.goto(url + "/counter/")
    if page.locator("#name").count():  # else the session survived (a restart keeps the secret key)
        page.fill("#name", name)
        page.fill("#password", password)
        page.click("button[type=submit]")
    expect(page.locator("#counter-page")).to_have_attribute("data-state", "online")


@pytest.fixture
def served(tmp_path: Path, request: Any) -> Iterator[tuple[LiveServer, VirtualNetworkPrinter]]:
    sim = VirtualNetworkPrinter(mode=request.param)
    port = sim.start()
    data = tmp_path / "data"
    data.mkdir()
    add_agent(data)
    server = LiveServer(data, config=str(network_site(tmp_path, port)))
    server.start()
    yield server, sim
    server.stop()
    sim.stop()


def take_ticket_at_the_kiosk(browser: Any, url: str) -> Any:
    kiosk = browser.new_page(viewport={"width": 1080, "height": 1920}, locale="fr-BE")
    kiosk.goto(url + "/kiosk/")
    kiosk.get_by_role("link", name="Français").click()
    kiosk.get_by_role("button", name="Je déménage").click()
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    return kiosk


@pytest.mark.parametrize("served", ["ok"], indirect=True)
def test_a_working_network_printer_prints_the_number(browser: Any, served: Any) -> None:
    server, sim = served
    counter_page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-GB")
    login(counter_page, server.url, "ines", PASSWORD)
    kiosk = take_ticket_at_the_kiosk(browser, server.url)

    def printed() -> bool:
        return "A001" in decode_escpos(sim.received).text

    end = time.monotonic() + 10
    while not printed() and time.monotonic() < end:
        time.sleep(0.05)
    assert printed(), decode_escpos(sim.received).text
    decoded = decode_escpos(sim.received)
    assert "Je déménage" in decoded.text and decoded.cut
    for page in (kiosk, counter_page):  # everything the box logged has reached both pages, and no alert among it
        caught_up(page, server.url)
        expect(page.locator("#printer-alert")).to_be_hidden()


FAILURES = {
    "paper_out": "The printer is out of paper.",
    "refuse": "The printer does not answer.",
    "stall": "The printer does not answer.",
}


@pytest.mark.parametrize("served", list(FAILURES), indirect=True)
def test_a_failing_printer_never_leaves_a_visitor_without_a_number(browser: Any, served: Any) -> None:
    server, sim = served
    mode = sim.mode
    counter_page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-GB")
    login(counter_page, server.url, "ines", PASSWORD)
    counter_page.click("#open-btn")
    expect(counter_page.locator("#work-panel")).to_be_visible()

    kiosk = take_ticket_at_the_kiosk(browser, server.url)
    alert = kiosk.locator("#printer-alert")
    expect(alert).to_be_visible(timeout=10000)
    message = kiosk.locator("#printer-live").get_attribute("data-message")
    assert message and alert.inner_text().strip() == message
    expect(kiosk.locator(".k-ticket")).to_have_class(re.compile(r"\bk-printer-down\b"))
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    expect(kiosk.locator(".k-qr svg")).to_be_visible()
    assert kiosk.locator("#ticket-number").bounding_box()["height"] > 150  # grown: the number is the ticket now
    shot(kiosk, f"kiosk-printer-{mode}")

    expect(counter_page.locator("#printer-alert")).to_be_visible(timeout=10000)
    expect(counter_page.locator("#printer-alert")).to_have_text(FAILURES[mode])
    shot(counter_page, f"counter-printer-{mode}")

    # the event names the ticket that did not print
    with urllib.request.urlopen(server.url + "/api/state", timeout=5) as r:
        assert json.load(r)["printer"] == ("printer_paper_out" if mode == "paper_out" else "printer_offline")
    assert "A001" not in decode_escpos(sim.received).text if sim.received else True

    if mode == "paper_out":  # paper back in: the poll clears the counter page's alert, and nothing reprints by itself
        sim.mode = "ok"
        expect(counter_page.locator("#printer-alert")).to_be_hidden(timeout=15000)
        assert "A001" not in decode_escpos(sim.received).text
        # an agent reprints it
        csrf = counter_page.locator('meta[name="csrf-token"]').get_attribute("content")
        tid = counter_page.evaluate("fetch('/api/state').then(r => r.json()).then(s => s.tickets[0].id)")
        status = counter_page.evaluate(
            """([csrf, tid]) => fetch('/api/print/reprint', {method: 'POST', credentials: 'same-origin',
                 headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                 body: JSON.stringify({ticket: tid})}).then(r => r.status)""",
            [csrf, tid],
        )
        assert status == 202
        end = time.monotonic() + 10
        while "A001" not in decode_escpos(sim.received).text and time.monotonic() < end:
            time.sleep(0.05)
        assert "A001" in decode_escpos(sim.received).text


# -- the phone page -------------------------------------------------------------------------------------------


def test_the_phone_follows_its_ticket_through_a_restart(browser: Any, live: Any) -> None:
    req = urllib.request.Request(
        live.url + "/kiosk/api/tickets",
        data=json.dumps({"need": "moving", "lang": "nl"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        token = json.load(r)["token"]
    phone = browser.new_page(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    phone.goto(f"{live.url}/t/{token}")
    expect(phone.locator("#phone")).to_have_attribute("data-conn", "online")
    expect(phone.locator("#ticket-number")).to_have_text("A001")
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    shot(phone, "phone-waiting")

    counter_page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-GB")
    login(counter_page, live.url, "demo", live.password)
    counter_page.click("#open-btn")
    expect(counter_page.locator("#btn-call-next")).to_be_enabled()
    counter_page.click("#btn-call-next")
    expect(phone.locator("#phone")).to_have_attribute("data-state", "called")
    expect(phone.locator("#status")).to_contain_text("1")
    expect(phone.locator("#position")).to_be_hidden()
    shot(phone, "phone-called")

    live.restart()  # the box reboots: the phone notices, reconnects, rejoins its room and resyncs
    expect(phone.locator("#offline")).to_be_hidden(timeout=15000)
    expect(phone.locator("#phone")).to_have_attribute("data-conn", "online")
    expect(phone.locator("#phone")).to_have_attribute("data-state", "called")
    login(counter_page, live.url, "demo", live.password)
    expect(counter_page.locator("#btn-start")).to_be_enabled()
    counter_page.locator("button[data-outcome]").first.click()
    expect(phone.locator("#phone")).to_have_attribute("data-state", "done")
    shot(phone, "phone-done")


def test_an_unknown_ticket_gets_a_clear_page(browser: Any, live: Any) -> None:
    phone = browser.new_page(viewport={"width": 360, "height": 640})
    resp = phone.goto(f"{live.url}/t/{'x' * 22}")
    assert resp is not None and resp.status == 404
    expect(phone.locator("h1")).to_be_visible()
    shot(phone, "phone-gone")


@pytest.mark.parametrize("served", ["refuse"], indirect=True)
def test_without_a_printed_ticket_the_screen_stays_longer(browser: Any, served: Any) -> None:
    """The ticket screen is the visitor's only ticket when the printer failed: it stays three times as long."""
    server, _ = served
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="fr-BE")
    context.clock.install()
    kiosk = context.new_page()
    kiosk.goto(server.url + "/kiosk/fr/")
    kiosk.get_by_role("button", name="Je déménage").click()
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    expect(kiosk.locator("#printer-alert")).to_be_visible(timeout=10000)
    # the alert can be in the served HTML: wait until the page's scripts have started their timers, or the
    # clock below runs before the screen's countdown exists (seen on a loaded CI machine)
    kiosk.wait_for_load_state("load")
    screen_s = 45  # [kiosk] ticket_screen_seconds of the sample site
    kiosk.clock.run_for((screen_s + 5) * 1000)
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")  # a printed ticket would have gone by now
    kiosk.clock.run_for(2 * screen_s * 1000)
    expect(kiosk.locator("#k-idle")).to_be_visible()  # "Are you still there?" first (the kiosk's idle warning)
    kiosk.clock.run_for(21_000)
    expect(kiosk.locator("#ticket-number")).to_have_count(0)  # back to the first screen for the next visitor
    context.close()
