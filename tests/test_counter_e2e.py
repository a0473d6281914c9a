"""The agent's whole workflow in Debian's Chromium: two counter pages (two agents) and a waiting-room display.

call next, recall, out of order with a reason, transfer with a note the other agent sees, no-show and rejoin,
each outcome (referred with its organisation and the slip), pause and resume, cancel, the help alert reaching
the other counter page and never the display, the manager page, and a server outage: actions disabled, then resync.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import caught_up, shot
from tests.live_server import ROOT

pytestmark = pytest.mark.browser


def idle(page: Any) -> None:
    """A shortcut pressed while the previous command is still on its way is ignored, as a second click would be."""
    expect(page.locator("#counter-page")).to_have_attribute("aria-busy", "false")
BOB_PASSWORD = "bob's long password"


def take(live: Any, need: str, lang: str = "fr") -> str:
    req = urllib.request.Request(
        live.url + "/kiosk/api/tickets",
        data=json.dumps({"need": need, "lang": lang}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return str(json.load(r)["number"])


def log(live: Any, typ: str) -> list[dict[str, Any]]:
    """The event log as the box wrote it (read-only)."""
    db = sqlite3.connect(f"file:{live.data_dir / 'contactpoint.sqlite3'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT data FROM events WHERE type = ? ORDER BY seq", (typ,)).fetchall()
    finally:
        db.close()
    return [json.loads(r[0]) for r in rows]


def login(page: Any, live: Any, name: str, password: str) -> None:
    page.goto(live.url + "/counter/?lang=en")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator("#counter-page")).to_have_attribute("data-state", "online")


def open_counter(page: Any, counter: str, needs: list[str] | None = None) -> None:
    page.check(f'input[name="counter"][value="{counter}"]')
    if needs is not None:
        for box in page.locator('input[name="needs"]').all():
            box.set_checked(box.get_attribute("value") in needs)
    page.click("#open-btn")
    expect(page.locator("#work-panel")).to_be_visible()


def queue_numbers(page: Any) -> list[str]:
    return [x.strip() for x in page.locator("#queue-list button.c-ticket strong").all_inner_texts()]


def test_two_counter_pages_and_a_display_through_the_whole_workflow(browser: Any, live: Any) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "contactpoint.provisioning.cli",
            "agent",
            "add",
            "bob",
            "--data",
            str(live.data_dir),
            "--password",
            BOB_PASSWORD,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    display = browser.new_page(viewport={"width": 1280, "height": 720})
    display.goto(live.url + "/display/")
    expect(display.locator("#display")).to_have_attribute("data-state", "online")
    display.evaluate(
        """() => { window.seenByDisplay = [];
                   window.contactpointLive.socket.onAny((name, batch) => window.seenByDisplay.push(batch)); }"""
    )

    numbers = [take(live, "moving") for _ in range(9)] + [take(live, "money")]
    assert numbers[0] == "A001" and numbers[-1] == "C001"

    a = browser.new_page(viewport={"width": 1280, "height": 800})
    login(a, live, "demo", live.password)
    open_counter(a, "1", ["moving", "housing"])
    b = browser.new_page(viewport={"width": 1024, "height": 600})  # a cheap 10-inch tablet, landscape
    login(b, live, "bob", BOB_PASSWORD)
    open_counter(b, "2", ["money"])

    # the queue, in the core's calling order, and who is at which counter
    expect(a.locator("#queue-list button.c-ticket")).to_have_count(9)
    state = a.request.get(live.url + "/counter/api/state").json()
    order = {t["id"]: t["number"] for t in state["tickets"]}
    mine = [order[i] for i in state["order"] if order[i].startswith("A")]
    assert queue_numbers(a) == mine
    expect(a.locator("#needs-table tr[data-need=moving] td").nth(1)).to_have_text("9")
    expect(a.locator('#counters-list li[data-counter="2"]')).to_contain_text("bob")
    shot(a, "counter-idle")

    # call next, recall
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A001")
    expect(display.locator("#current-number")).to_have_text("A001")
    expect(b.locator('#counters-list li[data-counter="1"]')).to_contain_text("A001")
    idle(a)
    a.keyboard.press("r")
    expect(a.locator("#current-info")).to_contain_text("called 2 times")
    calls = a.request.get(live.url + "/api/state").json()["calls"]
    assert calls[-1]["recall"] is True and calls[-1]["number"] == "A001"
    a.click("#btn-start")
    expect(a.locator("#current-info")).to_contain_text("being served")
    shot(a, "counter-serving")
    idle(a)
    a.keyboard.press("1")  # resolved at first line
    expect(a.locator("#current-number")).to_have_text("—")

    # finish with each other outcome; "referred" asks for the organisation and offers the slip
    for outcome in ("appointment_made", "online_help", "escalated"):
        a.click("#btn-call-next")
        expect(a.locator("#btn-finish-" + outcome)).to_be_enabled()
        a.click("#btn-finish-" + outcome)
        expect(a.locator("#current-number")).to_have_text("—")
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A005")
    idle(a)
    a.keyboard.press("2")
    dlg = a.locator("#dlg-referred")
    expect(dlg).to_be_visible()
    dlg.locator('input[value="housing-info"]').check()
    shot(a, "counter-referred")
    a.click("#btn-referred-go")
    expect(dlg.locator("#referred-done")).to_contain_text("A005")
    expect(a.locator("#btn-print-slip")).to_be_visible()
    a.click("#btn-print-slip")
    # the slip endpoint belongs to the printing service: success or its own error, never a blocked counter page
    expect(dlg.locator("#slip-result:not(:empty), .c-dialog-error:not([hidden])")).to_have_count(1)
    idle(a)
    a.keyboard.press("Escape")
    expect(dlg).to_be_hidden()
    finished = log(live, "service_finished")
    assert [f["outcome"] for f in finished] == ["resolved", "appointment_made", "online_help", "escalated", "referred"]
    assert finished[-1]["referral"] == "housing-info"

    # out of order: tap A009 in the queue, the reason is required and logged
    a.locator("#queue-list button.c-ticket", has_text="A009").click()
    expect(a.locator("#dlg-ticket")).to_be_visible()
    expect(a.locator("#call-reason")).to_be_focused()
    a.click("#btn-call-this")
    expect(a.locator("#dlg-ticket")).to_be_visible()  # the browser asks for the required reason
    a.fill("#call-reason", "pregnant, cannot stand")
    a.click("#btn-call-this")
    expect(a.locator("#dlg-ticket")).to_be_hidden()
    expect(a.locator("#current-number")).to_have_text("A009")
    # the display queues its calls (each stays on screen a few seconds): it has received this one
    display.wait_for_function("JSON.stringify(window.seenByDisplay).includes('A009')")
    called = log(live, "ticket_called")[-1]
    assert called["reason"] == "pregnant, cannot stand" and called["out_of_order"] is True

    # transfer to bob with a note: bob sees it in his queue and, prominently, when he calls it
    idle(a)
    a.keyboard.press("t")
    tdlg = a.locator("#dlg-transfer")
    expect(tdlg).to_be_visible()
    tdlg.locator('input[name="kind"][value="to_agent"]').check()
    expect(a.locator("#transfer-agent")).to_be_visible()
    a.select_option("#transfer-agent", "bob")
    a.fill("#transfer-note", "Wants to register a lease; documents checked.")
    shot(a, "counter-transfer-dialog")
    a.click("#btn-transfer-go")
    expect(tdlg).to_be_hidden()
    expect(a.locator("#current-number")).to_have_text("—")
    expect(b.locator("#queue-list button.c-ticket", has_text="A009")).to_contain_text("for bob")
    b.click("#btn-call-next")
    expect(b.locator("#current-number")).to_have_text("A009")  # placed before C001: it kept its place
    expect(b.locator("#current-note")).to_be_visible()
    expect(b.locator("#current-note")).to_contain_text("Wants to register a lease; documents checked.")
    shot(b, "counter-transferred-note")
    idle(b)
    b.keyboard.press("1")
    expect(b.locator("#current-number")).to_have_text("—")

    # no-show, then the visitor comes back within the grace window
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A006")
    idle(a)
    a.keyboard.press("a")
    expect(a.locator("#current-number")).to_have_text("—")
    absent = a.locator('#absent-list li:has-text("A006")')
    expect(absent).to_contain_text("min left to rejoin")
    absent.locator("button.c-rejoin").click()
    expect(a.locator("#absent-list li")).to_have_count(0)
    expect(a.locator("#queue-list button.c-ticket").first).to_contain_text("A006")  # its original place
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A006")
    idle(a)
    a.keyboard.press("1")

    # cancel a waiting ticket with a reason
    a.locator("#queue-list button.c-ticket", has_text="A008").click()
    a.click("#btn-cancel-ticket")
    cdlg = a.locator("#dlg-cancel")
    expect(cdlg).to_be_visible()
    a.click("#btn-cancel-go")
    expect(cdlg.locator(".c-dialog-error")).to_be_visible()  # a reason is required
    cdlg.locator('input[name="preset"]').first.check()
    a.click("#btn-cancel-go")
    expect(cdlg).to_be_hidden()
    expect(a.locator("#queue-list button.c-ticket", has_text="A008")).to_have_count(0)
    assert log(live, "ticket_cancelled")[-1]["reason"] == "Left before being called"

    # pause with a reason: call-next disabled, the other counter page sees it; resume
    idle(a)
    a.keyboard.press("p")
    pdlg = a.locator("#dlg-pause")
    expect(pdlg).to_be_visible()
    pdlg.locator('input[name="preset"][value="Lunch"]').check()
    a.click("#btn-pause-go")
    expect(a.locator("#paused-banner")).to_have_text("Paused: Lunch")
    expect(a.locator("#btn-call-next")).to_be_disabled()
    expect(b.locator('#counters-list li[data-counter="1"]')).to_contain_text("Paused: Lunch")
    idle(a)
    a.keyboard.press("p")
    expect(a.locator("#paused-banner")).to_be_hidden()
    expect(a.locator("#btn-call-next")).to_be_enabled()

    # the discreet help alert: on bob's counter page, calm; never on the waiting-room display
    a.click("#btn-call-next")
    expect(a.locator("#current-number")).to_have_text("A007")
    idle(a)
    a.keyboard.press("h")
    expect(a.locator("#help-mine")).to_be_visible()
    expect(b.locator("#help-alert")).to_be_visible()
    expect(b.locator("#help-alert")).to_contain_text("1 (demo) asks for a colleague now.")
    expect(b.locator('#counters-list li[data-counter="1"]')).to_have_class("c-help")
    shot(b, "counter-help-alert-other")
    shot(a, "counter-help-requested")
    caught_up(display, live.url)  # the help alert is in the log: the display has had every event up to it
    seen = json.dumps(display.evaluate("window.seenByDisplay"))
    assert "help_requested" not in seen and "demo" not in seen
    assert "colleague" not in display.inner_text("body")
    assert "A007" in seen  # the display did receive that period's calls
    a.click("#btn-help-clear")
    expect(b.locator("#help-alert")).to_be_hidden()
    expect(a.locator("#help-mine")).to_be_hidden()

    # tablet portrait
    b.set_viewport_size({"width": 800, "height": 1280})
    expect(b.locator("#btn-call-next")).to_be_visible()
    shot(b, "counter-tablet-portrait")
    for el in b.locator("button:visible").all():
        box = el.bounding_box()
        assert box is None or box["height"] >= 44, (el.inner_text(), box)

    # the box goes away: the counter page says so and disables every action; back: resync
    live.stop()
    expect(a.locator("#offline")).to_be_visible(timeout=10_000)
    expect(a.locator("#counter-page")).to_have_attribute("data-state", "offline")
    for sel in ("#btn-call-next", "#btn-recall", "#btn-finish-resolved", "#btn-help", "#btn-transfer"):
        expect(a.locator(sel)).to_be_disabled()
    shot(a, "counter-offline")
    live.start()
    # bob's session survives the restart and resyncs by itself
    expect(b.locator("#counter-page")).to_have_attribute("data-state", "online", timeout=15_000)
    # the demo agent's password is new at every start ("for this run only"): its counter page goes to the login page
    expect(a).to_have_url(re.compile(r"/counter/login"), timeout=15_000)
    login(a, live, "demo", live.password)
    expect(a.locator("#counter-page")).to_have_attribute("data-state", "online", timeout=15_000)
    expect(a.locator("#offline")).to_be_hidden()
    expect(a.locator("#current-number")).to_have_text("A007")  # resynced: still at the counter
    expect(a.locator("#btn-finish-resolved")).to_be_enabled()
    take(live, "moving")  # a ticket issued after the outage reaches the counter page
    expect(a.locator("#queue-list button.c-ticket", has_text="A010")).to_be_visible()
    a.click("#btn-finish-resolved")
    expect(a.locator("#current-number")).to_have_text("—")
    for p in (a, b, display):
        p.close()


def test_the_manager_page_creates_an_account_that_logs_in_and_is_disabled(browser: Any, live: Any) -> None:
    m = browser.new_page(viewport={"width": 1280, "height": 800})
    login(m, live, "demo", live.password)
    m.click("text=Agents")
    m.fill("#new-name", "carla")
    m.click("#create-btn")
    password = m.locator("#new-password").inner_text()
    shot(m, "counter-agents-page")
    c = browser.new_page(viewport={"width": 1024, "height": 600})
    login(c, live, "carla", password)
    open_counter(c, "3", ["money"])
    m.reload()
    expect(m.locator("#new-password")).to_have_count(0)
    m.locator('tr[data-agent="carla"]').get_by_role("button", name="Disable").click()
    expect(m.locator('tr[data-agent="carla"]')).to_contain_text("disabled")
    # carla's socket is closed at once and her counter page goes to the login page by itself; her counter is closed
    expect(c).to_have_url(re.compile(r"/counter/login"), timeout=10_000)
    expect(c.locator("#password")).to_be_visible()
    expect(m.locator('tr[data-agent="carla"] td').nth(3)).to_have_text("—")
    closed = log(live, "counter_closed")[-1]
    assert closed == {"counter": "3", "cause": "disabled", "by": "demo", "reason": None}
    m.close()
    c.close()
