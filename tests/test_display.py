"""The display's server side: announcement playlists, audio serving, zones, hours (Flask test client)."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.audio import VOICES, FakeAnnouncer, chime_path, wav_stats

from contactpoint import create_app
from contactpoint.announce import languages, phrase, spoken_number, voices_for_site
from tests.conftest import AuthActions, Clock

ZONED_SITE = """
[site]
id = "zoned"
name = "Zoned site"
timezone = "Europe/Brussels"
languages = ["fr", "nl", "en"]
default_language = "fr"
announcement_languages = ["fr", "nl"]
always_open = true

[queue]
require_open_counter = false  # tickets are issued before the counters open, as at the demo site

[site.message]
fr = "Bienvenue au rez-de-chaussée."
en = "Welcome downstairs."

[printer]
type = "fake"

[[needs]]
id = "moving"
prefix = "A"
pictogram = "moving"
names = { fr = "Je déménage", nl = "Ik verhuis", en = "I'm moving" }

[[needs]]
id = "money"
prefix = "C"
pictogram = "money"
names = { fr = "Argent", nl = "Geld", en = "Money" }

[[counters]]
id = "1"
label = "1"

[[counters]]
id = "2"
label = "2"

[[counters]]
id = "up"
label = "12"

[[zones]]
id = "ground"
name = "Rez-de-chaussée"
counters = ["1", "2"]

