"""The satisfaction taps in Debian's Chromium against a live box: the exit tablet (a tap is one event; 40 taps in
2 s are one; an outage never thanks for a lost tap; 10 languages pass axe-core), the phone's question after a
visit (answered once), and the agents' counter socket, which never receives a tap."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from playwright.sync_api import expect

from tests.a11y_support import axe_violations, demo_server, take_ticket
from tests.conftest import shot
from tests.feedback_support import LiveAgent, logged, post_json

pytestmark = pytest.mark.browser
LANGS = ("fr", "nl", "en", "de", "ar", "tr", "es", "ro", "pl", "pt")
CM = 96 / 2.54  # CSS pixels in a centimetre


@pytest.fixture(scope="module")
def box(tmp_path_factory: Any) -> Iterator[Any]:
    yield from demo_server(tmp_path_factory, "feedback")


def test_a_tap_on_the_tablet_is_one_event_and_a_hammering_child_is_one_answer(browser: Any, box: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(box.url + "/feedback/")
    expect(page).to_have_url(box.url + "/feedback/fr/")
    expect(page.locator("h1")).to_have_text("Comment s'est passée votre visite aujourd'hui ?")
    faces = page.locator(".face")
    expect(faces).to_have_count(4)
    for i in range(4):
        bb = faces.nth(i).bounding_box()
        assert bb["width"] >= 2 * CM and bb["height"] >= 2 * CM, bb  # targets of at least 2 cm
    assert faces.all_inner_texts() == ["Très mécontent", "Mécontent", "Content", "Très content"]
    shot(page, "feedback-question-fr")
    before = len(logged(box.data_dir, "feedback_given"))
    page.click(".face-very-happy")
    expect(page.locator("#fb-thanks")).to_be_visible()
    shot(page, "feedback-thanks-fr")
    taps = logged(box.data_dir, "feedback_given")
    assert len(taps) == before + 1
    device = page.locator("#fb").get_attribute("data-device")
    assert taps[-1] | {"seq": 0} == {"score": 4, "channel": "tablet", "need": None, "outcome": None, "ticket": None,
                                     "device": device, "seq": 0}
    expect(page.locator("#fb-question")).to_be_visible(timeout=10_000)  # the thanks return by themselves

    # a child hammering: 40 taps in 2 s on a tablet that has not answered yet, as clicks and as raw requests
    child = browser.new_page(viewport={"width": 1280, "height": 800})
    child.goto(box.url + "/feedback/nl/")
    before = len(logged(box.data_dir, "feedback_given"))
    child.evaluate("""() => new Promise((done) => {
        let n = 0;
        const t = setInterval(() => {
          const faces = document.querySelectorAll('.face');
          faces[n % 4].click();
          fetch('/feedback/api/taps', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({score: 1 + n % 4, lang: 'nl', device: 'hammered'})});
          if (++n === 40) { clearInterval(t); setTimeout(done, 300); }
        }, 50);
    })""")
    taps = logged(box.data_dir, "feedback_given")[before:]
    assert sorted(t["device"] for t in taps) == sorted([child.locator("#fb").get_attribute("data-device"),
                                                        "hammered"]), taps
    child.close()
    page.close()


def test_the_tablet_never_thanks_for_a_tap_the_box_did_not_take(browser: Any, tmp_path: Any) -> None:
    from tests.live_server import LiveServer

    data = tmp_path / "data"
    data.mkdir()
    live = LiveServer(data)
    live.start()
    try:
        page = browser.new_page()
        page.goto(live.url + "/feedback/en/")
        live.stop()
        page.click(".face-unhappy")
        expect(page.locator("#fb-error")).to_be_visible()
        expect(page.locator("#fb-error")).to_contain_text("the box does not answer")
        expect(page.locator("#fb-thanks")).to_be_hidden()
        shot(page, "feedback-offline-en")
        live.start()
        expect(page.locator("#fb-error")).to_be_hidden(timeout=15_000)  # the page found the box again by itself
        page.click(".face-unhappy")
        expect(page.locator("#fb-thanks")).to_be_visible()
        assert [t["score"] for t in logged(data, "feedback_given")] == [2]
        page.close()
    finally:
        live.stop()


@pytest.mark.parametrize("lang", LANGS)
def test_the_tablet_page_passes_axe_core_in_every_language(browser: Any, box: Any, lang: str) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(f"{box.url}/feedback/{lang}/")
    assert axe_violations(page, ("serious", "critical")) == []
    if lang in ("ar", "de"):
        shot(page, f"feedback-question-{lang}")
    page.close()


def test_the_phone_asks_once_after_the_visit_and_the_counter_never_hears_of_it(browser: Any, box: Any) -> None:
    agent = LiveAgent(box.url, "agent", box.agent_password)
    agent.cmd("open", counter="3", needs=["moving"])
    heard: list[dict[str, Any]] = []
    got = threading.Condition()
    sio = socketio.Client(reconnection=False)

    @sio.on("events", namespace="/counter")
    def events(batch: dict[str, Any]) -> None:
        with got:
            heard.append(batch)
            got.notify_all()

    sio.connect(box.url, namespaces=["/counter"], headers={"Cookie": agent.cookie()}, transports=["websocket"])
    try:
        ticket = take_ticket(box.url, "moving", "nl")
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{box.url}/t/{ticket['token']}")
        expect(page.locator("#question")).to_be_hidden()
        agent.cmd("call-next")
        agent.cmd("finish", outcome="appointment_made")
        expect(page.locator("#question")).to_be_visible()  # pushed to the phone: the visit ended
        expect(page.locator("#faces-question")).to_have_text("Hoe was uw bezoek vandaag?")
        assert axe_violations(page, ("serious", "critical")) == []
        shot(page, "feedback-phone-question-nl")
        page.click(".face-happy")
        expect(page.locator("#thanks")).to_be_visible()
        expect(page.locator("#question")).to_be_hidden()
        shot(page, "feedback-phone-thanks-nl")
        (tap,) = [t for t in logged(box.data_dir, "feedback_given") if t["channel"] == "phone"]
        assert (tap["score"], tap["need"], tap["outcome"]) == (3, "moving", "appointment_made")
        assert tap["ticket"] is not None and tap["device"] is None
        # a second answer for the same visit: refused, in the visitor's language
        status, body = post_json(f"{box.url}/t/{ticket['token']}/api/feedback", {"score": 1})
        assert (status, body["error"]) == (409, "feedback_already_given")
        assert body["message"] == "U hebt al geantwoord voor dit bezoek. Bedankt!"
        page.reload()
        expect(page.locator("#question")).to_be_hidden()
        expect(page.locator("#thanks")).to_be_visible()
        page.close()
        # the counter's socket got every seq up to the tap and past it, and never the tap itself
        take_ticket(box.url, "moving")  # an event after the tap: its batch proves the tap's seq went by
        last = logged(box.data_dir, "ticket_issued")[-1]["seq"]
        with got:
            assert got.wait_for(lambda: any(b["to"] >= last for b in heard), timeout=10)
        sent = [e for b in heard for e in b["events"]]
        assert tap["seq"] in range(heard[0]["from"], heard[-1]["to"] + 1)
        assert all(e["type"] != "feedback_given" for e in sent)
        assert "score" not in str(sent)
        assert all(b["from"] == a["to"] + 1 for a, b in zip(heard, heard[1:], strict=False))
    finally:
        sio.disconnect()
        agent.cmd("close")


def test_the_counter_page_shows_nothing_of_ratings(browser: Any, box: Any) -> None:
    post_json(box.url + "/feedback/api/taps", {"score": 1, "lang": "en", "device": "counter-check"})
    page = browser.new_page()
    page.goto(box.url + "/counter/?lang=en")
    page.fill("#name", "agent")
    page.fill("#password", box.agent_password)
    page.click("button[type=submit]")
    expect(page.locator("#counter-page")).to_have_attribute("data-state", "online")
    text = page.inner_text("body").lower()  # what the agent sees (the page's error texts ride along, unseen)
    assert "counter" in text  # the page is there
    for word in ("feedback", "satisf", "unhappy", "score", "rating", "how was your visit"):
        assert word not in text, word
    state = page.evaluate("() => fetch('/counter/api/state').then((r) => r.text())")
    assert "feedback" not in state and "score" not in state
    page.close()

