"""The waiting-room display in Debian's Chromium against a real server: sound, queueing, reconnecting, zones.

The server renders announcements with the real espeak-ng; Chromium runs with
--autoplay-policy=no-user-gesture-required, as the display device must (docs/display.md).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.audio import wav_stats
from playwright.sync_api import expect

from tests.a11y_support import take_ticket
from tests.conftest import caught_up, shot
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

SITE = """
[site]
id = "display-test"
name = "Point de contact Saint-Gilles"
timezone = "Europe/Brussels"
languages = ["fr", "nl", "en"]
default_language = "fr"
announcement_languages = ["fr", "nl"]
always_open = true

[queue]
require_open_counter = false  # tickets are issued before the counters open, as at the demo site

[site.message]
fr = "Bienvenue. Prenez un ticket et installez-vous, nous vous appelons par votre numéro."
nl = "Welkom. Neem een ticket en ga zitten, we roepen u af met uw nummer."
en = "Welcome. Take a ticket and have a seat, we will call your number."

[printer]
type = "fake"

[display]
min_call_seconds = 3
speech_rate = 170

[[needs]]
id = "moving"
prefix = "A"
pictogram = "moving"
names = { fr = "Je déménage", nl = "Ik verhuis", en = "I'm moving" }

[[needs]]
id = "documents"
prefix = "B"
pictogram = "id-card"
names = { fr = "Un document", nl = "Een document", en = "A document" }

[[needs]]
id = "money"
prefix = "C"
pictogram = "money"
names = { fr = "Argent et aide sociale", nl = "Geld en sociale hulp", en = "Money and social help" }

[[counters]]
id = "1"
label = "1"

[[counters]]
id = "2"
label = "2"

[[counters]]
id = "3"
label = "3"

[[zones]]
id = "ground"
name = "Rez-de-chaussée"
counters = ["1", "2"]