[[zones]]
id = "upstairs"
name = "Étage"
needs = ["money"]
counters = ["up"]
"""


def make_app(tmp_path: Path, clock: Clock, announcer: Any, site_text: str | None = None) -> Any:
    from contactpoint.hardware.printer import FakePrinter

    config: dict[str, Any] = {"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "test"}
    if site_text is not None:
        site_file = tmp_path / "site.toml"
        site_file.write_text(site_text)
        config["SITE_CONFIG"] = str(site_file)
    app = create_app(config, printer=FakePrinter(), clock=clock, announcer=announcer)
    app.extensions["contactpoint"].start()
    return app


def close_app(app: Any) -> None:
    app.extensions["contactpoint"].close()


@pytest.fixture
def fake(tmp_path: Path) -> FakeAnnouncer:
    return FakeAnnouncer(tmp_path / "audio")


@pytest.fixture
def zoned(tmp_path: Path, clock: Clock, fake: FakeAnnouncer) -> Iterator[Any]:
    app = make_app(tmp_path, clock, fake, ZONED_SITE)
    yield app
    close_app(app)


@pytest.fixture
def fake_app(tmp_path: Path, clock: Clock, fake: FakeAnnouncer) -> Iterator[Any]:
    app = make_app(tmp_path, clock, fake)
    yield app
    close_app(app)


def issue(app: Any, need: str, lang: str) -> Any:
    return app.extensions["contactpoint"].engine.issue(need=need, lang=lang)


def call(app: Any, who: AuthActions, counter: str, needs: list[str], name: str) -> dict[str, Any]:
    who.login(name)
    assert who.cmd("open", counter=counter, needs=needs).status_code == 200
    r = who.cmd("call-next")
    assert r.status_code == 200, r.get_json()
    return dict(r.get_json())


# -- phrases ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "spoken"), [("A042", "A, 42"), ("B001", "B, 1"), ("C100", "C, 100"), ("007", "7"), ("X-1", "X-1")]
)
def test_numbers_are_spoken_as_letter_then_integer(number: str, spoken: str) -> None:
    assert spoken_number(number) == spoken


# the words each language's phrase must hold (besides the number and the counter), from its catalogue
SAID = {
    "en": ("Ticket A, 42, please go to counter 7.", "Reminder"),
    "fr": ("guichet", "Rappel"),
    "nl": ("loket", "Nogmaals"),
    "de": ("Schalter", "Noch einmal"),
    "ar": ("الشباك", "تذكير"),
    "tr": ("gişeye", "Hatırlatma"),
    "es": ("ventanilla", "Repetimos"),
    "ro": ("ghișeul", "Reamintire"),
    "pl": ("stanowiska", "Przypomnienie"),
    "pt": ("balcão", "Lembrete"),
}


def test_phrases_are_translated_strings_with_placeholders(fake_app: Any) -> None:
    from flask_babel import force_locale

    LANGUAGES = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "locales").iterdir() if p.is_dir())
    assert set(SAID) == set(LANGUAGES) and len(LANGUAGES) == 10
    calls, recalls = {}, {}
    for lang in LANGUAGES:
        with fake_app.app_context(), force_locale(lang):
            calls[lang] = phrase("A042", "7")
            recalls[lang] = phrase("A042", "7", recall=True)
    assert calls["en"] == SAID["en"][0]
    for lang, (word, reminder) in SAID.items():
        for text in (calls[lang], recalls[lang]):
            assert "A, 42" in text and "7" in text and "%(" not in text, (lang, text)
        if lang != "en":
            assert word in calls[lang] and calls[lang] != calls["en"], (lang, calls[lang])
        assert reminder in recalls[lang] and recalls[lang] != calls[lang], (lang, recalls[lang])
    assert len(set(calls.values())) == len(LANGUAGES)  # each language its own sentence


def test_languages_visitor_first_then_announcement_languages_once(site: Any) -> None:
    voices = voices_for_site(site)
    assert site.announcement_languages == ("fr", "nl")
    assert languages(site, "ar", voices) == ["ar", "fr", "nl"]
    assert languages(site, "nl", voices) == ["nl", "fr"]
    assert languages(site, "fr", voices) == ["fr", "nl"]
    assert languages(site, "xx", voices) == ["fr", "nl"]  # no voice: skipped, never an error
    assert languages(site, None, voices) == ["fr", "nl"]


def test_belgian_sites_speak_belgian_french(site: Any) -> None:
    assert voices_for_site(site)["fr"] == "fr-be"
    assert {k: v for k, v in voices_for_site(site).items() if k != "fr"} == {
        k: v for k, v in VOICES.items() if k != "fr"
    }


# -- the announcement endpoint --------------------------------------------------------------------------------
def test_announcement_is_chime_then_visitor_language_then_site_languages(fake_app: Any, fake: FakeAnnouncer) -> None:
    client, who = fake_app.test_client(), AuthActions(fake_app, fake_app.test_client())
    t = issue(fake_app, "moving", "en")
    call(fake_app, who, "1", ["moving"], "alice")
    body = client.get(f"/display/announcement/{t.id}").get_json()
    assert body["urls"][0] == "/display/audio/chime.wav"
    assert len(body["urls"]) == 4 and body["complete"] is True  # chime, en, fr, nl
    said = [lang for _, lang in fake.rendered]
    assert said[:3] == ["en", "fr", "nl"]
    texts = {lang: text for text, lang in fake.rendered}
    assert texts["en"] == "Ticket A, 1, please go to counter 1."
    # each URL serves the WAV rendered for that language, in that order
    cache = Path(fake.cache_dir)
    for url, lang in zip(body["urls"][1:], ["en", "fr", "nl"], strict=True):
        name = url.rsplit("/", 1)[1]
        assert (cache / name) == fake.render(texts[lang], lang)
        r = client.get(url)
        assert r.status_code == 200 and r.mimetype == "audio/wav"
        assert "immutable" in r.headers["Cache-Control"]
        (cache / "fetched.wav").write_bytes(r.data)
        assert wav_stats(cache / "fetched.wav").rms > 0.05
        r.close()


def test_visitor_language_among_announcement_languages_is_said_once(fake_app: Any, fake: FakeAnnouncer) -> None:
    who = AuthActions(fake_app, fake_app.test_client())
    t = issue(fake_app, "moving", "nl")
    call(fake_app, who, "1", ["moving"], "alice")
    body = fake_app.test_client().get(f"/display/announcement/{t.id}").get_json()
    assert len(body["urls"]) == 3  # chime, nl, fr
    assert [lang for _, lang in fake.rendered][:2] == ["nl", "fr"]


def test_recall_has_its_own_phrase(fake_app: Any, fake: FakeAnnouncer) -> None:
    who = AuthActions(fake_app, fake_app.test_client())
    t = issue(fake_app, "moving", "en")
    call(fake_app, who, "1", ["moving"], "alice")
    client = fake_app.test_client()
    first = client.get(f"/display/announcement/{t.id}?counter=1&recall=0").get_json()["urls"]
    # a recall's audio exists once the agent has recalled: the box speaks only the calls it logged
    assert client.get(f"/display/announcement/{t.id}?counter=1&recall=1").status_code == 404
    assert who.cmd("recall").status_code == 200
    again = client.get(f"/display/announcement/{t.id}?counter=1&recall=1").get_json()["urls"]
    assert first[0] == again[0] and set(first[1:]).isdisjoint(again[1:])
    assert any(text.startswith("Reminder") and lang == "en" for text, lang in fake.rendered)


def test_calls_are_prerendered_so_the_display_gets_a_cache_hit(fake_app: Any, fake: FakeAnnouncer) -> None:
    who = AuthActions(fake_app, fake_app.test_client())
    t = issue(fake_app, "moving", "en")
    call(fake_app, who, "1", ["moving"], "alice")
    deadline = time.monotonic() + 5
    # rendered in the background before anyone asked (the fake records a render before its file lands)
    while (
        len({lang for _, lang in fake.rendered}) < 3 or len(list(Path(fake.cache_dir).glob("*.wav"))) < 3
    ) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(lang for _, lang in fake.rendered) == ["en", "fr", "nl"]
    files = sorted(Path(fake.cache_dir).glob("*.wav"))
    mtimes = [p.stat().st_mtime_ns for p in files]
    body = fake_app.test_client().get(f"/display/announcement/{t.id}").get_json()
    assert len(body["urls"]) == 4
    assert sorted(Path(fake.cache_dir).glob("*.wav")) == files  # nothing new rendered
    assert [p.stat().st_mtime_ns for p in files] == mtimes


def test_cache_hit_on_second_request_with_real_espeak(tmp_path: Path, clock: Clock, monkeypatch: Any) -> None:
    import subprocess

    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng not found: apt-get install espeak-ng")
    app = make_app(tmp_path, clock, None)
    try:
        runs: list[list[str]] = []
        real = subprocess.run

        def counting(argv: list[str], *a: Any, **k: Any) -> Any:
            runs.append(list(argv))
            return real(argv, *a, **k)

        monkeypatch.setattr(subprocess, "run", counting)
        who = AuthActions(app, app.test_client())
        t = issue(app, "moving", "en")
        call(app, who, "1", ["moving"], "alice")
        client = app.test_client()
        first = client.get(f"/display/announcement/{t.id}").get_json()
        assert len(first["urls"]) == 4 and first["complete"]
        rendered = len(runs)
        assert rendered == 3  # en, fr (fr-be voice), nl: each once, whether by the pre-render or this request
        assert any("fr-be" in argv for argv in runs)
        second = client.get(f"/display/announcement/{t.id}").get_json()
        assert second["urls"] == first["urls"] and len(runs) == rendered
        r = client.get(first["urls"][2])  # French
        (tmp_path / "fr.wav").write_bytes(r.data)
        r.close()
        stats = wav_stats(tmp_path / "fr.wav")
        assert stats.duration_s > 1.5 and stats.rms > 0.01
    finally:
        close_app(app)


def test_without_espeak_the_call_still_chimes(tmp_path: Path, clock: Clock, caplog: Any) -> None:
    down = FakeAnnouncer(tmp_path / "audio", unavailable=True)
    app = make_app(tmp_path, clock, down)
    try:
        who = AuthActions(app, app.test_client())
        t = issue(app, "moving", "en")
        call(app, who, "1", ["moving"], "alice")
        body = app.test_client().get(f"/display/announcement/{t.id}").get_json()
        assert body["urls"] == ["/display/audio/chime.wav"] and body["complete"] is False
        assert app.extensions["contactpoint"].announcements.last_error == "audio_unavailable"
        assert "audio_unavailable" in caplog.text
        page = app.test_client().get("/display/")
        assert page.status_code == 200
        page.close()
    finally:
        close_app(app)


def test_the_audio_follows_the_call_on_screen_not_where_the_ticket_is_now(fake_app: Any, fake: FakeAnnouncer) -> None:
    """After a transfer (or a call elsewhere), the display still shows the call it got: its audio says that
    call's counter, and only calls the box logged can be spoken."""
    client = fake_app.test_client()
    alice = AuthActions(fake_app, fake_app.test_client())
    bob = AuthActions(fake_app, fake_app.test_client())
    t = issue(fake_app, "moving", "en")
    call(fake_app, alice, "1", ["moving"], "alice")
    bob.login("bob")
    assert bob.cmd("open", counter="2", needs=["moving"]).status_code == 200
    # transferred to counter 2 before the display asked for the audio of its call to counter 1
    assert alice.cmd("transfer", to_counter="2").status_code == 200
    first = client.get(f"/display/announcement/{t.id}?counter=1&recall=0")
    assert first.status_code == 200
    body = first.get_json()
    assert body["counter"] == "1" and body["number"] == "A001" and len(body["urls"]) == 4
    # called again at counter 2: each call has its own audio, naming its own counter
    assert bob.cmd("call-next").status_code == 200
    second = client.get(f"/display/announcement/{t.id}?counter=2&recall=0").get_json()
    assert second["counter"] == "2" and second["urls"][1:] != body["urls"][1:]
    assert client.get(f"/display/announcement/{t.id}?counter=1&recall=0").get_json()["urls"] == body["urls"]
    texts = {text for text, _ in fake.rendered}
    assert "Ticket A, 1, please go to counter 1." in texts and "Ticket A, 1, please go to counter 2." in texts
    # a counter the ticket was never called to, or a recall that never happened: nothing is said
    for query in ("counter=3&recall=0", "counter=up&recall=0", "counter=2&recall=1", "counter=..%2F&recall=0"):
        r = client.get(f"/display/announcement/{t.id}?{query}")
        assert r.status_code == 404, query
    rendered = len(fake.rendered)
    assert client.get("/display/announcement/nope?counter=1&recall=0").status_code == 404
    assert len(fake.rendered) == rendered


