"""The satisfaction taps' HTTP side (no browser): the tablet's JSON endpoint, the phone's form and JSON answers,
the `[feedback]` and `[buttons]` settings, and the GPIO buttons driven through gpiozero's MockFactory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.buttons import ButtonPanel, ButtonSettings
from gpiozero.pins.mock import MockFactory

from contactpoint.config import ConfigError, load_site, parse_site
from contactpoint.domain import commands as c
from contactpoint.domain.feedback import NegativeRun
from tests.conftest import Clock

SITE = Path(__file__).resolve().parent.parent / "contactpoint" / "sample_site.toml"


def taps(app: Any) -> list[dict[str, Any]]:
    return [e.data for e in app.extensions["contactpoint"].store.events() if e.type == "feedback_given"]


def test_a_tablet_tap_is_written_once_per_window(app: Any, client: Any, clock: Clock) -> None:
    r = client.post("/feedback/api/taps", json={"score": 4, "lang": "fr", "device": "door"})
    assert (r.status_code, r.get_json()) == (201, {"counted": True})
    r = client.post("/feedback/api/taps", json={"score": 1, "lang": "fr", "device": "door"})
    assert (r.status_code, r.get_json()) == (200, {"counted": False})  # its first tap counted; thanked all the same
    clock.advance(5)
    assert client.post("/feedback/api/taps", json={"score": 1, "lang": "fr", "device": "door"}).status_code == 201
    assert [t["score"] for t in taps(app)] == [4, 1]


@pytest.mark.parametrize(
    ("body", "status", "key"),
    [({"score": 7, "lang": "nl", "device": "door"}, 400, "invalid_score"),
     ({"score": "4", "lang": "nl", "device": "door"}, 400, "invalid_score"),
     ({"score": 4, "lang": "nl"}, 400, "bad_request"),
     ({"score": 4, "lang": "nl", "device": "a b"}, 400, "bad_request"),
     ([1, 2], 400, "bad_request")],
)
def test_bad_taps_get_a_clear_4xx_in_the_visitors_language_and_change_nothing(app: Any, client: Any, body: Any,
                                                                              status: int, key: str) -> None:
    r = client.post("/feedback/api/taps", json=body)
    assert (r.status_code, r.get_json()["error"]) == (status, key)
    if key == "invalid_score":
        assert r.get_json()["message"] == "Kies een van de vier gezichtjes."
    assert taps(app) == []


def test_a_tap_must_be_json_from_the_boxs_own_pages(app: Any, client: Any) -> None:
    assert client.post("/feedback/api/taps", data={"score": "4", "device": "door"}).status_code == 400
    r = client.post("/feedback/api/taps", json={"score": 4, "lang": "de", "device": "door"},
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and r.get_json()["message"] == "Das dürfen Sie nicht."
    ok = client.post("/feedback/api/taps", json={"score": 4, "lang": "de", "device": "door"},
                     headers={"Origin": "http://localhost"})
    assert ok.status_code == 201
    assert len(taps(app)) == 1


def test_the_tablet_page_is_in_the_visitors_language_and_unknown_ones_are_404(client: Any) -> None:
    assert client.get("/feedback/").headers["Location"].endswith("/feedback/fr/")
    page = client.get("/feedback/tr/").get_data(as_text=True)
    assert "Bugünkü ziyaretiniz nasıldı?" in page and 'dir="ltr"' in page
    assert 'dir="rtl"' in client.get("/feedback/ar/").get_data(as_text=True)
    assert client.get("/feedback/xx/").status_code == 404


def finished(engine: Any, lang: str = "es") -> Any:
    engine.run(c.open_counter, counter="1", agent="alice", needs=["housing"])
    t = engine.issue(need="housing", lang=lang)
    engine.run(c.call_next, counter="1")
    engine.run(c.finish, counter="1", outcome="escalated")
    return t


def test_the_phone_form_answers_once_without_javascript(app: Any, client: Any, engine: Any) -> None:
    engine.run(c.open_counter, counter="1", agent="alice", needs=["housing"])
    t = engine.issue(need="housing", lang="es")
    r = client.post(f"/t/{t.token}/feedback", data={"score": "4"})
    assert r.status_code == 409 and "Podrá responder cuando termine su visita." in r.get_data(as_text=True)
    engine.run(c.call_next, counter="1")
    engine.run(c.finish, counter="1", outcome="escalated")
    assert 'id="question" hidden' not in client.get(f"/t/{t.token}").get_data(as_text=True)
    r = client.post(f"/t/{t.token}/feedback", data={"score": "2"})
    assert (r.status_code, r.headers["Location"]) == (303, f"/t/{t.token}")
    page = client.get(f"/t/{t.token}").get_data(as_text=True)
    assert 'id="question" hidden' in page and "¡Gracias por su respuesta!" in page
    again = client.post(f"/t/{t.token}/feedback", data={"score": "4"})
    assert again.status_code == 409 and "Ya ha respondido por esta visita. ¡Gracias!" in again.get_data(as_text=True)
    assert taps(app) == [{"score": 2, "channel": "phone", "need": "housing", "outcome": "escalated", "ticket": t.id,
                          "device": None}]


def test_the_phone_json_answer(app: Any, client: Any, engine: Any) -> None:
    t = finished(engine, "ro")
    assert client.post(f"/t/{t.token}/api/feedback", json={"score": 0}).status_code == 400
    assert client.post(f"/t/{t.token}/api/feedback", data="x").status_code == 400
    assert client.post(f"/t/{t.token}/api/feedback", json={"score": 1}).status_code == 201
    r = client.post(f"/t/{t.token}/api/feedback", json={"score": 1})
    assert r.status_code == 409 and r.get_json()["message"] == "Ați răspuns deja pentru această vizită. Mulțumim!"
    assert client.post("/t/" + "x" * 22 + "/api/feedback", json={"score": 1}).status_code == 404
    assert client.get(f"/t/{t.token}/state").get_json()["answered"] is True


# -- settings ----------------------------------------------------------------------------------------------
def site_with(extra: str) -> Any:
    import tomllib

    return parse_site(tomllib.loads(SITE.read_text() + "\n" + extra))


def test_the_feedback_settings_and_their_defaults() -> None:
    f = load_site(SITE).site.feedback
    assert (f.tap_window_s, f.rule, f.link_nearest_visit, f.negative_run) == (5, "first", False, NegativeRun())
    cfg = site_with('[feedback]\ntap_window_seconds = 8\ntap_rule = "quiet"\nlink_nearest_visit = true\n'
                    'negative_run = "2 of 4 within 30 minutes"\n')
    f = cfg.site.feedback
    assert (f.tap_window_s, f.rule, f.link_nearest_visit, f.negative_run) == (8, "quiet", True,
                                                                                NegativeRun(2, 4, 1800.0))
    assert cfg.buttons is None


@pytest.mark.parametrize(
    ("extra", "key"),
    [('[feedback]\ntap_rule = "last"', "feedback.tap_rule"),
     ('[feedback]\nnegative_run = "5 of 3 within 15 minutes"', "feedback.negative_run"),
     ("[feedback]\ntap_window_seconds = -1", "feedback.tap_window_seconds"),
     ("[feedback]\nwindow = 3", "feedback.window"),
     ("[buttons]\npins = [17, 27, 22]", "buttons.pins"),
     ("[buttons]\npins = [17, 17, 22, 23]", "buttons.pins"),
     ("[buttons]\nled = 17", "buttons.led"),
     ("[buttons]\nbounce_ms = 0", "buttons.bounce_ms"),
     ("[buttons]\ncolour = 1", "buttons.colour")],
)
def test_a_wrong_setting_stops_with_its_key(extra: str, key: str) -> None:
    with pytest.raises(ConfigError) as e:
        site_with(extra)
    assert e.value.key == key


# -- the GPIO buttons, through gpiozero's MockFactory --------------------------------------------------------
def press(factory: MockFactory, pin: int) -> None:
    factory.pin(pin).drive_low()  # pulled up: pressed is low
    factory.pin(pin).drive_high()


def test_each_button_is_its_score_and_the_led_thanks(tmp_path: Path) -> None:
    factory = MockFactory()
    got: list[int] = []
    later: list[float] = []
    panel = ButtonPanel(ButtonSettings(led=24), lambda s: got.append(s) or len(got) == 1, pin_factory=factory,
                        later=lambda s, fn: (later.append(s), fn))
    panel.start()
    assert panel.status == "ok"
    for pin in (17, 27, 22, 23):
        press(factory, pin)
    assert got == [1, 2, 3, 4]
    assert factory.pin(24).state and later == [2.0]  # lit for the first (the only counted) press
    panel._dim()
    assert not factory.pin(24).state
    panel.stop()


def test_the_box_turns_a_press_into_one_tap_and_says_so_in_its_health(tmp_path: Path, clock: Clock) -> None:
    from contactpoint import create_app

    site = tmp_path / "site.toml"
    site.write_text(SITE.read_text() + "\n[buttons]\npins = [5, 6, 13, 19]\nled = 26\nbounce_ms = 20\n")
    factory = MockFactory()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t", "SITE_CONFIG": str(site),
                      "BUTTONS_PIN_FACTORY": factory}, clock=clock)
    box = app.extensions["contactpoint"].start()
    try:
        assert app.test_client().get("/api/health").get_json()["buttons"] == "ok"
        for _ in range(5):  # a child on the very happy button: one answer
            press(factory, 19)
        press(factory, 5)
        assert taps(app) == [{"score": 4, "channel": "buttons", "need": None, "outcome": None, "ticket": None,
                              "device": "buttons"}]
        assert factory.pin(26).state
    finally:
        box.close()


def test_without_gpio_the_box_serves_on_and_says_why(tmp_path: Path, clock: Clock) -> None:
    from contactpoint import create_app

    site = tmp_path / "site.toml"
    site.write_text(SITE.read_text() + "\n[buttons]\n")
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t", "SITE_CONFIG": str(site)},
                     clock=clock)
    box = app.extensions["contactpoint"].start()  # gpiozero finds no GPIO on this machine (not a Pi)
    try:
        client = app.test_client()
        health = client.get("/api/health").get_json()
        assert health["buttons"].startswith("unavailable: ") and health["ok"] is True
        assert client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"}).status_code == 201
    finally:
        box.close()


def test_without_gpiozero_the_panel_says_it_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "gpiozero", None)  # import gpiozero raises ImportError
    panel = ButtonPanel(ButtonSettings(), lambda s: True)
    panel.start()
    assert panel.status.startswith("unavailable: gpiozero is not installed")
    panel.stop()


def test_read_aloud_says_the_question_and_its_four_answers_in_the_visitors_language(app: Any, client: Any) -> None:
    box = app.extensions["contactpoint"]
    voice = box.kiosk_announcer or box.announcer
    r = client.get("/feedback/pl/speech?text_id=question")
    assert (r.status_code, r.mimetype) == (200, "audio/wav")
    r.close()
    r = client.get("/feedback/pl/speech?text_id=thanks")
    r.close()
    assert voice.rendered[-2:] == [
        ("Jak oceniasz dzisiejszą wizytę? Bardzo niezadowolony. Niezadowolony. Zadowolony. Bardzo zadowolony.", "pl"),
        ("Dziękujemy za odpowiedź!", "pl"),
    ]
    assert client.get("/feedback/pl/speech?text_id=other").status_code == 404
    assert client.get("/feedback/pl/speech").status_code == 404
    voice.unavailable = True  # no espeak-ng: the page speaks with the browser's voice
    r = client.get("/feedback/pl/speech?text_id=thanks")
    assert r.status_code == 503 and r.get_json()["text"] == "Dziękujemy za odpowiedź!"


def test_the_device_index_links_the_exit_tablet(client: Any) -> None:
    page = client.get("/?lang=nl").get_data(as_text=True)
    assert 'href="/feedback/"' in page and "Tablet bij de uitgang: hoe was uw bezoek?" in page


GEVENT_PRESS = r"""
from gevent import monkey
monkey.patch_all()
import sys, gevent
from gpiozero.pins.mock import MockFactory
from contactpoint import create_app

