"""The manager's day close (`/manage/day/close`) and `contactpoint day close`, alone and beside a running
server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from contactpoint.provisioning.cli import main

from contactpoint import dayclose
from contactpoint.store import EventStore
from tests.conftest import post_login

PASSWORD = "a long password"


def _login(app: Any, client: Any, role: str = "manager") -> str:
    from contactpoint.auth import hash_password

    app.extensions["contactpoint"].store.add_agent("maria", hash_password(PASSWORD), role, 0.0)
    post_login(client, "/manage/login", {"name": "maria", "password": PASSWORD})
    post_login(client, "/counter/login", {"name": "maria", "password": PASSWORD})
    page = client.get("/counter/").get_data(as_text=True)
    m = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert m
    return m.group(1)


def _closes(app: Any) -> list[dict[str, Any]]:
    return [e.data for e in app.extensions["contactpoint"].store.events() if e.type == "day_closed"]


def test_only_a_manager_closes_the_day_and_only_when_confirmed(app: Any, client: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    engine.issue(need="moving", lang="fr", check_open=False)
    assert client.get("/manage/day/close").status_code == 302  # a stranger goes to the login page
    csrf = _login(app, client, role="agent")
    assert client.post("/manage/day/close", data={"csrf_token": csrf, "confirm": "yes"}).status_code in (302, 403)
    assert _closes(app) == []

    client.post("/counter/logout", headers={"X-CSRF-Token": csrf})
    csrf = _login(app, client)
    page = client.get("/manage/day/close?lang=en").get_data(as_text=True)
    assert 'data-closed="false"' in page and "Now: 1 waiting, 0 at a counter." in page
    assert client.post("/manage/day/close", data={"confirm": "yes"}).status_code == 403  # no CSRF token
    r = client.post("/manage/day/close?lang=fr", data={"csrf_token": csrf})  # not confirmed: a clear 400
    assert r.status_code == 400 and "Cochez la case" in r.get_data(as_text=True)
    assert _closes(app) == []

    r = client.post("/manage/day/close?lang=en", data={"csrf_token": csrf, "confirm": "yes"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-closed="true"' in page
    assert "1 visitor(s) still waiting counted as abandoned" in page
    (closed,) = _closes(app)
    assert (closed["cause"], closed["by"], closed["abandoned"]) == ("manager", "maria", {"moving": 1})

    r = client.post("/manage/day/close?lang=en", data={"csrf_token": csrf, "confirm": "yes"}, follow_redirects=True)
    assert "already closed" in r.get_data(as_text=True) and len(_closes(app)) == 1  # twice: harmless


def test_the_command_closes_the_day_when_no_server_runs(tmp_path: Path) -> None:
    from contactpoint.config import SAMPLE_SITE, load_site
    from contactpoint.engine import Engine

    store = EventStore(tmp_path / "contactpoint.sqlite3")
    Engine(load_site(SAMPLE_SITE).site, store).issue(need="moving", lang="fr", check_open=False)
    store.close()
    result = CliRunner().invoke(main, ["day", "close", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "closed: 1 still waiting counted as abandoned" in result.output
    result = CliRunner().invoke(main, ["day", "close", "--data", str(tmp_path)])
    assert result.exit_code == 0 and "already closed" in result.output
    result = CliRunner().invoke(main, ["day", "close", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "no database" in result.output


def test_the_command_asks_a_running_server(tmp_path: Path) -> None:
    from contactpoint.config import SAMPLE_SITE, load_site
    from contactpoint.engine import Engine

    store = EventStore(tmp_path / "contactpoint.sqlite3", exclusive=True)  # as the server holds it
    engine = Engine(load_site(SAMPLE_SITE).site, store)
    engine.issue(need="moving", lang="fr", check_open=False)
    cmd = [sys.executable, "-m", "contactpoint.provisioning.cli", "day", "close", "--data", str(tmp_path)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        while proc.poll() is None:  # the server's day-close timer, ticking until the command has its answer
            dayclose.tick(engine)
            try:
                proc.wait(0.2)
            except subprocess.TimeoutExpired:
                pass
        out, _ = proc.communicate()
    assert proc.returncode == 0, out
    assert "asking it" in out and "closed: 1 still waiting counted as abandoned" in out
    assert engine.day_closed()
    store.close()


def test_an_unanswered_request_is_withdrawn(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "contactpoint.sqlite3", exclusive=True)  # a server whose timer never ticks
    assert dayclose.request_close(Path(store.path), None, timeout_s=0.0) is None
    assert store.db.execute("SELECT count(*) FROM day_close_requests").fetchone()[0] == 0
    store.close()


def test_the_kiosk_says_the_contact_point_is_closed_once_the_day_closed(app: Any, client: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    engine.issue(need="moving", lang="fr", check_open=False)
    assert 'name="need"' in client.get("/kiosk/fr/").get_data(as_text=True)  # the needs screen
    dayclose.close_now(engine, "manager", "maria")
    page = client.get("/kiosk/fr/").get_data(as_text=True)
    assert "Le point de contact est fermé" in page and 'name="need"' not in page
    r = client.post("/kiosk/fr/ticket", data={"need": "moving"})
    assert r.status_code == 303 and "site_closed" in r.location
    assert engine.tickets() == ()
