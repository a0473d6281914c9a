"""Device pairing with test clients (docs/devices.md): an unpaired browser is refused by every device page, its
JSON and its namespace, with a code; an approval (page or command line) lets it in for its role only; a
revocation refuses it again; the cookie and the database keep what they should and nothing more."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contactpoint.pairing import COOKIE
from contactpoint.pairing_sockets import log_changes, sweep
from tests.conftest import BRUSSELS, Clock, post_login
from tests.kiosk_support import close_app, make_app

DEVICE_PATHS = ["/kiosk/", "/kiosk/fr/", "/display/", "/display/state", "/counter/", "/counter/login", "/feedback/",
                "/feedback/state"]


@pytest.fixture
def box_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A box on a site file without [devices]: pairing is required, as on a real site. Its clock is the real
    time's, as the command line's is."""
    monkeypatch.delenv("CONTACTPOINT_PAIRING", raising=False)
    app = make_app(tmp_path, Clock(datetime.now(tz=BRUSSELS)))
    yield app
    close_app(app)


def english(app: Any) -> Any:
    """A test client whose browser asks for English (the sample site's default is French)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def code_of(resp: Any) -> str:
    m = re.search(r'id="pairing-code"[^>]*>([A-Z0-9]+)<', resp.get_data(as_text=True))
    assert m, resp.get_data(as_text=True)[:400]
    return m.group(1)


def events_of(app: Any, *types: str) -> list[dict[str, Any]]:
    return [ev.data for ev in app.extensions["contactpoint"].store.events() if ev.type in types]


def approve(app: Any, code: str, role: str, name: str = "Waiting room left") -> Any:
    d = app.extensions["devices"].approve(code, role, name, "tom", 0.0)
    log_changes(app)
    return d


def test_an_unpaired_browser_gets_a_code_on_every_device_page_and_nothing_else(box_app: Any) -> None:
    client = english(box_app)
    first = client.get("/display/")
    assert first.status_code == 403
    code = code_of(first)
    assert re.fullmatch(r"[ACDEFGHJKMNPQRTUVWXY34679]{6}", code)
    page = first.get_data(as_text=True)
    assert "waiting-room display" in page and f"approve code {code} on /manage/devices" in page
    assert f"contactpoint device approve {code} --role display" in page
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=34560000" in cookie
    for path in DEVICE_PATHS:
        resp = client.get(path)
        assert resp.status_code == 403, path
        if resp.is_json:
            assert resp.json["error"] == "device_not_paired" and resp.json["code"] == code, path
        else:
            assert code_of(resp) == code, path  # one browser, one code, whatever page it tries
    assert client.post("/feedback/api/taps", json={"score": 4}).status_code == 403
    assert client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"}).status_code == 403
    assert box_app.extensions["contactpoint"].engine.tickets() == ()  # refused: nothing happened
    # not device pages: the static files, the API, the phone, the manager's login
    for path in ("/kiosk/static/kiosk.css", "/api/health", "/api/state", "/manage/login", "/"):
        resp = client.get(path)
        resp.close()
        assert resp.status_code == 200, path
    assert client.get("/pairing/status").json == {"paired": False, "code": code}


def test_the_page_is_in_the_browsers_language(box_app: Any) -> None:
    resp = box_app.test_client().get("/kiosk/", headers={"Accept-Language": "nl"})
    assert resp.status_code == 403 and 'lang="nl"' in resp.get_data(as_text=True)
    assert "Koppelcode" in resp.get_data(as_text=True)


def test_an_approved_device_opens_its_own_page_only_until_it_is_revoked(box_app: Any) -> None:
    client = english(box_app)
    code = code_of(client.get("/display/"))
    secret = client.get_cookie(COOKIE).value
    device = approve(box_app, code, "display")
    assert client.get("/pairing/status").json == {"paired": True, "role": "display"}
    assert client.get("/display/").status_code == 200
    assert client.get("/display/state").status_code == 200
    wrong = client.get("/kiosk/")  # the role binds it: a display is no kiosk
    assert wrong.status_code == 403 and 'id="pairing-code"' not in wrong.get_data(as_text=True)
    assert "(waiting-room display): it cannot open this page (kiosk)" in wrong.get_data(as_text=True)
    # the box keeps the secret's hash only, never the secret
    db = sqlite3.connect(box_app.extensions["contactpoint"].store.path)
    (stored,) = db.execute("SELECT credential_hash FROM devices WHERE id = ?", (device.id,)).fetchone()
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    dump = "\n".join(db.iterdump())
    assert secret not in dump
    db.close()
    row = box_app.extensions["devices"].find(str(device.id))
    assert row.last_page == "/display/" and row.version and row.last_contact is not None

    assert box_app.extensions["devices"].revoke(device.id, "tom", 1.0)
    again = client.get("/display/")
    assert again.status_code == 403
    assert code_of(again) != code and client.get_cookie(COOKIE).value != secret  # a new secret, a new code
    assert events_of(box_app, "device_approved") == [{"device": device.id, "role": "display",
                                                      "name": "Waiting room left", "by": "tom"}]
    log_changes(box_app)
    assert [e["device"] for e in events_of(box_app, "device_revoked")] == [device.id]
    assert secret not in str(events_of(box_app, "device_approved", "device_revoked"))


def test_namespaces_refuse_an_unpaired_browser_and_take_a_paired_one(box_app: Any) -> None:
    socketio = box_app.extensions["contactpoint"].socketio
    client = english(box_app)
    code = code_of(client.get("/kiosk/"))
    for ns in ("/kiosk", "/display", "/counter", "/feedback"):
        sio = socketio.test_client(box_app, namespace=ns, flask_test_client=client)
        assert not sio.is_connected(ns), ns
    approve(box_app, code, "kiosk", "Entrance")
    sio = socketio.test_client(box_app, namespace="/kiosk", flask_test_client=client)
    assert sio.is_connected("/kiosk")
    assert not socketio.test_client(box_app, namespace="/display", flask_test_client=client).is_connected("/display")
    connected = english(box_app).get("/api/health").json["devices"]
    assert connected == {"pairing": "required", "paired": 1, "connected": 1, "pending": 0}
    sio.disconnect("/kiosk")
    assert english(box_app).get("/api/health").json["devices"]["connected"] == 0


def _manage(app: Any, role: str) -> Any:
    from contactpoint.auth import hash_password

    app.extensions["contactpoint"].store.add_agent("tina", hash_password("correct horse battery"), role, 0.0)
    client = english(app)
    post_login(client, "/manage/login", {"name": "tina", "password": "correct horse battery"})
    page = client.get("/manage/devices")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    return client, page, token.group(1) if token else ""


def test_a_technician_approves_refuses_and_revokes_on_the_devices_page(box_app: Any) -> None:
    device_client = english(box_app)
    code = code_of(device_client.get("/counter/"))
    client, page, csrf = _manage(box_app, "technician")
    assert page.status_code == 200 and code in page.get_data(as_text=True)
    # bad input: a clear 4xx, nothing changes
    for form, status in (({"code": code, "role": "counter", "name": " "}, 400),
                         ({"code": code, "role": "printer", "name": "Desk 1"}, 400),
                         ({"code": "AAAAAA", "role": "counter", "name": "Desk 1"}, 404)):
        resp = client.post("/manage/devices/approve", data={**form, "csrf_token": csrf})
        assert resp.status_code == status, form
    no_token = {"code": code, "role": "counter", "name": "Desk 1"}
    assert client.post("/manage/devices/approve", data=no_token).status_code == 403
    assert box_app.extensions["devices"].devices() == [] and events_of(box_app, "device_approved") == []
    resp = client.post("/manage/devices/approve", data={"code": code.lower(), "role": "counter", "name": "Desk 1",
                                                        "csrf_token": csrf})
    assert resp.status_code == 303
    assert device_client.get("/counter/login").status_code == 200  # the counter keeps its agent login
    listed = client.get("/manage/devices").get_data(as_text=True)
    assert "Desk 1" in listed and "/counter/login" in listed and "tina" in listed
    assert events_of(box_app, "device_approved") == [{"device": 1, "role": "counter", "name": "Desk 1",
                                                      "by": "tina"}]
    # another browser's code, refused
    other = english(box_app)
    other_code = code_of(other.get("/feedback/"))
    assert client.post("/manage/devices/refuse", data={"code": other_code, "csrf_token": csrf}).status_code == 303
    assert other.get("/pairing/status").json == {"paired": False}
    assert code_of(other.get("/feedback/")) != other_code
    # revoke
    assert client.post("/manage/devices/1/revoke", data={"csrf_token": csrf}).status_code == 303
    assert device_client.get("/counter/login").status_code == 403
    assert client.post("/manage/devices/1/revoke", data={"csrf_token": csrf}).status_code == 404
    assert [e["by"] for e in events_of(box_app, "device_revoked")] == ["tina"]
    # a technician sees the devices page, not the manager's
    assert client.get("/manage/today").status_code == 403


def test_the_devices_page_is_for_technicians_and_managers_only(box_app: Any) -> None:
    assert english(box_app).get("/manage/devices").status_code == 302  # to the login
    _client, page, _csrf = _manage(box_app, "manager")
    assert page.status_code == 200


def test_an_agent_may_not_open_the_devices_page(box_app: Any) -> None:
    from contactpoint.auth import hash_password

    box_app.extensions["contactpoint"].store.add_agent("ann", hash_password("correct horse battery"), "agent", 0.0)
    client = english(box_app)
    approve(box_app, code_of(client.get("/counter/")), "counter", "Desk 1")
    post_login(client, "/counter/login", {"name": "ann", "password": "correct horse battery"})
    assert client.get("/counter/").status_code == 200
    assert client.get("/manage/devices").status_code == 403


def test_the_command_line_pairs_and_revokes_beside_the_running_server(box_app: Any, tmp_path: Path) -> None:
    from contactpoint.provisioning.cli import main

    data = str(tmp_path / "data")
    client = english(box_app)
    code = code_of(client.get("/display/?zone=left"))
    runner = CliRunner()
    result = runner.invoke(main, ["device", "approve", code, "--role", "display", "--name", "Waiting room left",
                                  "--data", data])
    assert result.exit_code == 0, result.output
    assert "paired as display" in result.output and "within a few seconds" in result.output  # the server holds it
    assert client.get("/display/").status_code == 200  # at the next request: no cache to wait for
    assert events_of(box_app, "device_approved") == []
    sweep(box_app)  # the server's sweep logs the command line's change
    assert events_of(box_app, "device_approved")[0]["by"] == "cli"
    again = runner.invoke(main, ["device", "approve", code, "--role", "display", "--name", "x", "--data", data])
    assert again.exit_code == 1 and "no device shows code" in again.output
    listed = runner.invoke(main, ["device", "list", "--data", data])
    assert "Waiting room left\tdisplay\tactive" in listed.output and "page /display/" in listed.output
    revoked = runner.invoke(main, ["device", "revoke", "Waiting room left", "--data", data])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/display/").status_code == 403
    assert runner.invoke(main, ["device", "revoke", "1", "--data", data]).exit_code == 1
    sweep(box_app)
    assert events_of(box_app, "device_revoked")[0]["by"] == "cli"


def test_the_command_line_refuses_bad_input(tmp_path: Path) -> None:
    from contactpoint.provisioning.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["device", "list", "--data", str(tmp_path)]).exit_code == 1  # no database
    bad = runner.invoke(main, ["device", "approve", "0O1", "--role", "display", "--name", "x", "--data", str(tmp_path)])
    assert bad.exit_code == 1 and "not a pairing code" in bad.output
    role = runner.invoke(main, ["device", "approve", "ACDEFG", "--role", "tv", "--name", "x", "--data", str(tmp_path)])
    assert role.exit_code == 2


def test_first_sight_pairs_a_new_browser_at_its_first_page_without_logging_it(tmp_path: Path, clock: Any,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTACTPOINT_PAIRING", "first-sight")
    app = make_app(tmp_path, clock)
    try:
        client = app.test_client()
        assert client.get("/display/state").status_code == 200  # a script without a cookie: let through, not kept
        assert app.extensions["devices"].devices() == []
        assert client.get("/kiosk/").status_code == 200
        (device,) = app.extensions["devices"].devices()
        assert device.role == "kiosk" and device.approved_by == "first-sight"
        assert client.get("/display/").status_code == 200  # no role binding in the demo
        client.get("/kiosk/fr/ticket/k7p3qxk7p3qxk7p3qxk7p3")  # a visitor's token never lands in the devices table
        assert app.extensions["devices"].devices()[0].last_page == "/kiosk/fr/ticket/<token>"
        assert events_of(app, "device_approved") == []
        app.extensions["devices"].revoke(device.id, "tom", 1.0)
        assert client.get("/kiosk/").status_code == 403  # a revoked browser needs an approval, even here
    finally:
        close_app(app)


def test_the_site_file_says_how_devices_pair(tmp_path: Path) -> None:
    from contactpoint.config import SAMPLE_SITE, ConfigError, load_site

    assert load_site(SAMPLE_SITE).pairing == "required"
    site = tmp_path / "site.toml"
    site.write_text(SAMPLE_SITE.read_text() + '\n[devices]\npairing = "first-sight"\n')
    assert load_site(site).pairing == "first-sight"
    for bad, key in (('pairing = "open"', "devices.pairing"), ("pair = 1", "devices.pair")):
        site.write_text(SAMPLE_SITE.read_text() + f"\n[devices]\n{bad}\n")
        with pytest.raises(ConfigError, match=key):
            load_site(site)


def test_the_demo_pairs_on_first_sight_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    from contactpoint.provisioning.cli import main

    from contactpoint import server

    monkeypatch.delenv("CONTACTPOINT_PAIRING", raising=False)
    served: list[Any] = []
    monkeypatch.setattr(server, "serve", lambda app, host, port: served.append(app))
    with caplog.at_level("WARNING", logger="contactpoint.pairing"):
        result = CliRunner().invoke(main, ["demo", "--data", str(tmp_path / "data"), "--port", "1"])
    (app,) = served
    try:
        assert result.exit_code == 0, result.output
        assert "devices: paired on first sight" in result.output
        assert "pairing on first sight" in caplog.text
        assert english(app).get("/display/").status_code == 200
    finally:
        close_app(app)