def test_unknown_or_uncalled_ticket_is_a_404(fake_app: Any) -> None:
    client = fake_app.test_client()
    assert client.get("/display/announcement/nope").status_code == 404
    t = issue(fake_app, "moving", "en")
    r = client.get(f"/display/announcement/{t.id}", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["error"] == "unknown_ticket"


def test_chime_is_served(fake_app: Any) -> None:
    r = fake_app.test_client().get("/display/audio/chime.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav" and r.data == chime_path().read_bytes()
    r.close()


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fsecret_key",
        "..%2Fdata%2Fcontactpoint.sqlite3",
        "%2Fetc%2Fpasswd",
        "ABCDEF0123456789ABCDEF0123456789",  # not lowercase hex
        "0123456789abcdef0123456789abcde",  # 31 characters
        "0123456789abcdef0123456789abcdef",  # well formed, not in the cache
        "chime%00",
    ],
)
def test_audio_names_are_hashes_only(fake_app: Any, tmp_path: Path, name: str) -> None:
    (tmp_path / "data" / "audio").mkdir(parents=True, exist_ok=True)
    (tmp_path / "secret.wav").write_bytes(b"RIFF secret")
    r = fake_app.test_client().get(f"/display/audio/{name}.wav")
    assert r.status_code == 404
    assert b"secret" not in r.data and b"SQLite" not in r.data
    r2 = fake_app.test_client().get("/display/audio/../../secret.wav")
    assert r2.status_code == 404 and b"RIFF" not in r2.data