[[zones]]
id = "upstairs"
name = "Étage"
counters = ["3"]
"""
PASSWORD = "display-test-password"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from _server(tmp_path, SITE)


def _server(tmp_path: Path, text: str) -> Iterator[LiveServer]:
    from contactpoint.auth import hash_password
    from contactpoint.store import EventStore

    site = tmp_path / "site.toml"
    site.write_text(text)
    data = tmp_path / "data"
    data.mkdir()
    store = EventStore(data / "contactpoint.sqlite3")
    for name in ("alice", "bob", "carol"):
        store.add_agent(name, hash_password(PASSWORD), "agent", time.time())
    store.close()
    srv = LiveServer(data, config=str(site))
    srv.start()
    yield srv
    if srv.proc is not None and srv.proc.poll() is None:
        os.kill(srv.proc.pid, signal.SIGCONT)  # in case a test left it stopped
    srv.stop()


class Agent:
    """An agent's counter page spoken over HTTP (cookies + CSRF), independent of the counter page's UI."""

    def __init__(self, base: str, name: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with self.opener.open(base + "/counter/login", timeout=5) as r:  # the form's token (login CSRF)
            token = re.search(r'name="csrf_token" value="([^"]+)"', r.read().decode())
        assert token, "no login form"
        form = urllib.parse.urlencode({"name": name, "password": PASSWORD, "csrf_token": token.group(1)}).encode()
        self.opener.open(base + "/counter/login", data=form, timeout=5).close()
        with self.opener.open(base + "/counter/", timeout=5) as r:
            m = re.search(r'name="csrf-token" content="([^"]+)"', r.read().decode())
        assert m, "not logged in"
        self.csrf = m.group(1)

    def cmd(self, command: str, **body: Any) -> dict[str, Any]:
        req = urllib.request.Request(
            f"{self.base}/counter/api/{command}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf},
        )
        with self.opener.open(req, timeout=10) as r:
            return dict(json.load(r))


def open_display(browser: Any, url: str, width: int = 1920, height: int = 1080) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    expect(page.locator("#display")).to_have_attribute("data-state", "online")
    return page


def audio_log(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.contactpointAudioLog"))


def call_log(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.contactpointCallLog"))


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_a_call_is_shown_then_chime_and_announcement_play_in_order(browser: Any, server: LiveServer) -> None:
    page = open_display(browser, server.url + "/display/?lang=fr")
    wavs: list[str] = []
    page.on("request", lambda req: wavs.append(req.url) if req.url.endswith(".wav") else None)
    playlists: list[Any] = []
    page.on("response", lambda r: playlists.append(r.json()) if "/display/announcement/" in r.url else None)

    take_ticket(server.url, "moving", "en")
    take_ticket(server.url, "documents", "nl")
    take_ticket(server.url, "money", "fr")
    alice = Agent(server.url, "alice")
    alice.cmd("open", counter="2", needs=["moving", "documents", "money"])
    alice.cmd("call-next")

    expect(page.locator("#current-number")).to_have_text("A001")
    expect(page.locator("#current-counter")).to_have_text("2")
    shot(page, "display-1920-call")
    # chime, then English (the visitor's), then French and Dutch (the site's), each played to its end
    wait_for(lambda: sum(1 for e in audio_log(page) if e["end"]) >= 4, 40, "four sounds played")
    log = audio_log(page)
    assert [e["why"] for e in log] == ["ended"] * 4, log
    assert log[0]["url"].endswith("/display/audio/chime.wav")
    assert len(playlists) == 1
    urls = playlists[0]["urls"]
    assert len(urls) == 4 and urls[0] == "/display/audio/chime.wav"
    assert [e["url"] for e in log] == urls
    for a, b in zip(log, log[1:], strict=False):
        assert b["start"] >= a["end"]  # one after the other, never together
    assert {server.url + u for u in urls} <= set(wavs)  # the display fetched every file
    # every file the display fetched is a valid, audible WAV (fetched again here to measure it)
    for i, url in enumerate(urls):
        with urllib.request.urlopen(server.url + url, timeout=5) as r:
            (server.data_dir / f"fetched-{i}.wav").write_bytes(r.read())
        stats = wav_stats(server.data_dir / f"fetched-{i}.wav")
        assert stats.rms > 0.01 and stats.duration_s > 0.8, (url, stats)
    assert wav_stats(server.data_dir / "fetched-1.wav").duration_s > 1.5  # a sentence, not a blip
    assert not page.locator("#enable-sound").is_visible()

    # a recall is announced again, with its own phrase
    alice.cmd("recall")
    # (the page is asked first: Playwright delivers the response events while it talks to the page)
    wait_for(lambda: sum(1 for e in audio_log(page) if e["end"]) >= 8 and len(playlists) == 2, 40, "the recall")
    assert playlists[1]["recall"] is True and playlists[1]["urls"][1:] != urls[1:]

    # last calls, waits per need, hours and the message at both sizes; looked at by a person
    bob = Agent(server.url, "bob")
    bob.cmd("open", counter="1", needs=["documents", "money"])
    bob.cmd("call-next")
    expect(page.locator("#current-number")).to_have_text("B001", timeout=20_000)
    expect(page.locator("#last-calls li")).to_have_count(1)  # A001: the large call is not listed twice
    expect(page.locator("#waits li[data-need=money]")).to_contain_text("1")
    expect(page.locator("#hours")).not_to_be_empty()
    shot(page, "display-1920-last-calls")
    small = open_display(browser, server.url + "/display/?lang=nl", 1280, 720)
    expect(small.locator("#current-number")).to_have_text("B001")
    expect(small.locator("#site-message")).to_contain_text("Welkom")
    assert call_log(small) == []  # a page that opens late shows the calls but never replays them
    shot(small, "display-1280-nl")
    english = open_display(browser, server.url + "/display/?lang=en", 1280, 720)
    expect(english.locator("#clock")).to_have_text(re.compile(r"^\d\d:\d\d$"))  # 24-hour, as on the tickets
    english.close()
    for p in (page, small):
        box = p.locator("#current-call").bounding_box()
        vw = p.viewport_size
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= vw["width"]
        assert p.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    page.close()
    small.close()


def test_calls_in_quick_succession_are_shown_one_after_the_other(browser: Any, server: LiveServer) -> None:
    page = open_display(browser, server.url + "/display/")
    take_ticket(server.url, "moving", "fr")
    take_ticket(server.url, "documents", "nl")
    take_ticket(server.url, "money", "fr")
    agents = [Agent(server.url, n) for n in ("alice", "bob", "carol")]
    for agent, counter in zip(agents, ("1", "2", "3"), strict=True):
        agent.cmd("open", counter=counter, needs=["moving", "documents", "money"])
    for agent in agents:  # three calls within a few milliseconds
        agent.cmd("call-next")
    wait_for(lambda: sum(1 for c in call_log(page) if c["done"]) == 3, 90, "three calls announced")
    calls = call_log(page)
    assert [c["number"] for c in calls] == ["A001", "B001", "C001"]
    assert all(c["shown"] < calls[0]["done"] for c in calls)  # all on screen at once, not one after the other
    for a, b in zip(calls, calls[1:], strict=False):
        assert b["start"] >= a["done"]  # announced one after the other, never two at once
    log = audio_log(page)
    assert all(e["ok"] for e in log), log
    for a, b in zip(log, log[1:], strict=False):
        assert b["start"] >= a["end"]
    # each call's sound plays during its turn; with two calls behind it, the first says its visitor's language
    # only (not Dutch too), and the last, with nobody behind, every language; the chime only breaks the silence
    for c in calls:
        mine = [e for e in log if e["ticket"] == c["ticket"]]
        assert mine and mine[0]["start"] >= c["start"] and mine[-1]["end"] <= c["done"]
    spoken = {c["number"]: [e for e in log if e["ticket"] == c["ticket"] and not e["url"].endswith("chime.wav")]
              for c in calls}
    assert len(spoken["A001"]) == 1 and len(spoken["C001"]) == 2, spoken
    assert [e["number"] for e in log if e["url"].endswith("chime.wav")] == ["A001"]
    page.close()


def test_reconnecting_when_the_box_stops_or_vanishes_then_recovers(browser: Any, server: LiveServer) -> None:
    page = open_display(browser, server.url + "/display/", 1280, 720)
    take_ticket(server.url, "moving", "fr")
    alice = Agent(server.url, "alice")
    alice.cmd("open", counter="1", needs=["moving"])
    alice.cmd("call-next")
    expect(page.locator("#current-number")).to_have_text("A001")

    # 1. the box vanishes without closing anything (power cut, cable): only the heartbeat can tell
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGSTOP)
    t0 = time.monotonic()
    # polled every 100 ms: expect() backs off to 1 s between looks, which would add up to a second to the figure
    page.wait_for_function("() => !document.getElementById('offline').hidden", polling=100, timeout=15_000)
    vanished_s = time.monotonic() - t0
    assert not page.locator("#current-number").is_visible()  # the stale call is hidden
    shot(page, "display-1280-reconnecting")
    os.kill(server.proc.pid, signal.SIGCONT)
    expect(page.locator("#display")).to_have_attribute("data-state", "online", timeout=15_000)
    expect(page.locator("#current-number")).to_be_visible()
    assert vanished_s <= 5.5, vanished_s  # the heartbeat: an "alive?" every 1.5 s, 3 s to answer (4.5 s at most)
    print(f"\ndisplay noticed a vanished box after {vanished_s:.1f} s")

    # 2. the server stops (restart, update): noticed at once; back by itself after the restart
    server.stop()
    t0 = time.monotonic()
    expect(page.locator("#offline")).to_be_visible(timeout=10_000)
    stopped_s = time.monotonic() - t0
    server.start()
    t0 = time.monotonic()
    expect(page.locator("#display")).to_have_attribute("data-state", "online", timeout=15_000)
    back_s = time.monotonic() - t0
    expect(page.locator("#offline")).to_be_hidden()
    expect(page.locator("#current-number")).to_have_text("A001")
    print(f"display noticed a stopped server after {stopped_s:.1f} s, was back {back_s:.1f} s after it answered")
    # A001, whose sound the outage cut while its visitor was still awaited, is shown and announced once more
    wait_for(lambda: all(c["done"] for c in call_log(page)), 40, "the queue idle")
    assert 1 <= [c["number"] for c in call_log(page)].count("A001") <= 2, call_log(page)
    n_before = len(call_log(page))
    take_ticket(server.url, "moving", "fr")
    alice = Agent(server.url, "alice")
    alice.cmd("finish", outcome="resolved")
    alice.cmd("call-next")
    expect(page.locator("#current-number")).to_have_text("A002")
    assert len(call_log(page)) == n_before + 1  # the new call only: nothing replayed after the resync
    page.close()


def test_calls_made_while_the_display_was_away_are_announced_when_it_returns(browser: Any, server: LiveServer) -> None:
    """A Wi-Fi blip must not swallow a call: the visitor still waiting for it hears it when the display is back."""
    page = open_display(browser, server.url + "/display/", 1280, 720)
    # calls older than this are announced only if their visitor is still awaited (here: at once)
    page.evaluate("document.getElementById('display').dataset.freshS = '0'")
    for _ in range(3):
        take_ticket(server.url, "moving", "fr")
    alice, bob = Agent(server.url, "alice"), Agent(server.url, "bob")
    alice.cmd("open", counter="1", needs=["moving"])
    bob.cmd("open", counter="2", needs=["moving"])
    alice.cmd("call-next")  # A001, seen and announced while the display is there
    wait_for(lambda: [c["number"] for c in call_log(page) if c["done"]] == ["A001"], 30, "A001 shown")
    alice.cmd("start")
    alice.cmd("finish", outcome="resolved")

    page.evaluate("window.contactpointLive.socket.disconnect()")  # the display loses the box
    expect(page.locator("#display")).to_have_attribute("data-state", "offline")
    alice.cmd("call-next")  # A002: the visitor came to counter 1 before the display was back
    alice.cmd("start")
    bob.cmd("call-next")  # A003: still awaited at counter 2
    page.evaluate("window.contactpointLive.socket.connect()")
    expect(page.locator("#display")).to_have_attribute("data-state", "online")

    wait_for(lambda: [c["number"] for c in call_log(page) if c["done"]] == ["A001", "A003"], 30, "A003 announced")
    expect(page.locator("#current-number")).to_have_text("A003")
    expect(page.locator("#last-calls li", has_text="A002")).to_have_count(1)  # shown among the last calls
    spoken = {e["number"] for e in audio_log(page)}
    assert spoken == {"A001", "A003"}, spoken
    # a display that opens now announces nothing old
    late = open_display(browser, server.url + "/display/", 1280, 720)
    expect(late.locator("#current-number")).to_have_text("A003")
    late.wait_for_timeout(500)
    assert call_log(late) == []
    page.close()
    late.close()


def test_a_zone_display_shows_only_its_calls(browser: Any, server: LiveServer) -> None:
    ground = open_display(browser, server.url + "/display/?zone=ground&lang=fr", 1280, 720)
    upstairs = open_display(browser, server.url + "/display/?zone=upstairs&lang=fr", 1280, 720)
    take_ticket(server.url, "money", "fr")
    take_ticket(server.url, "moving", "nl")
    carol = Agent(server.url, "carol")
    carol.cmd("open", counter="3", needs=["money", "moving"])
    carol.cmd("call-next")
    expect(upstairs.locator("#current-number")).to_have_text("C001")
    alice = Agent(server.url, "alice")
    alice.cmd("open", counter="1", needs=["money", "moving"])
    alice.cmd("call-next")
    expect(ground.locator("#current-number")).to_have_text("A001")
    caught_up(ground, server.url)
    caught_up(upstairs, server.url)
    assert [c["number"] for c in call_log(ground)] == ["A001"]
    assert [c["number"] for c in call_log(upstairs)] == ["C001"]
    expect(ground.locator("#last-calls li")).to_have_count(0)  # A001 is the large call, not listed twice
    expect(ground.locator(".d-zone")).to_contain_text("Rez-de-chaussée")
    # a zone given by counters shows the waits of the needs its open counters serve, not the whole site's
    take_ticket(server.url, "documents", "fr")
    carol.cmd("finish", outcome="resolved")
    carol.cmd("close")
    expect(upstairs.locator("#waits li")).to_have_count(0)
    expect(ground.locator('#waits li[data-need="money"]')).to_have_count(1)
    expect(ground.locator('#waits li[data-need="documents"]')).to_have_count(0)
    carol.cmd("open", counter="3", needs=["documents"])
    expect(upstairs.locator('#waits li[data-need="documents"]')).to_have_count(1)
    expect(upstairs.locator('#waits li[data-need="money"]')).to_have_count(0)
    shot(upstairs, "display-1280-zone-upstairs")
    # a zone page opened now takes its calls from the zone's snapshot
    late = open_display(browser, server.url + "/display/?zone=upstairs", 1280, 720)
    expect(late.locator("#current-number")).to_have_text("C001")
    expect(late.locator("#last-calls li")).to_have_count(0)
    resp = late.goto(server.url + "/display/?zone=attic")
    assert resp is not None and resp.status == 404
    shot(late, "display-unknown-zone")
    for p in (ground, upstairs, late):
        p.close()


def playlists_of(page: Any) -> list[dict[str, Any]]:
    """Every announcement the page asked the box for, as it asked (ticket, counter, recall)."""
    return list(page.evaluate("window.askedForAudio"))


WATCH_AUDIO = """() => {
  window.askedForAudio = [];
  const real = window.fetch;
  window.fetch = (url, opts) => {
    const u = new URL(url, location.href);
    if (u.pathname.includes('/display/announcement/')) {
      window.askedForAudio.push({ ticket: u.pathname.split('/').pop(), counter: u.searchParams.get('counter'),
                                  recall: u.searchParams.get('recall') });
    }
    return real(url, opts);
  };
}"""


def test_calls_queued_when_the_connection_drops_are_all_shown_and_announced_once(
    browser: Any, server: LiveServer
) -> None:
    """Three counters call within a second; the display's socket drops and comes back while the first is on
    screen: the three are shown one after the other, each announced once (the audit saw only the first)."""
    page = open_display(browser, server.url + "/display/", 1280, 720)
    page.evaluate(WATCH_AUDIO)
    for need in ("moving", "documents", "money"):
        take_ticket(server.url, need, "fr")
    agents = [Agent(server.url, n) for n in ("alice", "bob", "carol")]
    for agent, counter in zip(agents, ("1", "2", "3"), strict=True):
        agent.cmd("open", counter=counter, needs=["moving", "documents", "money"])
    for agent in agents:
        agent.cmd("call-next")
    caught_up(page, server.url)  # the three calls reached the page: one on screen, two queued
    expect(page.locator("#current-number")).to_have_text("A001")
    page.evaluate("window.contactpointLive.socket.disconnect()")
    expect(page.locator("#display")).to_have_attribute("data-state", "offline")
    page.wait_for_timeout(500)
    page.evaluate("window.contactpointLive.socket.connect()")
    expect(page.locator("#display")).to_have_attribute("data-state", "online")
    wait_for(lambda: sum(1 for c in call_log(page) if c["done"]) >= 3, 90, "three calls shown")
    caught_up(page, server.url)
    page.wait_for_timeout(500)  # nothing more comes
    calls = call_log(page)
    assert [(c["number"], c["counter"]) for c in calls] == [("A001", "1"), ("B001", "2"), ("C001", "3")]
    for a, b in zip(calls, calls[1:], strict=False):
        assert b["start"] >= a["done"]
    asked = playlists_of(page)
    assert sorted((a["counter"], a["recall"]) for a in asked) == [("1", "0"), ("2", "0"), ("3", "0")], asked
    assert len({a["ticket"] for a in asked}) == 3  # each call's audio asked for exactly once
    chimes = [e["ticket"] for e in audio_log(page) if e["url"].endswith("/chime.wav")]
    assert chimes and chimes[0] == calls[0]["ticket"] and len(chimes) == len(set(chimes))  # never twice
    assert all(e["ok"] for e in audio_log(page)), audio_log(page)
    expect(page.locator("#current-number")).to_have_text("C001")
    expect(page.locator("#last-calls li")).to_have_count(2)
    shot(page, "display-1280-after-blip")
    page.close()


def test_a_resync_asked_for_during_a_snapshot_fetch_is_not_lost(browser: Any, server: LiveServer) -> None:
    """The socket reconnects while the page still waits for its snapshot: the page must not draw that older
    snapshot as current and say "online"; it takes another one."""
    page = open_display(browser, server.url + "/display/", 1280, 720)
    take_ticket(server.url, "moving", "fr")
    alice = Agent(server.url, "alice")
    alice.cmd("open", counter="1", needs=["moving"])
    held: list[Any] = []

    def hold(route: Any) -> None:
        if held:
            route.continue_()  # later snapshots go through
        else:
            held.append((route, route.fetch()))  # the first: the state as it is now, answered later

    page.route("**/display/state*", hold)
    page.evaluate("window.contactpointLive.socket.disconnect()")
    page.evaluate("window.contactpointLive.socket.connect()")
    page.wait_for_function("() => document.getElementById('display').dataset.state === 'syncing'")
    wait_for(lambda: page.evaluate("1") == 1 and bool(held), 10, "the snapshot request")  # (evaluate pumps events)
    # the connection drops again; a call is made meanwhile; it comes back: that first snapshot is now old
    page.evaluate("window.contactpointLive.socket.disconnect()")
    alice.cmd("call-next")
    page.evaluate("window.contactpointLive.socket.connect()")
    page.wait_for_timeout(300)
    route, old = held[0]
    route.fulfill(response=old)
    caught_up(page, server.url)
    expect(page.locator("#display")).to_have_attribute("data-state", "online")
    expect(page.locator("#current-number")).to_have_text("A001")
    page.close()


def test_tapping_enable_sound_during_an_announcement_does_not_cut_it(browser: Any, server: LiveServer) -> None:
    page = open_display(browser, server.url + "/display/", 1280, 720)
    page.evaluate(
        """() => { window.playedSrcs = [];
                   document.getElementById('speaker').addEventListener('playing',
                     (e) => window.playedSrcs.push(e.target.currentSrc)); }"""
    )
    take_ticket(server.url, "moving", "en")
    alice = Agent(server.url, "alice")
    alice.cmd("open", counter="1", needs=["moving"])
    alice.cmd("call-next")
    # the phrase in English is playing: someone taps the button (shown when a browser blocks sound)
    wait_for(
        lambda: any(not e["url"].endswith("chime.wav") and e["end"] is None for e in audio_log(page)),
        30,
        "a phrase playing",
    )
    page.evaluate("document.getElementById('enable-sound').hidden = false")
    page.click("#enable-sound")
    wait_for(lambda: sum(1 for e in audio_log(page) if e["end"]) >= 4, 40, "the whole playlist")
    log = audio_log(page)
    assert [e["why"] for e in log] == ["ended"] * 4, log
    srcs = page.evaluate("window.playedSrcs")
    assert sum(1 for u in srcs if u.endswith("chime.wav")) == 1, srcs  # the tap did not start a chime over it
    assert [u.split("/display")[1] for u in srcs] == [e["url"].split("/display")[-1] for e in log]
    page.close()


# the unit each language writes after the estimate, and never "min" where it says otherwise
UNITS = {
    "fr": "min",
    "nl": "min",
    "en": "min",
    "ar": "دقيقة",
    "tr": "dk",
    "es": "min",
    "ro": "min",
    "pl": "min",
    "pt": "min",
    "de": "Min.",
}


def site10() -> str:
    """The display test site in the 10 kiosk languages (the other languages take the English words: the figures,
    not the names, are what the tests check)."""
    langs = ", ".join(f'"{lang}"' for lang in UNITS)
    others = [lang for lang in UNITS if lang not in ("fr", "nl", "en")]
    text = SITE.replace('languages = ["fr", "nl", "en"]', f"languages = [{langs}]", 1)
    text = re.sub(
        r'en = ("[^"]*") }', lambda m: "".join(f", {o} = {m[1]}" for o in others).join(["en = " + m[1], " }"]), text
    )
    return re.sub(
        r'^en = ("[^"]*")$', lambda m: "\n".join([m[0], *(f"{o} = {m[1]}" for o in others)]), text, flags=re.M
    )


@pytest.fixture
def server10(tmp_path: Path) -> Iterator[LiveServer]:
    """The same site in the 10 kiosk languages."""
    yield from _server(tmp_path, site10())


def test_the_waits_and_the_clock_speak_the_pages_language(browser: Any, server10: LiveServer) -> None:
    server = server10
    bob = Agent(server.url, "bob")
    bob.cmd("open", counter="1", needs=["money"])
    take_ticket(server.url, "money", "fr")
    for lang, unit in UNITS.items():
        page = open_display(browser, server.url + f"/display/?lang={lang}", 1280, 720)
        figs = page.locator("#waits li[data-need=money] .figs")
        expect(figs).to_contain_text("~", timeout=10_000)
        text = figs.inner_text()
        assert re.search(r"~\d+ " + re.escape(unit) + "$", text), (lang, text)
        clock = page.locator("#clock").inner_text()
        assert re.fullmatch(r"\d\d:\d\d", clock), (lang, clock)  # 24-hour: no "ص", "AM" or "PM"
        page.close()


def _rgba(css: str) -> tuple[float, float, float, float]:
    parts = [float(x) for x in re.findall(r"[\d.]+", css)]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def _luminance(rgb: tuple[float, float, float]) -> float:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_call_flash_keeps_the_number_readable_in_every_frame(browser: Any, server: LiveServer) -> None:
    page = open_display(browser, server.url + "/display/?lang=fr")
    expect(page.locator("#idle")).to_be_visible()
    page.evaluate(
        """() => { const c = document.getElementById("current-call"); c.hidden = false;
        document.getElementById("idle").hidden = true; document.getElementById("current-number").textContent = "A001";
        c.classList.add("flash"); }"""
    )
    under = _rgba(page.evaluate("getComputedStyle(document.querySelector('.d-current')).backgroundColor"))
    ratios = []
    for t in range(0, 700, 25):  # one flash, every 25 ms
        fg_css, bg_css = page.evaluate(
            """(t) => { const c = document.getElementById("current-call"); const a = c.getAnimations()[0];
            a.pause(); a.currentTime = t;
            return [getComputedStyle(document.getElementById("current-number")).color,
                    getComputedStyle(c).backgroundColor]; }""",
            t,
        )
        fg, bg = _rgba(fg_css), _rgba(bg_css)
        seen = tuple(bg[i] * bg[3] + under[i] * (1 - bg[3]) for i in range(3))  # over the panel behind it
        lf, lb = _luminance(fg[:3]), _luminance(seen)  # type: ignore[arg-type]
        ratios.append((max(lf, lb) + 0.05) / (min(lf, lb) + 0.05))
        if t == 175:
            shot(page, "display-flash-mid")  # a quarter into the flash, where a fade is at its greyest
    assert min(ratios) >= 7, [round(r, 1) for r in ratios]
    page.close()


def test_the_next_call_shows_at_once_and_an_absent_visitors_reminder_never_plays(
    browser: Any, server: LiveServer
) -> None:
    """The issue's scenario: call, recall 2 s later, absent 1.5 s after that, call the next ticket."""
    page = open_display(browser, server.url + "/display/?lang=fr")
    take_ticket(server.url, "moving", "en")  # announced in English, then French and Dutch: about 16 s in all
    take_ticket(server.url, "moving", "fr")
    alice = Agent(server.url, "alice")
    alice.cmd("open", counter="1", needs=["moving"])
    alice.cmd("call-next")
    expect(page.locator("#current-number")).to_have_text("A001")
    time.sleep(2)
    alice.cmd("recall")
    time.sleep(1.5)
    alice.cmd("no-show")
    # the next call: on screen at once, whatever the speaker is saying (the old display held it ~17 s)
    playing = [e for e in audio_log(page) if e["end"] is None]
    alice.cmd("call-next")
    page.wait_for_function("() => document.getElementById('display').textContent.includes('A002')", polling=50)
    shown_at = next(c["shown"] for c in call_log(page) if c["number"] == "A002")
    shot(page, "display-1920-next-while-announcing")
    wait_for(
        lambda: any(e["number"] == "A002" and e["end"] and not e["url"].endswith("chime.wav") for e in audio_log(page)),
        40,
        "A002 announced",
    )
    log = audio_log(page)
    # before the sound playing at the click (if any) had ended, and before A002's own sound
    for e in playing:
        assert shown_at < next(x["end"] for x in log if x["start"] == e["start"] and x["url"] == e["url"]), (e, log)
    assert shown_at <= min(e["start"] for e in log if e["number"] == "A002")
    # the reminder for the visitor marked absent never plays
    caught_up(page, server.url)
    assert not [e for e in log if e["number"] == "A001" and e["recall"]], log
    recall = next(c for c in call_log(page) if c["number"] == "A001" and c["recall"])
    assert recall["start"] is None and recall["dropped"] == "not called", recall
    # the first call's phrases stopped when its recall came (and its sound when its visitor was marked absent)
    first = [e for e in log if e["number"] == "A001" and not e["url"].endswith("chime.wav")]
    assert 1 <= len(first) < 3, first
    for a, b in zip(log, log[1:], strict=False):
        assert b["start"] >= a["end"]  # never two sounds at once
    expect(page.locator("#current-number")).to_have_text("A002")
    page.close()
