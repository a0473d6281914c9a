"""The HTTP and Socket.IO boundary: Flask's test client and Flask-SocketIO's test client."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AuthActions, post_login, wait_for


def events_of(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [ev for msg in received if msg["name"] == "events" for batch in msg["args"] for ev in batch["events"]]


def test_state_snapshot_has_seq_and_no_secrets(client: Any) -> None:
    r = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"})
    assert r.status_code == 201
    token = r.get_json()["token"]
    snap = client.get("/api/state").get_json()
    assert snap["seq"] == 1 and snap["tickets"][0]["number"] == "A001"
    assert token not in client.get("/api/state").get_data(as_text=True)
    assert "note" not in snap["tickets"][0]
    assert {n["id"] for n in snap["site"]["needs"]} >= {"moving", "dont_know"}


def test_kiosk_form_gives_a_ticket_page_and_a_printed_ticket(client: Any, printer: Any) -> None:
    assert "Nederlands" in client.get("/kiosk/").get_data(as_text=True)
    page = client.get("/kiosk/fr/").get_data(as_text=True)
    assert "Je déménage" in page
    r = client.post("/kiosk/fr/ticket", data={"need": "moving"})
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "A001" in page and "<svg" in page
    wait_for(lambda: printer.jobs)
    from contactpoint.hardware.printer import decode_escpos

    text = decode_escpos(printer.jobs[0]).text
    assert "A001" in text and "Je déménage" in text
    assert "prioritaire" not in text.lower()


def test_a_priority_ticket_says_so_on_paper(client: Any, printer: Any) -> None:
    from contactpoint.hardware.printer import decode_escpos

    r = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr", "priority": True})
    assert r.status_code == 201 and r.get_json()["ticket"]["priority"] is True
    wait_for(lambda: printer.jobs)
    text = decode_escpos(printer.jobs[0]).text
    assert "Ticket prioritaire" in text


@pytest.mark.parametrize(
    "body",
    [
        {"need": "nope", "lang": "fr"},
        {"need": "moving", "lang": "xx"},
        {"need": 3, "lang": "fr"},
        {"need": "moving", "lang": "fr", "priority": "yes"},
        ["moving"],
    ],
)
def test_bad_ticket_requests_get_a_clear_4xx_and_change_nothing(client: Any, body: Any) -> None:
    r = client.post("/kiosk/api/tickets", json=body)
    assert 400 <= r.status_code < 500
    j = r.get_json()
    assert j["error"] and j["message"] and j["message"] != j["error"]
    assert client.get("/api/state").get_json()["seq"] == 0


def test_errors_speak_the_visitors_language(client: Any) -> None:
    r = client.post("/kiosk/api/tickets", json={"need": "nope", "lang": "nl"})
    assert r.status_code == 400
    assert r.get_json()["message"] == "Deze dienst bestaat hier niet. Kies er een op het scherm."
    r = client.post("/kiosk/fr/ticket", data={"need": "nope"})
    assert r.status_code == 400 and "Ce service n" in r.get_data(as_text=True)


def test_counter_requires_login_and_csrf(client: Any, agent: AuthActions) -> None:
    assert client.get("/counter/").status_code == 302
    assert client.post("/counter/api/call-next", json={}).status_code == 401
    r = post_login(client, "/counter/login", {"name": "nobody", "password": "wrong password"})
    assert r.status_code == 401
    agent.login()
    r = client.post("/counter/api/open", json={"counter": "1", "needs": ["moving"]})
    assert r.status_code == 403  # no CSRF token
    assert client.get("/api/state").get_json()["seq"] == 0


def test_a_whole_visit_through_the_counter_page(client: Any, agent: AuthActions, clock: Any, app: Any) -> None:
    agent.login()
    assert agent.cmd("open", counter="1", needs=["moving", "housing"]).status_code == 200
    client.post("/kiosk/api/tickets", json={"need": "housing", "lang": "nl"})
    clock.advance(120)
    r = agent.cmd("call-next")
    assert r.status_code == 200 and r.get_json()["events"] == ["ticket_called"]
    assert agent.cmd("call-next").get_json()["error"] == "finish_current_first"
    assert agent.cmd("recall").status_code == 200
    assert agent.cmd("start").status_code == 200
    clock.advance(300)
    assert agent.cmd("finish", outcome="bogus").status_code == 400
    assert agent.cmd("finish", outcome="resolved").status_code == 200
    assert agent.cmd("call-next").get_json()["error"] == "queue_empty"
    store = app.extensions["contactpoint"].store
    types = [e.type for e in store.events()]
    assert types == [
        "counter_opened",
        "ticket_issued",
        "ticket_called",
        "ticket_recalled",
        "service_started",
        "service_finished",
    ]


def test_broadcasts_reach_display_and_counter_with_seq_and_the_help_alert_only_agents(
    app: Any, client: Any, agent: AuthActions
) -> None:
    sio = app.extensions["contactpoint"].socketio
    display = sio.test_client(app, namespace="/display")
    anonymous = sio.test_client(app, namespace="/counter")
    assert display.is_connected("/display")
    assert not anonymous.is_connected("/counter")
    agent.login()
    counter_client = sio.test_client(app, namespace="/counter", flask_test_client=client)
    assert counter_client.is_connected("/counter")
    agent.cmd("open", counter="2", needs=["money"])
    client.post("/kiosk/api/tickets", json={"need": "money", "lang": "fr"})
    agent.cmd("call-next")
    agent.cmd("help")
    shown: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    wait_for(
        lambda: (
            (shown.extend(display.get_received("/display")) or True)
            and any(e["type"] == "ticket_called" for e in events_of(shown))
        )
    )
    wait_for(
        lambda: (
            (seen.extend(counter_client.get_received("/counter")) or True)
            and any(e["type"] == "help_requested" for e in events_of(seen))
        )
    )
    called = next(e for e in events_of(shown) if e["type"] == "ticket_called")
    assert called["tickets"][0]["number"] == "C001" and called["data"]["counter"] == "2"
    assert "agent" not in called["data"] and "token" not in called["tickets"][0]
    # the display never sees the help alert, but its batches cover every seq without a gap
    assert all(e["type"] != "help_requested" for e in events_of(shown))
    batches = [b for m in shown + display.get_received("/display") for b in m["args"]]
    assert batches[0]["from"] == 1
    assert all(b["from"] == a["to"] + 1 for a, b in zip(batches, batches[1:], strict=False))
    assert batches[-1]["to"] == client.get("/api/state").get_json()["seq"]
