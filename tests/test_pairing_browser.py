"""Pairing in Debian's Chromium against a real server whose site requires it (docs/devices.md): an unpaired
browser is refused by every device page and namespace (its own websocket, and a python-socketio client); once
a technician approves its code on /manage/devices (a second browser context) or with `contactpoint device
approve`, its page goes on by itself; once revoked, its page stops and shows a new code by itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from contactpoint.pairing import COOKIE
from tests.conftest import shot
from tests.kiosk_support import axe_problems, write_site
from tests.live_server import ROOT, LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
LABELS = {"kiosk": "kiosk", "display": "waiting-room display", "counter": "counter", "feedback": "feedback tablet"}
PAGES = {"kiosk": "/kiosk/", "display": "/display/", "counter": "/counter/", "feedback": "/feedback/"}

# the page's own websocket asks for a namespace as Socket.IO does ("40/ns,") and says what the box answered:
# "40/ns,{sid}" accepted, "44/ns,{message}" refused
ASK_NAMESPACE = """ns => new Promise((resolve) => {
  const ws = new WebSocket(`ws://${location.host}/socket.io/?EIO=4&transport=websocket`);
  ws.onmessage = (e) => {
    if (e.data.startsWith("0")) ws.send(`40${ns},`);
    else if (e.data.startsWith(`40${ns},`) || e.data.startsWith(`44${ns},`)) { ws.close(); resolve(e.data); }
  };
  ws.onerror = () => resolve("error");
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[LiveServer]:
    """A real site file without [devices] (pairing required) and a technician's account."""
    from contactpoint.auth import hash_password
    from contactpoint.store import EventStore

    folder = tmp_path_factory.mktemp("pairing-browser")
    config = write_site(folder / "site")
    data = folder / "data"
    data.mkdir()
    store = EventStore(data / "contactpoint.sqlite3")
    store.add_agent("tina", hash_password(PASSWORD), "technician", 0.0)
    store.close()
    saved = os.environ.pop("CONTACTPOINT_PAIRING", None)  # the suite's first-sight, off for this server
    live = LiveServer(data, config=str(config))
    try:
        live.start()
    finally:
        if saved is not None:
            os.environ["CONTACTPOINT_PAIRING"] = saved
    yield live
    live.stop()


def code_on(page: Any) -> str:
    text = page.locator("#pairing-code").inner_text(timeout=15_000)
    assert re.fullmatch(r"[A-Z0-9]{6}", text), text
    return str(text)


def sio_connects(server: LiveServer, namespace: str, cookie: str | None) -> bool:
    client = socketio.Client(reconnection=False)  # long-polling: a refused websocket client waits 3 s to close
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    try:
        client.connect(server.url, namespaces=[namespace], headers=headers, transports=["polling"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return False
    client.disconnect()
    return True


def cookie_of(context: Any) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


def technician(browser: Any, server: LiveServer) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/manage/login?lang=en")
    page.fill("#name", "tina")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile("/manage/devices"))
    return page


def test_an_unpaired_chromium_is_refused_by_every_device_page_and_namespace(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    codes = set()
    for role, path in PAGES.items():
        resp = page.goto(server.url + path)
        assert resp is not None and resp.status == 403, path
        codes.add(code_on(page))
        assert page.locator(".pairing-role").inner_text().endswith(LABELS[role])
        answer = page.evaluate(ASK_NAMESPACE, f"/{role}")
        assert answer.startswith(f"44/{role},") and "device_not_paired" in answer, answer
        assert not sio_connects(server, f"/{role}", cookie_of(context))
        assert not sio_connects(server, f"/{role}", None)
    assert len(codes) == 1  # one browser, one code
    assert axe_problems(page) == []
    shot(page, "pairing-unpaired-feedback")
    context.close()


def test_approved_on_the_devices_page_it_goes_on_and_revoked_it_stops(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    display = context.new_page()
    display.goto(server.url + "/display/")
    code = code_on(display)
    shot(display, "pairing-display-code")
    tech = technician(browser, server)
    tech.reload()
    row = tech.locator(f"tr[data-code='{code}']")
    row.locator("select[name=role]").select_option("display")
    row.locator("input[name=name]").fill("Waiting room left")
    row.locator("button[type=submit]", has_text="Approve").click()
    tech.wait_for_url(re.compile("/manage/devices$"))
    # the display's page polls and goes on by itself: its live socket connects
    display.wait_for_function("() => window.contactpointLive && window.contactpointLive.socket.connected",
                              timeout=15_000)
    assert display.evaluate(ASK_NAMESPACE, "/display").startswith("40/display,")
    assert sio_connects(server, "/display", cookie_of(context))
    assert not sio_connects(server, "/kiosk", cookie_of(context))  # a display is no kiosk
    device_row = tech.locator("#devices tr", has_text="Waiting room left")
    # the open devices page follows by itself: connected now, then not once the display's page is closed
    tech.wait_for_function("() => document.querySelector('#devices tr[data-device] .m-connected')"
                           ".textContent.trim() === 'yes'", timeout=15_000)
    elsewhere = browser.new_context(locale="en-GB")  # a second browser opens the kiosk: a new code waits
    other = elsewhere.new_page()
    other.goto(server.url + "/kiosk/")
    other_code = code_on(other)
    tech.wait_for_selector(f"#pending tr[data-code='{other_code}']", timeout=15_000)  # the page reloaded by itself
    elsewhere.close()
    assert "yes" in device_row.locator(".m-connected").inner_text()
    assert "/display/" in device_row.inner_text() and "contactpoint 0." in device_row.inner_text()
    shot(tech, "pairing-manage-devices")
    assert axe_problems(tech) == []
    device_row.locator("button", has_text="Revoke").click()
    tech.wait_for_url(re.compile("/manage/devices$"))
    new_code = code_on(display)  # its socket was closed: the page reloads and shows a new code by itself
    assert new_code != code
    tech.reload()
    assert tech.locator(f"#pending tr[data-code='{new_code}']").count() == 1
    assert not sio_connects(server, "/display", cookie_of(context))
    tech.close()
    context.close()


def cli(server: LiveServer, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "contactpoint.provisioning.cli", "device", *args,
                           "--data", str(server.data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_approved_with_the_command_line_it_goes_on_and_revoked_it_stops(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="en-GB")
    kiosk = context.new_page()
    kiosk.goto(server.url + "/kiosk/")
    code = code_on(kiosk)

    assert "paired as kiosk" in cli(server, "approve", code.lower(), "--role", "kiosk", "--name", "Entrance")
    kiosk.wait_for_function("() => !document.getElementById('pairing-code')", timeout=15_000)
    kiosk.wait_for_function("() => window.contactpointLive && window.contactpointLive.socket.connected",
                            timeout=15_000)
    assert sio_connects(server, "/kiosk", cookie_of(context))
    assert "Entrance\tkiosk\tactive" in cli(server, "list")
    cli(server, "revoke", "Entrance")
    assert code_on(kiosk) != code  # the server's sweep closed its socket within seconds
    assert not sio_connects(server, "/kiosk", cookie_of(context))
    context.close()


def test_a_revoked_feedback_tablet_shows_its_new_code_at_the_next_tap(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    tablet = context.new_page()
    tablet.goto(server.url + "/feedback/")
    code = code_on(tablet)
    cli(server, "approve", code, "--role", "feedback", "--name", "Exit tablet")
    tablet.locator(".face").first.wait_for(timeout=15_000)
    cli(server, "revoke", "Exit tablet")
    tablet.locator(".face").first.click()  # the tap is refused (403): the page reloads into its pairing code
    assert code_on(tablet) != code
    context.close()


def test_the_server_logged_who_paired_and_revoked(server: LiveServer) -> None:
    from contactpoint.store import EventStore

    store = EventStore(Path(server.data_dir) / "contactpoint.sqlite3")
    try:
        audit = [(ev.type, ev.data["name"], ev.data["by"]) for ev in store.events() if ev.type.startswith("device_")]
    finally:
        store.close()
    assert ("device_approved", "Waiting room left", "tina") in audit
    assert ("device_revoked", "Waiting room left", "tina") in audit
    assert ("device_approved", "Entrance", "cli") in audit and ("device_revoked", "Entrance", "cli") in audit
