"""The phone tracking page /t/<token>: its HTML, its state URL, and its Socket.IO rooms (one per ticket)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.printer import FakePrinter

from contactpoint.config import SAMPLE_SITE
from tests.conftest import AuthActions, wait_for


def issue(app: Any, need: str = "moving", lang: str = "en") -> Any:
    return app.extensions["contactpoint"].engine.issue(need=need, lang=lang, check_open=False)


def test_the_page_shows_the_ticket_in_its_language(app: Any, client: Any) -> None:
    t = issue(app, lang="nl")
    r = client.get(f"/t/{t.token}")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    html = r.get_data(as_text=True)
    assert '<html lang="nl" dir="ltr">' in html
    assert 'id="ticket-number">A001<' in html
    assert "socket.io.min.js" in html and "phone.js" in html
    assert t.number not in f"/t/{t.token}"  # the URL carries the token, never the number


def test_state_is_the_public_view_only(app: Any, client: Any, agent: AuthActions) -> None:
    first = issue(app)
    second = issue(app)
    r = client.get(f"/t/{second.token}/state")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    view = r.get_json()
    assert view["number"] == "A002" and view["state"] == "issued" and view["ahead"] == 1
    assert view["labels"]["position"] == "1 person before you"
    assert set(view) == {"seq", "number", "need", "lang", "state", "counter", "calls", "ahead", "estimate_s", "labels",
                         "question", "answered"}
    assert (view["question"], view["answered"]) == (False, False)  # asked once the visit ended (feedback.md)
    assert first.token not in r.get_data(as_text=True) and second.token not in r.get_data(as_text=True)

    agent.login()
    agent.cmd("open", counter="2", needs=["moving"])
    agent.cmd("call-next")
    view = client.get(f"/t/{first.token}/state").get_json()
    assert view["state"] == "called" and view["counter"] == "2" and view["calls"] == 1
    assert view["labels"]["status"] == "It's your turn: counter 2" and view["ahead"] is None
    assert "agent" not in view and "alice" not in str(view)


@pytest.mark.parametrize("token", ["x" * 22, "short", "a" * 100, "a.b.c.d.e.f.g.h.i.j.k", "%00" * 8])
def test_unknown_or_malformed_tokens_get_the_404_page_in_the_sites_language(client: Any, token: str) -> None:
    r = client.get(f"/t/{token}", headers={"Accept-Language": "en"})
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert '<html lang="fr"' in html  # the site's default language: the ticket's is unknown
    assert client.get(f"/t/{token}/state").status_code == 404


def test_a_token_stops_working_at_day_close(app: Any, client: Any, clock: Any) -> None:
    t = issue(app)
    assert client.get(f"/t/{t.token}").status_code == 200
    clock.advance(24 * 3600)
    app.extensions["contactpoint"].engine.tick()
    assert client.get(f"/t/{t.token}").status_code == 404
    assert client.get(f"/t/{t.token}/state").status_code == 404


def test_finished_and_cancelled_visits_show_their_state(app: Any, client: Any, agent: AuthActions) -> None:
    agent.login()
    agent.cmd("open", counter="1", needs=["moving"])
    done = issue(app)
    agent.cmd("call-next")
    agent.cmd("finish", outcome="resolved")
    assert client.get(f"/t/{done.token}/state").get_json()["state"] == "done"
    html = client.get(f"/t/{done.token}").get_data(as_text=True)
    assert 'data-state="done"' in html and "Your visit is finished" in html
    cancelled = issue(app)
    agent.cmd("cancel", ticket=cancelled.id, reason="left")
    view = client.get(f"/t/{cancelled.token}/state").get_json()
    assert view["state"] == "cancelled" and view["labels"]["status"] == "This ticket was cancelled."


@pytest.fixture
def arabic_app(tmp_path: Path, clock: Any) -> Iterator[Any]:
    from contactpoint import create_app

    text = Path(SAMPLE_SITE).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^languages = \[.*\]$", 'languages = ["fr", "nl", "en", "ar"]', text)
    lines = []
    for line in text.splitlines():
        if line.startswith("names = {") and line.endswith(" }"):  # every need needs an Arabic name now
            line = line[:-2] + ', ar = "خدمة" }'
        lines.append(line)
    text = "\n".join(lines) + "\n"
    site = tmp_path / "site.toml"
    site.write_text(text, encoding="utf-8")
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "t", "SITE_CONFIG": str(site)},
        printer=FakePrinter(),
        clock=clock,
    )
    cp = app.extensions["contactpoint"].start()
    yield app
    cp.close()


def test_arabic_reads_right_to_left(arabic_app: Any) -> None:
    t = issue(arabic_app, lang="ar")
    html = arabic_app.test_client().get(f"/t/{t.token}").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


# -- Socket.IO: the /t namespace ------------------------------------------------------------------------------


def pushes(client: Any, into: list[Any]) -> list[Any]:
    into.extend(client.get_received("/t"))
    return into


def test_a_phone_must_present_a_valid_token(app: Any) -> None:
    sio = app.extensions["contactpoint"].socketio
    assert not sio.test_client(app, namespace="/t").is_connected("/t")
    assert not sio.test_client(app, namespace="/t", auth={"token": "x" * 22}).is_connected("/t")
    assert not sio.test_client(app, namespace="/t", auth={"token": 42}).is_connected("/t")
    t = issue(app)
    phone = sio.test_client(app, namespace="/t", auth={"token": t.token})
    assert phone.is_connected("/t")
    phone.disconnect("/t")


def test_each_phone_hears_only_its_own_ticket(app: Any, agent: AuthActions) -> None:
    sio = app.extensions["contactpoint"].socketio
    first, second = issue(app), issue(app)
    one = sio.test_client(app, namespace="/t", auth={"token": first.token})
    two = sio.test_client(app, namespace="/t", auth={"token": second.token})
    agent.login()
    agent.cmd("open", counter="3", needs=["moving"])
    agent.cmd("call-next")
    got_one: list[Any] = []
    got_two: list[Any] = []
    wait_for(lambda: any(m["args"][0]["state"] == "called" for m in pushes(one, got_one) if m["name"] == "ticket"))
    called = next(m["args"][0] for m in got_one if m["name"] == "ticket" and m["args"][0]["state"] == "called")
    assert called["number"] == "A001" and called["counter"] == "3"
    assert called["labels"]["status"] == "It's your turn: counter 3"
    # the second phone learns it is now next, and nothing about the first ticket
    wait_for(lambda: any(m["args"][0]["ahead"] == 0 for m in pushes(two, got_two) if m["name"] == "ticket"))
    assert all(m["args"][0]["number"] == "A002" for m in got_two if m["name"] == "ticket")
    assert "A001" not in str(got_two)
    seqs = [m["args"][0]["seq"] for m in got_one if m["name"] == "ticket"]
    assert seqs == sorted(seqs)
    # a recall is pushed again (the phone vibrates again)
    agent.cmd("recall")
    wait_for(lambda: any(m["args"][0]["calls"] == 2 for m in pushes(one, got_one) if m["name"] == "ticket"))
    one.disconnect("/t")
    two.disconnect("/t")
    assert app.extensions["contactpoint"].phones.tickets() == set()


def test_a_followed_ticket_whose_day_closes_is_gone(app: Any, clock: Any) -> None:
    sio = app.extensions["contactpoint"].socketio
    t = issue(app)
    phone = sio.test_client(app, namespace="/t", auth={"token": t.token})
    clock.advance(24 * 3600)
    app.extensions["contactpoint"].engine.tick()
    got: list[Any] = []
    wait_for(lambda: any(m["name"] == "gone" for m in pushes(phone, got)))
    phone.disconnect("/t")
