"""A full disk, for real: SQLite's own SQLITE_FULL (the box's database connection limited by `max_page_count`,
exactly what a full SD card gives). Nothing a visitor was shown is lost, the kiosk says to ask at the desk, health
reports it, the log says it once with its real cause, and the box recovers by itself when space returns."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

from contactpoint.store import EventStore
from tests.conftest import Clock
from tests.kiosk_support import close_app, make_app


@pytest.fixture
def kiosk_app(tmp_path: Path, clock: Clock) -> Any:
    app = make_app(tmp_path, clock, config={"PROPAGATE_EXCEPTIONS": False})
    yield app
    close_app(app)


def fill_the_disk(app: Any) -> None:
    db = app.extensions["contactpoint"].store.db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # not one page more: the next page needed is SQLITE_FULL


def take(client: Any, lang: str = "fr") -> Any:
    return client.post(f"/kiosk/{lang}/ticket", data={"need": "moving"})


def test_a_full_disk_says_ask_at_the_desk_and_recovers_by_itself(
    kiosk_app: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, client = kiosk_app, kiosk_app.test_client()
    cp = app.extensions["contactpoint"]
    shown = [take(client).headers["Location"] for _ in range(3)]
    fill_the_disk(app)
    caplog.set_level(logging.INFO)
    refused = None
    for _ in range(500):  # the tables' last pages still have room for a few rows: fill them up
        r = take(client)
        if r.status_code != 303:
            refused = r
            break
        shown.append(r.headers["Location"])
    assert refused is not None, "the database never filled up"
    # the kiosk's own screen, in the visitor's language: ask at the desk
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503 and 'id="k-error"' in page and '<html lang="fr"' in page
    assert "Aucun ticket ne peut être donné pour le moment. Merci de demander à" in page and 'href="/kiosk/fr/"' in page
    nl = take(client, "nl")
    assert nl.status_code == 503 and "Vraag het aan het onthaal" in nl.get_data(as_text=True)
    api = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "de"})
    assert api.status_code == 503 and api.get_json()["error"] == "disk_full_visitor"
    assert "Bitte fragen Sie am Empfang" in api.get_json()["message"]
    # health says it
    health = client.get("/api/health").get_json()
    assert health["storage"] == "full" and health["ok"] is False
    # the real cause, logged once however many visitors tried; never "cannot rollback"
    texts = [r.getMessage() for r in caplog.records]
    assert sum("database or disk is full" in t for t in texts) == 1
    assert not [t for t in texts if "cannot rollback" in t or "Exception on" in t]
    # nothing a visitor was shown is lost: every ticket shown is still there, in memory and on disk
    tokens = []
    for location in shown:
        r = client.get(location)
        assert r.status_code == 200
        tokens.append(re.search(r"/ticket/([^/?]+)", location).group(1))  # type: ignore[union-attr]
    reopened = EventStore(cp.store.path)
    try:
        kept = {t.token for t in reopened.load_state().tickets.values()}
    finally:
        reopened.close()
    assert kept == set(tokens) == {t.token for t in cp.engine.tickets()}

    # space returns: the next visitor gets the next number, with no gap and no repeat
    cp.store.db.execute("PRAGMA max_page_count = 1073741823")
    r = take(client)
    assert r.status_code == 303
    t = cp.engine.ticket_by_token(r.headers["Location"].rsplit("/", 1)[1])
    assert t is not None and t.number == f"A{len(shown) + 1:03d}"
    assert client.get("/api/health").get_json()["storage"] == "ok"
    assert sum("space is back" in r.getMessage() for r in caplog.records) == 1


def test_a_full_disk_tells_the_agent_what_is_wrong(kiosk_app: Any) -> None:
    from tests.conftest import AuthActions

    client = kiosk_app.test_client()
    agent = AuthActions(kiosk_app, client)
    agent.login()
    take(client)
    fill_the_disk(kiosk_app)
    for _ in range(500):
        r = agent.cmd("open", counter="1", needs=["moving"])
        if r.status_code != 200:
            break
        agent.cmd("close")
    assert r.status_code == 503
    assert r.get_json()["error"] == "disk_full" and "disque du boîtier est plein" in r.get_json()["message"]