factory = MockFactory()
app = create_app({"DATA_DIR": sys.argv[1], "SECRET_KEY": "t", "SITE_CONFIG": sys.argv[2], "ASYNC_MODE": "gevent",
                  "BUTTONS_PIN_FACTORY": factory})
box = app.extensions["contactpoint"].start()
start_os_thread = monkey.get_original("_thread", "start_new_thread")  # as gpiozero's pin callbacks are on a Pi
os_thread = monkey.get_original("_thread", "get_ident")
main, ran_on = os_thread(), []
give = box.engine.give_feedback

def recorded(**kw):
    ran_on.append(os_thread())
    return give(**kw)

box.engine.give_feedback = recorded

(panel,) = [s for s in box.services if type(s).__name__ == "ButtonPanel"]

def press():  # what gpiozero does on a Pi: the button's when_pressed, called on its own thread
    panel.buttons[2].when_pressed()

start_os_thread(press, ())
for _ in range(500):  # the server's loop runs on while the press is handed over
    if any(e.type == "feedback_given" for e in box.store.events()):
        break
    gevent.sleep(0.01)
print([e.data["score"] for e in box.store.events() if e.type == "feedback_given"], box.socketio.async_mode,
      ran_on == [main])
box.close()
"""


def test_under_gevent_a_press_on_gpiozeros_own_thread_is_written_on_the_servers_loop(tmp_path: Path) -> None:
    import subprocess
    import sys

    site = tmp_path / "site.toml"
    site.write_text(SITE.read_text() + "\n[buttons]\npins = [5, 6, 13, 19]\n")
    (tmp_path / "data").mkdir()
    done = subprocess.run([sys.executable, "-c", GEVENT_PRESS, str(tmp_path / "data"), str(site)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[3] gevent True", done.stdout + done.stderr[-2000:]