def test_announce_off_means_no_audio(tmp_path: Path, clock: Clock, fake: FakeAnnouncer) -> None:
    from contactpoint.config import SAMPLE_SITE

    text = Path(SAMPLE_SITE).read_text().replace("announce = true", "announce = false")
    app = make_app(tmp_path, clock, fake, text)
    try:
        who = AuthActions(app, app.test_client())
        t = issue(app, "moving", "en")
        call(app, who, "1", ["moving"], "alice")
        assert app.test_client().get(f"/display/announcement/{t.id}").get_json()["urls"] == []
        time.sleep(0.1)
        assert fake.rendered == []
        assert 'data-announce="false"' in app.test_client().get("/display/").get_data(as_text=True)
    finally:
        close_app(app)


# -- zones ----------------------------------------------------------------------------------------------------
def test_zone_state_shows_only_its_calls_and_waits(zoned: Any) -> None:
    a = issue(zoned, "moving", "fr")
    c = issue(zoned, "money", "nl")
    issue(zoned, "money", "fr")
    call(zoned, AuthActions(zoned, zoned.test_client()), "1", ["moving"], "alice")
    call(zoned, AuthActions(zoned, zoned.test_client()), "up", ["money"], "bob")
    client = zoned.test_client()
    everything = client.get("/display/state").get_json()
    assert [x["ticket"] for x in everything["calls"]] == [a.id, c.id]
    assert {x["need"] for x in everything["calls"]} == {"moving", "money"}
    ground = client.get("/display/state?zone=ground").get_json()
    assert [x["ticket"] for x in ground["calls"]] == [a.id]
    assert set(ground["summary"]["needs"]) == {"moving", "money"}  # the ground floor has no need filter
    up = client.get("/display/state?zone=upstairs").get_json()
    assert [x["ticket"] for x in up["calls"]] == [c.id]
    assert set(up["summary"]["needs"]) == {"money"} and up["summary"]["needs"]["money"]["waiting"] == 1
    assert up["zone"] == {"id": "upstairs", "name": "Étage", "needs": ["money"], "counters": ["up"]}
    assert "token" not in str(up) and "agent" not in str(up["calls"])


