"""The kiosk over HTTP: screens in every language, refusals as friendly screens, check-in, read aloud, rate limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from contactpoint.domain import commands
from contactpoint.domain.appointments import AppointmentState
from tests.conftest import BRUSSELS, Clock
from tests.kiosk_support import LANGS, book, close_app, make_app


def at(hh: int, mm: int = 0, day: int = 25) -> float:
    return datetime(2026, 11, day, hh, mm, tzinfo=BRUSSELS).timestamp()


@pytest.fixture
def office(tmp_path: Path, clock: Clock) -> Iterator[Any]:
    """The sample site with its real opening hours (Wednesday 09:00-12:30), clock on Wednesday 10:00."""
    app = make_app(tmp_path, clock, always_open=False, capacity=2)
    yield app
    close_app(app)


def html(resp: Any) -> str:
    return str(resp.get_data(as_text=True))


def test_the_first_screen_offers_every_language_by_its_own_name(client: Any) -> None:
    page = html(client.get("/kiosk/"))
    for code, name in (("fr", "Français"), ("ar", "العربية"), ("tr", "Türkçe"), ("ro", "Română"), ("pt", "Português")):
        assert re.search(rf'href="/kiosk/{code}/" lang="{code}"[^>]*>{name}</a>', page), code
    assert 'href="/kiosk/ar/" lang="ar" hreflang="ar"\n     dir="rtl"' in page


@pytest.mark.parametrize("lang", LANGS)
def test_every_screen_answers_in_its_language_and_direction(client: Any, lang: str) -> None:
    for path in ("", "appointment", "appointment/slots", "notice?kind=capacity_reached&need=moving"):
        page = html(client.get(f"/kiosk/{lang}/{path}"))
        assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in page, path
    page = html(client.get(f"/kiosk/{lang}/"))
    for need in ("moving", "documents", "money", "housing", "online", "dont_know"):
        assert f'value="{need}"' in page
    assert 'id="priority"' in page and f'href="/kiosk/{lang}/appointment"' in page


def test_an_unknown_language_or_notice_is_not_found(client: Any) -> None:
    assert client.get("/kiosk/xx/").status_code == 404
    assert client.get("/kiosk/fr/notice?kind=hello").status_code == 404


def test_priority_travels_on_the_ticket(client: Any, engine: Any) -> None:
    r = client.post("/kiosk/tr/ticket", data={"need": "housing", "priority": "1"})
    assert r.status_code == 303
    page = html(client.get(r.location))
    (t,) = engine.tickets()
    assert t.priority and t.lang == "tr" and t.need == "housing"
    assert 'id="ticket-number">D001<' in page and "k-badge" in page and 'id="printer-alert"' in page


def test_a_closed_site_says_when_to_come_back_and_issues_nothing(office: Any, clock: Clock) -> None:
    client = office.test_client()
    engine = office.extensions["contactpoint"].engine
    clock.set(datetime(2026, 11, 25, 13, 0, tzinfo=BRUSSELS))  # Wednesday afternoon: closed
    page = html(client.get("/kiosk/en/"))
    assert 'data-kind="site_closed"' in page and "tomorrow at 09:00" in page
    page = html(client.get("/kiosk/nl/"))
    assert 'lang="nl"' in page and 'data-kind="site_closed"' in page
    r = client.post("/kiosk/en/ticket", data={"need": "moving"})
    assert r.status_code == 303 and "kind=site_closed" in r.location
    r = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "en"})
    assert r.status_code == 409 and r.get_json()["error"] == "site_closed"
    assert engine.tickets() == ()
    # Friday afternoon: back on Monday
    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=BRUSSELS))
    assert "Monday at 09:00" in html(client.get("/kiosk/en/"))


def test_closing_soon_is_a_closed_screen_too(office: Any, clock: Clock) -> None:
    clock.set(datetime(2026, 11, 25, 12, 20, tzinfo=BRUSSELS))
    page = html(office.test_client().get("/kiosk/en/"))
    assert 'data-kind="site_closing"' in page and "tomorrow at 09:00" in page


def test_capacity_reached_is_a_friendly_screen(office: Any) -> None:
    client = office.test_client()
    for _ in range(2):
        assert client.post("/kiosk/fr/ticket", data={"need": "moving"}).status_code == 303
    assert "k-full" in html(client.get("/kiosk/fr/"))
    r = client.post("/kiosk/fr/ticket", data={"need": "moving"})
    assert "kind=capacity_reached" in r.location
    page = html(client.get(r.location))
    assert 'data-kind="capacity_reached"' in page and "Je déménage" in page
    assert len(office.extensions["contactpoint"].engine.tickets()) == 2


def test_check_in_by_code_scan_and_slot(office: Any, clock: Clock) -> None:
    client = office.test_client()
    engine = office.extensions["contactpoint"].engine
    a1 = book(office, at(10, 15), "K7P3QX", name="Fatima B.")
    a2 = book(office, at(10, 30), "HX4M22", need="housing")
    a3 = book(office, at(11, 0), "WXYZ", need="online")
    # by code typed on the keypad (any case, any separators)
    r = client.post("/kiosk/ar/appointment", data={"code": "k7p-3qx"})
    t = engine.ticket(engine.appointment(a1).ticket)
    assert r.status_code == 303 and r.location.endswith(t.token)
    page = html(client.get(r.location))
    assert 'dir="rtl"' in page and t.slot_at == at(10, 15) and "Fatima" not in page
    # the same code again shows the same ticket, no second ticket
    assert client.post("/kiosk/ar/appointment", data={"code": "K7P3QX"}).location == r.location
    # by scanning a confirmation whose QR code holds a URL ending with the code
    r = client.post("/kiosk/nl/appointment", data={"code": "https://rdv.example.be/checkin/HX4M22"})
    assert engine.appointment(a2).state == AppointmentState.CHECKED_IN
    # the slot list shows times and needs, never names; a3 is there, the checked-in ones are not
    page = html(client.get("/kiosk/en/appointment/slots"))
    assert "11:00" in page and "Help with an online procedure" in page and "10:15" not in page
    assert "Fatima" not in page
    # 11:00 is more than 30 minutes away: too early, come back at 10:30
    r = client.post("/kiosk/en/appointment/slots", data={"appointment": a3})
    page = html(client.get(r.location))
    assert 'data-kind="appointment_too_early"' in page and "10:30" in page
    clock.set(datetime(2026, 11, 25, 10, 40, tzinfo=BRUSSELS))
    r = client.post("/kiosk/en/appointment/slots", data={"appointment": a3})
    assert engine.appointment(a3).state == AppointmentState.CHECKED_IN and "/ticket/" in r.location


def test_a_late_visitor_is_told_they_have_an_ordinary_ticket(office: Any, clock: Clock) -> None:
    client = office.test_client()
    book(office, at(9, 30), "LATE1")
    r = client.post("/kiosk/en/appointment", data={"code": "LATE1"})
    page = html(client.get(r.location))
    assert "ordinary ticket" in page


def test_a_check_in_that_loses_a_race_shows_the_winners_ticket(office: Any, monkeypatch: Any) -> None:
    """A scan and a tap at once: the second request finds the appointment checked in and shows that ticket."""
    engine = office.extensions["contactpoint"].engine
    a = book(office, at(10, 15), "K7P3QX")
    run = engine.run

    def other_request_first(command: Any, **kw: Any) -> Any:
        if command is commands.check_in and not engine.tickets():
            run(command, **(kw | {"ticket_id": "other", "token": "the-winners-token"}))
        return run(command, **kw)

    monkeypatch.setattr(engine, "run", other_request_first)
    r = office.test_client().post("/kiosk/fr/appointment", data={"code": "K7P3QX"})
    assert r.status_code == 303 and r.location.endswith("/kiosk/fr/ticket/the-winners-token")
    assert [t.id for t in engine.tickets()] == ["other"] and engine.appointment(a).ticket == "other"


def test_an_unknown_code_stays_on_the_code_screen_with_a_message(client: Any, engine: Any) -> None:
    r = client.post("/kiosk/de/appointment", data={"code": "NOPE99"})
    page = html(r)
    assert r.status_code == 200 and 'id="code-error"' in page and 'aria-invalid="true"' in page
    assert engine.tickets() == ()


def test_read_aloud_speaks_the_screens_translated_text_only(
    app: Any, client: Any, tmp_path: Path, printer: Any
) -> None:
    from contactpoint.hardware.audio import FakeAnnouncer

    from tests.conftest import wait_for

    cp = app.extensions["contactpoint"]
    fake = FakeAnnouncer(tmp_path / "audio")
    cp.announcer = fake
    r = client.get("/kiosk/nl/speech?text_id=needs")
    assert r.status_code == 200 and r.mimetype == "audio/wav" and r.data[:4] == b"RIFF"
    r.close()
    text, lang = fake.rendered[-1]
    assert lang == "nl" and "Ik verhuis" in text
    t = client.post("/kiosk/ar/ticket", data={"need": "moving"})
    token = t.location.rsplit("/", 1)[1]
    client.get(f"/kiosk/ar/speech?text_id=ticket&token={token}").close()
    text, lang = fake.rendered[-1]
    assert lang == "ar" and "A 0 0 1" in text
    # what is read aloud follows the screen: no "keep your ticket" when none printed, and never a stale copy
    r = client.get(f"/kiosk/fr/speech?text_id=ticket&token={token}")
    assert r.headers["Cache-Control"] == "no-store"
    r.close()
    assert "Gardez votre ticket" in fake.rendered[-1][0]
    # the paper runs out for real (a poll or the end of the ticket's own print job would clear a status set alone)
    wait_for(lambda: printer.jobs)
    printer.fail_with = "printer_paper_out"
    cp.engine.run(commands.printer_status, key="printer_paper_out")
    client.get(f"/kiosk/fr/speech?text_id=ticket&token={token}").close()
    text = fake.rendered[-1][0]
    assert "L'imprimante ne fonctionne pas" in text and "Gardez votre ticket" not in text
    # never the client's text: an unknown id or ticket is refused
    assert client.get("/kiosk/fr/speech?text_id=hello&text=Bonjour").status_code == 404
    assert client.get("/kiosk/fr/speech?text_id=ticket&token=nope").status_code == 404
    # the box cannot speak: the page is told, with the text for the browser's own voice
    cp.announcer = FakeAnnouncer(tmp_path / "audio2", unavailable=True)
    r = client.get("/kiosk/fr/speech?text_id=languages")
    assert r.status_code == 503 and r.get_json()["error"] == "speech_unavailable" and r.get_json()["text"]


def test_read_aloud_with_the_real_offline_voice(tmp_path: Path, clock: Clock) -> None:
    # espeak-ng itself (Debian's espeak-ng package, which CI installs): the shared fixture uses a fake voice
    from contactpoint.hardware.audio import EspeakAnnouncer, wav_stats
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app

    app = create_app(
        {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test"},
        printer=FakePrinter(),
        clock=clock,
        announcer=EspeakAnnouncer(tmp_path / "audio"),
    )
    app.extensions["contactpoint"].start()
    try:
        r = app.test_client().get("/kiosk/fr/speech?text_id=appointment")
        assert r.status_code == 200
        path = tmp_path / "out.wav"
        path.write_bytes(r.data)
        r.close()
        stats = wav_stats(path)
        assert stats.duration_s > 2 and stats.rms > 0.01
    finally:
        app.extensions["contactpoint"].close()


def test_rate_limit_is_friendly_in_the_visitors_language(tmp_path: Path, clock: Clock) -> None:
    app = make_app(tmp_path, clock, rate_limit="3 per minute")
    try:
        client = app.test_client()
        for _ in range(3):
            assert client.post("/kiosk/nl/ticket", data={"need": "moving"}).status_code == 303
        r = client.post("/kiosk/nl/ticket", data={"need": "moving"})
        page = html(r)
        assert r.status_code == 429 and 'lang="nl"' in page and 'data-kind="rate_limited"' in page
        # the JSON endpoint and check-in share the limit
        r = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"})
        assert r.status_code == 429 and r.get_json()["error"] == "rate_limited"
        assert r.get_json()["message"] != "rate_limited"
        assert client.post("/kiosk/fr/appointment", data={"code": "ABCD"}).status_code == 429
        # screens are not limited
        assert client.get("/kiosk/nl/").status_code == 200
        assert len(app.extensions["contactpoint"].engine.tickets()) == 3
    finally:
        close_app(app)


def test_rate_limit_can_be_turned_off_for_benchmarks(tmp_path: Path, clock: Clock, monkeypatch: Any) -> None:
    monkeypatch.setenv("CONTACTPOINT_RATELIMIT", "0")
    app = make_app(tmp_path, clock, rate_limit="2 per minute")
    try:
        client = app.test_client()
        for _ in range(5):
            assert client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"}).status_code == 201
    finally:
        close_app(app)


# -- the audit's findings (kiosk side) ---------------------------------------------------------------------
def test_a_crafted_time_in_a_notice_is_a_400_in_the_visitors_language(client: Any, engine: Any) -> None:
    for at in ("inf", "-inf", "nan", "1e400", "soon"):
        for path in (
            f"/kiosk/nl/notice?kind=site_closed&at={at}",
            f"/kiosk/nl/speech?text_id=notice&kind=site_closed&at={at}",
        ):
            r = client.get(path)
            assert r.status_code == 400, (path, r.status_code)
            assert 'lang="nl"' in html(r) and 'id="k-error"' in html(r)
            r.close()
    # a time the box did not compute is never shown (1e20 seconds: was an OverflowError, a 500)
    r = client.get("/kiosk/fr/notice?kind=site_closed&at=1e20")
    assert (
        r.status_code == 200 and "data-speech-url" in html(r) and "at=" not in html(r).split("data-speech-url")[1][:200]
    )
    r = client.get("/kiosk/fr/notice?kind=appointment_too_early&at=1800000000")
    assert r.status_code == 200 and "Vous pouvez vous enregistrer" not in html(r)


def test_too_early_keeps_the_check_in_time_the_box_computed(office: Any, clock: Clock) -> None:
    client = office.test_client()
    book(office, at(11), "WXYZ")
    r = client.post("/kiosk/en/appointment", data={"code": "WXYZ"})
    assert "at=" in r.location
    page = html(client.get(r.location))
    assert "You can check in from 10:30" in page and f"at={round(at(10, 30))}" in page
    # the same screen with another time in its address: no time, none spoken
    page = html(client.get(r.location.replace(str(round(at(10, 30))), str(round(at(10, 31))))))
    assert "You can check in from" not in page


def test_every_distinct_time_no_longer_renders_new_speech(app: Any, client: Any, tmp_path: Path) -> None:
    from contactpoint.hardware.audio import FakeAnnouncer

    fake = FakeAnnouncer(tmp_path / "audio")
    app.extensions["contactpoint"].announcer = fake
    for i in range(5):
        client.get(f"/kiosk/fr/speech?text_id=notice&kind=site_closed&at={1764060000 + i * 60}").close()
    assert len({text for text, _ in fake.rendered}) == 1  # the same text each time: one file, not five


def test_speech_is_rate_limited_per_kiosk(tmp_path: Path, clock: Clock) -> None:
    from contactpoint.hardware.audio import FakeAnnouncer
    from contactpoint.kiosk import SPEECH_LIMIT

    app = make_app(tmp_path, clock)
    try:
        app.extensions["contactpoint"].kiosk_announcer = FakeAnnouncer(tmp_path / "audio")
        client = app.test_client()
        limit = int(SPEECH_LIMIT.split()[0])

        def status(url: str) -> int:
            r = client.get(url)
            r.close()
            return int(r.status_code)

        codes = [status("/kiosk/fr/speech?text_id=needs") for _ in range(limit + 1)]
        assert codes[:limit] == [200] * limit and codes[-1] == 429
        assert client.get("/kiosk/fr/").status_code == 200  # screens are not limited
    finally:
        close_app(app)


def test_the_kiosk_speech_cache_is_its_own_and_capped_in_bytes(tmp_path: Path, clock: Clock) -> None:
    from contactpoint.hardware.audio import EspeakAnnouncer
    from contactpoint.hardware.printer import FakePrinter
    from contactpoint.kiosk import SPEECH_CACHE_BYTES

    from contactpoint import create_app

    display = EspeakAnnouncer(tmp_path / "audio")
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t"},
        printer=FakePrinter(),
        clock=clock,
        announcer=display,
    )
    app.extensions["contactpoint"].start()
    try:
        own = app.extensions["contactpoint"].kiosk_announcer
        assert own.cache_dir != display.cache_dir and own.max_bytes == SPEECH_CACHE_BYTES
        assert display.max_bytes <= 256 * 1024 * 1024
    finally:
        close_app(app)


def test_the_cache_is_pruned_by_bytes_least_recently_used_first(tmp_path: Path) -> None:
    import os

    from contactpoint.hardware.audio.announcer import prune_cache

    for i in range(6):
        p = tmp_path / f"{i}.wav"
        p.write_bytes(b"x" * 1000)
        os.utime(p, (1000 + i, 1000 + i))
    prune_cache(tmp_path, max_files=100, max_bytes=3500)
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["3.wav", "4.wav", "5.wav"]


def test_a_slot_tap_never_shows_another_visitors_ticket(office: Any) -> None:
    client = office.test_client()
    engine = office.extensions["contactpoint"].engine
    aid = book(office, at(10, 15), "K7P3QX")
    first = client.post("/kiosk/fr/appointment", data={"code": "K7P3QX"})  # the visitor, with their code
    token = engine.ticket(engine.appointment(aid).ticket).token
    assert first.location.endswith(token)
    # someone else taps the same slot on a list shown before: no ticket page, no tracking token
    r = client.post("/kiosk/fr/appointment/slots", data={"appointment": aid})
    assert r.status_code == 303 and token not in r.location and "kind=appointment_already_checked_in" in r.location
    page = html(client.get(r.location))
    assert token not in page and 'data-kind="appointment_already_checked_in"' in page
    # the code again (the visitor holds it) still shows their ticket
    assert client.post("/kiosk/fr/appointment", data={"code": "K7P3QX"}).location == first.location
    assert len(engine.tickets()) == 1


def test_kiosk_errors_are_kiosk_screens_with_a_way_back(tmp_path: Path, clock: Clock) -> None:
    app = make_app(tmp_path, clock, config={"PROPAGATE_EXCEPTIONS": False})
    try:
        client = app.test_client()

        @app.get("/kiosk/<lang>/boom")
        def boom(lang: str) -> Any:
            raise RuntimeError("a bug")

        cases = [
            ("/kiosk/ar/ticket/expired-token", 404, "ar"),  # an expired ticket link
            ("/kiosk/tr/nothing-here", 404, "tr"),
            ("/kiosk/ar/boom", 500, "ar"),
        ]
        r = client.post("/kiosk/pl/ticket", data={"need": "removed-need"})  # a need gone while the screen showed
        assert r.status_code == 400 and "Tej usługi tu nie ma" in html(r)
        for resp, lang in [(r, "pl")] + [(client.get(p), lang) for p, _, lang in cases]:
            page = html(resp)
            assert f'<html lang="{lang}"' in page and 'id="k-error"' in page
            assert f'href="/kiosk/{lang}/"' in page and 'data-idle-s="' in page and "kiosk.js" in page
            assert 'href="/"' not in page and "/counter" not in page
            assert 'id="k-idle"' in page  # the idle warning and reset
        assert [client.get(p).status_code for p, _, _ in cases] == [s for _, s, _ in cases]
        # elsewhere, the generic page is unchanged; JSON stays JSON
        assert "k-error" not in html(client.get("/nothing-here"))
        assert client.post("/kiosk/api/tickets", json={"need": "x", "lang": "fr"}).get_json()["error"] == "unknown_need"
    finally:
        close_app(app)


def test_read_aloud_on_the_first_screen_says_each_language_in_its_own_voice(
    app: Any, client: Any, tmp_path: Path
) -> None:
    from contactpoint.hardware.audio import FakeAnnouncer

    from contactpoint.i18n import NATIVE_NAMES

    fake = FakeAnnouncer(tmp_path / "audio")
    app.extensions["contactpoint"].announcer = fake
    page = html(client.get("/kiosk/"))
    urls = re.findall(r'data-speech-part="([^"]+)"', page)
    site = app.extensions["contactpoint"].site
    assert urls == [f"/kiosk/{code}/speech?text_id=language" for code in site.languages]
    for url in urls:
        client.get(url.replace("&amp;", "&")).close()
    assert [lang for _, lang in fake.rendered] == list(site.languages)
    said = dict((lang, text) for text, lang in fake.rendered)
    assert said["fr"].startswith("Français.") and "Choisissez votre langue" in said["fr"]
    assert said["ar"].startswith(NATIVE_NAMES["ar"]) and said["nl"].startswith("Nederlands.")


def test_english_times_are_day_first_and_24_hour_as_on_the_tickets(app: Any, site: Any) -> None:
    from datetime import datetime

    from contactpoint.kiosk.screens import clock_text, when_text

    at = datetime(2026, 11, 26, 13, 30, tzinfo=site.tz).timestamp()
    now = datetime(2026, 11, 25, 10, 0, tzinfo=site.tz).timestamp()
    with app.test_request_context("/kiosk/en/"):
        assert clock_text(site, at, "en") == "13:30"
        assert when_text(site, at, now, "en").endswith("13:30")


def test_the_first_two_screens_say_when_the_printer_cannot_print_and_read_it_aloud(
    app: Any, client: Any, tmp_path: Path, printer: Any
) -> None:
    """Before the visitor chooses anything: the first screen in every language (none chosen yet), the needs
    screen and its read-aloud in theirs. Paper running low still prints: nothing is said."""
    from contactpoint.hardware.audio import FakeAnnouncer

    cp = app.extensions["contactpoint"]
    fake = FakeAnnouncer(tmp_path / "audio")
    cp.announcer = fake
    for key in ("printer_ok", "printer_paper_low"):
        cp.engine.run(commands.printer_status, key=key)
        assert re.search(r'id="paper-notice"[^>]* hidden>', html(client.get("/kiosk/"))), key
        assert re.search(r'id="paper-notice"[^>]* hidden>', html(client.get("/kiosk/fr/"))), key
    printer.fail_with = "printer_paper_out"  # as a poll finds it
    cp.engine.run(commands.printer_status, key="printer_paper_out")
    first = html(client.get("/kiosk/"))
    assert re.search(r'id="paper-notice" class="k-paper" role="status" data-key="printer_paper_out">', first)
    notices = re.findall(r'<li lang="(\w+)" dir="(\w+)"[^>]*>([^<]+)</li>', first)
    assert [n[0] for n in notices] == list(cp.site.languages)
    said = {lang: text for lang, _, text in notices}
    assert said["fr"].startswith("L&#39;imprimante n&#39;a plus de papier : vous recevrez votre numéro sur cet écran")
    assert said["nl"] == "De printer heeft geen papier meer: u krijgt uw nummer op dit scherm en op uw gsm."
    assert ("ar", "rtl") in {(n[0], n[1]) for n in notices}
    needs = html(client.get("/kiosk/tr/"))
    assert re.findall(r'<li lang="(\w+)"[^>]*>([^<]+)</li>', needs) == [
        ("tr", "Yazıcıda kâğıt kalmadı: numaranız bu ekranda ve telefonunuzda görünecek.")
    ]
    client.get("/kiosk/de/speech?text_id=needs").close()
    assert "Der Drucker hat kein Papier mehr" in fake.rendered[-1][0]
    client.get("/kiosk/pl/speech?text_id=language").close()
    assert fake.rendered[-1][0].startswith("Polski.") and "W drukarce skończył się papier" in fake.rendered[-1][0]
    # any other fault: the same promise, without blaming the paper
    printer.fail_with = "printer_cover_open"
    cp.engine.run(commands.printer_status, key="printer_cover_open")
    assert "De printer werkt niet: u krijgt uw nummer" in html(client.get("/kiosk/nl/"))


@pytest.mark.parametrize("lang", ["fr", "nl", "en", "ar", "tr", "es", "ro", "pl", "pt", "de"])
def test_the_kiosk_says_times_in_24_hours_in_every_language(app: Any, site: Any, lang: str) -> None:
    from datetime import datetime

    from contactpoint.kiosk.screens import clock_text, when_text

    at = datetime(2026, 11, 26, 13, 30, tzinfo=site.tz).timestamp()  # afternoon: a 12-hour clock would say 1:30
    now = datetime(2026, 11, 25, 10, 0, tzinfo=site.tz).timestamp()
    with app.test_request_context(f"/kiosk/{lang}/"):
        assert clock_text(site, at, lang) == "13:30"
        assert "13:30" in when_text(site, at, now, lang)
