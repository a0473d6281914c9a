"""The kiosk in Debian's Chromium: a ticket in every language, check-in by keypad, scanner and slot, the display
choices, read aloud, the idle reset, closed and full states. One server per module keeps it quick."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from contactpoint.config import load_site
from tests.conftest import shot
from tests.kiosk_support import LANGS, start_live, write_site

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 1080, "height": 1920}


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("kiosk")
    live = start_live(
        folder,
        capacity=1,  # "I'm moving": one ticket a day, to see the full screen
        slots=[(5, "K7P3QX", "housing"), (10, "HX4M22", "online"), (15, "WXYZ", "money"), (20, "QQQQ", "housing")],
    )
    live.site = load_site(folder / "site" / "site.toml").site
    yield live
    live.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=PORTRAIT)
    p = ctx.new_page()
    yield p
    ctx.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_ticket_in_every_language(page: Any, server: Any, lang: str) -> None:
    from contactpoint.i18n import NATIVE_NAMES

    page.goto(server.url + "/kiosk/")
    page.get_by_role("link", name=NATIVE_NAMES[lang], exact=True).click()
    expect(page).to_have_url(server.url + f"/kiosk/{lang}/")  # the next page, not the one the click left
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    need = server.site.need("documents").name(lang)
    shot(page, f"kiosk-needs-{lang}")
    page.get_by_role("button", name=need).click()
    expect(page.locator("#ticket-number")).to_contain_text("B0")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator(".k-qr svg")).to_be_visible()
    shot(page, f"kiosk-ticket-{lang}")


def test_arabic_mirrors_the_back_arrow(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/ar/")
    transform = page.locator(".k-mirror").first.evaluate("e => getComputedStyle(e).transform")
    assert transform.startswith("matrix(-1")
    page.goto(server.url + "/kiosk/fr/")
    assert page.locator(".k-mirror").first.evaluate("e => getComputedStyle(e).transform") == "none"


def test_a_ticket_taken_with_the_keyboard_puts_the_focus_on_the_number(page: Any, server: Any) -> None:
    """A keyboard or switch user (or a screen reader) lands on their number, not on the page body."""
    page.goto(server.url + "/kiosk/nl/")
    need = page.get_by_role("button", name=server.site.need("money").name("nl"))
    need.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-number")).to_contain_text("C0")
    expect(page.locator("#ticket-number")).to_be_focused()
    page.keyboard.press("Tab")  # and the page goes on from there: the next stop is after the number
    assert page.evaluate("document.activeElement !== document.body")


def test_priority_toggle_gives_a_priority_ticket(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/fr/")
    page.locator("label[for=priority]").click()
    expect(page.locator("#priority")).to_be_checked()
    shot(page, "kiosk-priority-fr")
    page.get_by_role("button", name="Logement").click()
    expect(page.locator(".k-badge")).to_be_visible()


def test_check_in_with_the_on_screen_keypad(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/fr/")
    page.locator("a.k-appointment").click()
    expect(page.locator("#code")).to_be_focused()
    shot(page, "kiosk-appointment-fr")
    for ch in "K7P3QXX":
        page.locator(f".k-key[data-key='{ch}']").click()
    page.locator(".k-key[data-key='del']").click()
    expect(page.locator("#code")).to_have_value("K7P3QX")
    page.locator("#code-ok").click()
    expect(page.locator("#ticket-number")).to_contain_text("D0")
    expect(page.locator(".k-note")).to_be_visible()  # "your appointment at HH:MM is checked in"


def test_check_in_by_scanning_the_confirmation(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/nl/appointment")
    # a USB scanner is a keyboard: it types the QR code's text and Enter, with no click first
    page.keyboard.type("https://rdv.example.be/checkin/HX4M22\n", delay=5)
    expect(page.locator("#ticket-number")).to_contain_text("E0")


def test_check_in_by_choosing_the_slot(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/en/appointment")
    page.locator("#k-to-slots").click()
    slots = page.locator(".k-slot")
    expect(slots.first).to_be_visible()
    shot(page, "kiosk-slots-en")
    assert "Money and social help" in page.locator(".k-slots").inner_text()
    page.locator(".k-slot", has_text="Money and social help").click()
    expect(page.locator("#ticket-number")).to_contain_text("C0")


def test_an_unknown_code_is_said_plainly(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/de/appointment")
    page.keyboard.type("ZZZZ99\n")
    expect(page.locator("#code-error")).to_be_visible()
    expect(page.locator("#code")).to_be_focused()  # ready for the next scan


def test_a_double_tap_gives_one_ticket(page: Any, server: Any) -> None:
    import json

    def numbers() -> list[str]:
        with urllib.request.urlopen(server.url + "/api/state", timeout=5) as r:
            return [t["number"] for t in json.load(r)["tickets"] if t["need"] == "documents"]

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    before = numbers()
    page.goto(server.url + "/kiosk/fr/")
    # two taps 10 ms apart, the second before the box has answered the first: without a guard the browser
    # sends both and the box issues two tickets (measured here: 10 and 30 ms gave two)
    page.evaluate(
        """() => { const b = document.querySelector("button.k-need[value=documents]");
                   b.click(); setTimeout(() => b.click(), 10); }"""
    )
    expect(page.locator("#ticket-number")).to_be_visible()
    page.wait_for_load_state("load")
    assert len(posts) == 1, posts
    first = numbers()
    assert len(first) == len(before) + 1, (before, first)
    expect(page.locator("#ticket-number")).to_have_text(first[-1])
    page.go_back()  # back from the history: the form works again
    page.get_by_role("button", name=server.site.need("documents").name("fr")).click()
    expect(page.locator("#ticket-number")).not_to_have_text(first[-1])
    assert len(numbers()) == len(first) + 1


def test_display_choices_persist_for_the_visitor_and_reset_after(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/fr/")
    page.locator("#k-contrast").click()
    page.locator("#k-large").click()
    expect(page.locator("html")).to_have_class("k-contrast k-large")
    shot(page, "kiosk-needs-fr-contrast-large")
    page.locator("a.k-appointment").click()
    expect(page).to_have_url(server.url + "/kiosk/fr/appointment")  # the choices must survive the navigation
    expect(page.locator("html")).to_have_class("k-contrast k-large")
    expect(page.locator("#k-contrast")).to_have_attribute("aria-pressed", "true")
    shot(page, "kiosk-appointment-fr-contrast")
    page.locator("a[data-reset]").first.click()  # "Start again": the next visitor starts fresh
    expect(page.locator("html")).not_to_have_class("k-contrast k-large")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_low_layout_puts_every_control_in_the_lower_half(page: Any, server: Any, lang: str) -> None:
    page.goto(server.url + f"/kiosk/{lang}/")
    page.locator("#k-low").click()
    for path in (f"/kiosk/{lang}/", f"/kiosk/{lang}/appointment", "/kiosk/"):
        page.goto(server.url + path)
        expect(page.locator("html")).to_have_class("k-low")
        page.evaluate("window.scrollTo(0, 0)")
        tops = page.evaluate(
            """() => [...document.querySelectorAll('a[href], button, input, label')]
                .filter(e => e.offsetParent !== null && !e.classList.contains('k-skip'))
                .map(e => e.getBoundingClientRect().top)"""
        )
        assert tops and min(tops) >= PORTRAIT["height"] / 2 - 1, (path, min(tops))
        shot(page, f"kiosk-low-{lang}-{path.strip('/').replace('/', '-') or 'start'}")


def test_read_aloud_plays_the_screen(page: Any, server: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.url + "/kiosk/pl/")
    page.locator("#k-read").click()
    expect(page.locator("#k-read")).to_have_attribute("data-state", "playing", timeout=15_000)
    assert any("/kiosk/pl/speech?text_id=needs" in u for u in requests)


def test_read_aloud_falls_back_to_the_browsers_voice(page: Any, server: Any) -> None:
    page.route("**/speech?**", lambda route: route.fulfill(status=503, body="{}"))
    page.add_init_script(
        "window.__spoken = []; window.speechSynthesis.speak = (u) => window.__spoken.push([u.text, u.lang]);"
    )
    page.goto(server.url + "/kiosk/es/")
    page.locator("#k-read").click()
    expect(page.locator("#k-read")).to_have_attribute("data-state", "browser")
    text, lang = page.evaluate("window.__spoken[0]")
    assert lang == "es" and server.site.need("moving").name("es") in text


def test_idle_warning_then_back_to_the_first_screen(page: Any, server: Any) -> None:
    page.clock.install()
    page.goto(server.url + "/kiosk/ro/appointment")
    page.locator("#k-contrast").click()
    page.clock.fast_forward(server.site.kiosk.idle_reset_s * 1000 + 1000)
    dialog = page.locator("#k-idle")
    expect(dialog).to_be_visible()
    shot(page, "kiosk-idle-ro")
    page.locator("#k-idle-yes").click()  # still there: nothing is lost
    expect(dialog).to_be_hidden()
    assert page.url.endswith("/kiosk/ro/appointment")
    page.clock.fast_forward(server.site.kiosk.idle_reset_s * 1000 + 1000)
    expect(dialog).to_be_visible()
    homes: list[str] = []
    page.on("request", lambda r: homes.append(r.url) if r.is_navigation_request() else None)
    page.clock.run_for(21_000)
    page.wait_for_url(server.url + "/kiosk/")
    # one navigation home: a second one would abort the first and a slow box would never get there
    assert homes == [server.url + "/kiosk/"]
    expect(page.locator("html")).not_to_have_class("k-contrast")


def test_the_full_need_shows_when_to_come_back(page: Any, server: Any) -> None:
    import json

    req = urllib.request.Request(
        server.url + "/kiosk/api/tickets",
        data=json.dumps({"need": "moving", "lang": "fr"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 201
    page.goto(server.url + "/kiosk/fr/")
    page.get_by_role("button", name="Je déménage").click()
    expect(page.locator("#k-notice")).to_have_attribute("data-kind", "capacity_reached")
    shot(page, "kiosk-capacity-fr")


def test_a_closed_site_says_when_to_come_back(browser: Any, tmp_path: Path) -> None:
    tomorrow = (datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=1)).strftime("%a").lower()[:3]
    from tests.live_server import LiveServer

    config = write_site(tmp_path / "site", always_open=False, hours={tomorrow: "09:00-12:00"})
    (tmp_path / "data").mkdir()
    live = LiveServer(tmp_path / "data", config=str(config))
    live.start()
    try:
        page = browser.new_page(viewport=PORTRAIT)
        for lang in ("fr", "ar"):
            page.goto(live.url + f"/kiosk/{lang}/")
            expect(page.locator("#k-notice")).to_have_attribute("data-kind", "site_closed")
            shot(page, f"kiosk-closed-{lang}")
        page.close()
    finally:
        live.stop()


def test_the_ticket_screen_waits_while_it_is_used_and_warns_before_leaving(page: Any, server: Any) -> None:
    """It left after 45 s even while the visitor was using it: touches reset the time, and it asks first."""
    page.clock.install()
    page.goto(server.url + "/kiosk/pt/")
    page.get_by_role("button", name=server.site.need("money").name("pt")).click()
    expect(page.locator("#ticket-number")).to_be_visible()
    ticket_url = page.url
    step = (server.site.kiosk.ticket_screen_s - 10) * 1000
    for _ in range(3):  # the visitor keeps touching the screen (reading, scanning the QR code…)
        page.clock.fast_forward(step)
        page.mouse.click(5, 400)
    page.clock.run_for(1000)
    assert page.url == ticket_url
    dialog = page.locator("#k-idle")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward(server.site.kiosk.ticket_screen_s * 1000 + 1000)
    expect(dialog).to_be_visible()  # "Are you still there?", before anything happens
    shot(page, "kiosk-ticket-still-there-pt")
    page.locator("#k-idle-yes").click()
    expect(dialog).to_be_hidden()
    assert page.url == ticket_url
    page.clock.fast_forward(server.site.kiosk.ticket_screen_s * 1000 + 1000)
    expect(dialog).to_be_visible()
    page.clock.run_for(21_000)
    page.wait_for_url(server.url + "/kiosk/")


def _dispatch_scan(page: Any, keys: list[tuple[str, str, bool]]) -> None:
    """Keys as a box with the Belgian AZERTY keymap makes them from a scanner sending US key positions:
    (KeyboardEvent.key, KeyboardEvent.code, shift)."""
    page.evaluate(
        """(keys) => { for (const [key, code, shiftKey] of keys) {
             const t = document.activeElement || document.body;
             for (const type of ["keydown", "keyup"]) t.dispatchEvent(new KeyboardEvent(type,
               {key, code, shiftKey, bubbles: true, cancelable: true, composed: true}));
           } }""",
        keys,
    )


# "HX4M22" from a scanner sending US key positions, as a Belgian AZERTY box reads them: H and X are in place,
# digits come out unshifted (4 → ', 2 → é) and the US M key is Belgian "," (shifted: "?")
BELGIAN_HX4M22 = [
    ("H", "KeyH", True),
    ("X", "KeyX", True),
    ("'", "Digit4", False),
    ("?", "KeyM", True),
    ("é", "Digit2", False),
    ("é", "Digit2", False),
    ("Enter", "Enter", False),
]
# "https://rdv.example.be/checkin/K7P3QX" the same way: US shift+; (":") is Belgian M, US "/" is "=", US "." is
# ":", US A is q and Q is a, US M is ",", 7 is è and 3 is "
BELGIAN_URL = (
    [
        ("h", "KeyH", False),
        ("t", "KeyT", False),
        ("t", "KeyT", False),
        ("p", "KeyP", False),
        ("s", "KeyS", False),
        ("M", "Semicolon", True),
        ("=", "Slash", False),
        ("=", "Slash", False),
    ]
    + [(ch, f"Key{ch.upper()}", False) for ch in "rdv"]
    + [(":", "Period", False)]
    + [
        ("e", "KeyE", False),
        ("x", "KeyX", False),
        ("q", "KeyA", False),
        (",", "KeyM", False),
        ("p", "KeyP", False),
        ("l", "KeyL", False),
        ("e", "KeyE", False),
    ]
    + [(":", "Period", False), ("b", "KeyB", False), ("e", "KeyE", False), ("=", "Slash", False)]
    + [(ch, f"Key{ch.upper()}", False) for ch in "checkin"]
    + [
        ("=", "Slash", False),
        ("K", "KeyK", True),
        ("è", "Digit7", False),
        ("P", "KeyP", True),
        ('"', "Digit3", False),
        ("A", "KeyQ", True),
        ("X", "KeyX", True),
        ("Enter", "Enter", False),
    ]
)


def test_a_scanner_on_a_belgian_azerty_box_checks_in(browser: Any, tmp_path: Path) -> None:
    live = start_live(tmp_path, slots=[(5, "K7P3QX", "housing"), (10, "HX4M22", "online")])
    try:
        page = browser.new_page(viewport=PORTRAIT)
        page.goto(live.url + "/kiosk/fr/appointment")
        _dispatch_scan(page, BELGIAN_HX4M22)
        expect(page.locator("#ticket-number")).to_contain_text("E0")
        # the keypad is clicks: what it types stays as it is
        page.goto(live.url + "/kiosk/fr/appointment")
        for ch in "QA2":
            page.locator(f".k-key[data-key='{ch}']").click()
        expect(page.locator("#code")).to_have_value("QA2")
        # a scan on the needs screen starts the check-in, no tap on "I have an appointment" first
        page.goto(live.url + "/kiosk/nl/")
        _dispatch_scan(page, BELGIAN_URL)
        expect(page.locator("#ticket-number")).to_contain_text("D0")
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        page.close()
    finally:
        live.stop()


def test_a_scan_on_the_first_screen_starts_the_check_in(page: Any, server: Any) -> None:
    page.goto(server.url + "/kiosk/")
    page.keyboard.type("WXYZ\n", delay=5)  # a scanner on a US keymap: no tap first
    expect(page.locator("#ticket-number")).to_contain_text("C0")


def test_read_aloud_on_the_first_screen_says_every_language_in_its_own_voice(page: Any, server: Any) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/speech?" in r.url else None)
    page.goto(server.url + "/kiosk/")
    page.locator("#k-read").click()
    expect(page.locator("#k-read")).to_have_attribute("data-state", "done", timeout=60_000)
    langs = [u.split("/kiosk/")[1].split("/")[0] for u in asked]
    assert langs == list(server.site.languages) and all("text_id=language" in u for u in asked)


def test_read_aloud_on_the_first_screen_falls_back_to_each_language(page: Any, server: Any) -> None:
    page.route("**/speech?**", lambda route: route.fulfill(status=503, body="{}"))
    page.add_init_script(
        "window.__spoken = []; window.speechSynthesis.speak = (u) => window.__spoken.push([u.text, u.lang]);"
    )
    page.goto(server.url + "/kiosk/")
    page.locator("#k-read").click()
    expect(page.locator("#k-read")).to_have_attribute("data-state", "browser")
    spoken = page.evaluate("window.__spoken")
    assert [lang for _, lang in spoken] == list(server.site.languages)
    assert spoken[0][0].startswith("Français") and spoken[4][0].startswith("العربية")