def test_zone_page_carries_its_filter_and_unknown_zone_is_a_clear_404(zoned: Any) -> None:
    client = zoned.test_client()
    html = client.get("/display/?zone=upstairs").get_data(as_text=True)
    assert 'data-zone="upstairs"' in html and "Étage" in html
    assert 'data-zone-needs="[&#34;money&#34;]"' in html and 'data-zone-counters="[&#34;up&#34;]"' in html
    assert 'data-state-url="/display/state?zone=upstairs"' in html
    r = client.get("/display/?zone=attic", headers={"Accept-Language": "fr"})
    assert r.status_code == 404
    text = r.get_data(as_text=True)
    assert "zone" in text.lower() and "<h1>" in text
    assert client.get("/display/state?zone=attic").status_code == 404


def test_page_shows_site_message_in_its_language_and_hours(zoned: Any, tmp_path: Path, clock: Clock) -> None:
    client = zoned.test_client()
    assert "Welcome downstairs." in client.get("/display/?lang=en").get_data(as_text=True)
    assert "Bienvenue au rez-de-chaussée." in client.get("/display/?lang=fr").get_data(as_text=True)
    html = client.get("/display/?lang=en").get_data(as_text=True)
    assert 'data-always-open="true"' in html and "Open all day" in html
    assert 'data-tz="Europe/Brussels"' in html


def test_hours_of_the_week_reach_the_page(tmp_path: Path, clock: Clock, fake: FakeAnnouncer) -> None:
    from contactpoint.config import SAMPLE_SITE

    text = Path(SAMPLE_SITE).read_text().replace("always_open = true", "always_open = false")
    app = make_app(tmp_path, clock, fake, text)
    try:
        html = app.test_client().get("/display/?lang=en").get_data(as_text=True)
        assert 'data-always-open="false"' in html
        m = re.search(r'data-hours="([^"]*)"', html)
        assert m is not None
        week = json.loads(unescape(m.group(1)))
        assert week["0"] == ["09:00–12:30", "13:30–16:30"]  # Monday: two spans
        assert week["3"] == ["09:00–12:30", "13:30–19:00"]
        assert "5" not in week and "6" not in week and "Closed today" in html  # weekend: closed
    finally:
        close_app(app)


def test_socketio_pings_often_enough_to_notice_a_dead_box(fake_app: Any) -> None:
    server = fake_app.extensions["contactpoint"].socketio.server.eio
    assert server.ping_interval + server.ping_timeout <= 10


def test_the_display_heartbeat_is_answered_and_checked_within_5_seconds(fake_app: Any) -> None:
    """The display asks "alive?" (live.js heartbeat) every 1.5 s and gives up after 3 s: within 4.5 s."""
    sio = fake_app.extensions["contactpoint"].socketio
    display = sio.test_client(fake_app, namespace="/display")
    assert display.emit("alive", namespace="/display", callback=True) is True
    js = (Path(__file__).resolve().parent.parent / "display" / "static" / "display.js").read_text()
    m = re.search(r"heartbeatMs: (\d+), heartbeatTimeoutMs: (\d+)", js)
    assert m and int(m.group(1)) + int(m.group(2)) <= 5000
