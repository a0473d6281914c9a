"""Bad input gets a clear 4xx in the user's language and changes nothing: tokens of any shape, bodies too deep or
too large for any route, JSON errors from JSON routes, and Socket.IO packets nested too deep."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from typing import Any

import pytest

from contactpoint.guard import MAX_JSON_DEPTH, is_json_route, json_depth
from tests.conftest import post_login

BAD_TOKENS = ["%C4%B0", "%C4%B0" * 22, "%E2%80%8B" + "a" * 21, "%00" * 22]
DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 KB: under MAX_CONTENT_LENGTH, far too deep for the JSON parser


@pytest.fixture
def routes(app: Any) -> list[Any]:
    """Every rule of the app, found from its url_map (a new route is covered by itself): (rule, methods, JSON?)."""
    from flask import request

    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static" and not r.endpoint.endswith(".static")]
    json_rules = set()
    for r in rules:
        with app.test_request_context():
            request.url_rule = r
            if is_json_route():
                json_rules.add(r.rule)
    return [(r.rule, sorted(r.methods or ()), r.rule in json_rules) for r in rules]


def url_of(rule: str, value: str = "x") -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "fr" if m.group(1) == "lang" else value, rule)


def test_json_depth_counts_without_recursing() -> None:
    assert json_depth(b'{"needs": ["a", "b"]}') == 2
    assert json_depth(b'{"note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\" [[[["}') == 1  # brackets in strings
    assert json_depth(DEEP) == 100_000
    assert json_depth(DEEP, MAX_JSON_DEPTH) == MAX_JSON_DEPTH + 1  # stops counting as soon as it is too deep
    assert json_depth(b"[[1], [2], [3]]", 4) <= 4
    # an unterminated string runs to the end (the parser stops there too): what follows is never counted, and
    # 240 KB of `\"` are read once, not once per quote (that was minutes of CPU for one request)
    assert json_depth(b'"' + b'\\"' * 120_000 + b"[" * 30, MAX_JSON_DEPTH) == 0
    # in UTF-16, a `\"` is not the two bytes `\` `"`: counted as the parser reads it, not byte by byte
    tricky = ('["\\"", ' + "[" * 50 + "]" * 50 + "]").encode("utf-16-le")
    assert json_depth(tricky) == 51


@pytest.mark.parametrize("url", ["/kiosk/fr/ticket/{t}", "/kiosk/fr/speech?text_id=ticket&token={t}", "/t/{t}"])
@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_token_of_any_shape_is_a_clear_404(app: Any, client: Any, url: str, token: str) -> None:
    app.extensions["contactpoint"].engine.issue(need="moving", lang="fr", check_open=False)  # a token to compare
    r = client.get(url.format(t=token))
    assert r.status_code == 404


def test_a_non_ascii_csrf_token_is_a_403_not_a_500(agent: Any, client: Any) -> None:
    agent.login()
    r = client.post("/counter/api/close", json={}, headers={"X-CSRF-Token": "İ".encode().decode("latin-1")})
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"


def test_every_json_route_answers_bad_arguments_in_json(app: Any, client: Any, agent: Any, routes: list[Any]) -> None:
    agent.login()
    seen = []
    for rule, methods, is_json in routes:
        if not is_json or "GET" not in methods or "<" not in rule:
            continue
        seen.append(rule)
        for value in ("nope", "%C4%B0" * 22):
            r = client.get(url_of(rule, value), headers={"Accept-Language": "nl"})
            assert 400 <= r.status_code < 500, rule
            assert r.mimetype == "application/json", rule
            assert set(r.get_json()) == {"error", "message"}, rule
    assert {"/t/<token>/state", "/display/announcement/<ticket_id>"} <= set(seen)
    r = client.get("/t/nope/state", headers={"Accept-Language": "nl"})
    assert r.get_json() == {"error": "not_found", "message": "Deze pagina bestaat niet."}


def test_every_post_route_refuses_a_deep_body_before_parsing_it(
    app: Any, client: Any, agent: Any, routes: list[Any]
) -> None:
    agent.login()
    posts = [rule for rule, methods, _ in routes if "POST" in methods]
    assert {"/kiosk/api/tickets", "/counter/api/<command>", "/manage/appointments"} <= set(posts)
    before = app.extensions["contactpoint"].engine.seq()
    for rule in posts:
        for body in (DEEP, b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)):
            r = client.post(
                url_of(rule, "open"),
                data=body,
                content_type="application/json",
                headers={"X-CSRF-Token": agent.csrf, "Accept-Language": "de"},
            )
            assert r.status_code == 400, rule
            said = "Cette demande n'est pas valable." if "<lang>" in rule else "Diese Anfrage ist nicht gültig."
            assert r.get_json() == {"error": "bad_request", "message": said}, rule
    assert app.extensions["contactpoint"].engine.seq() == before  # nothing changed


def test_every_post_route_refuses_a_body_too_large(app: Any, client: Any, routes: list[Any]) -> None:
    big = b'{"need": "' + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1) + b'"}'
    for rule, methods, _ in routes:
        if "POST" in methods:
            r = client.post(url_of(rule), data=big, content_type="application/json")
            assert r.status_code == 413, rule
            assert r.mimetype == "application/json", rule


def test_a_deep_body_to_the_kiosk_is_refused_in_the_visitors_language(client: Any) -> None:
    r = client.post("/kiosk/api/tickets", data=DEEP, content_type="application/json", headers={"Accept-Language": "tr"})
    assert r.status_code == 400
    assert r.get_json()["message"] == "Bu istek geçerli değil."
    # a shallow body is still served
    assert client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"}).status_code == 201


def next_message(ws: Any) -> str:
    """The next Socket.IO message, Engine.IO pings answered on the way; at most three (15 s), never forever."""
    for _ in range(4):
        msg = str(ws.recv())
        if msg != "2":
            return msg
        ws.send("3")
    raise AssertionError("only pings: the box never answered")


def test_a_socket_packet_nested_too_deep_is_refused_and_the_socket_goes_on(live: Any) -> None:
    import websocket

    url = f"ws://127.0.0.1:{live.port}/socket.io/?EIO=4&transport=websocket"
    deep = "[" * 100_000 + "]" * 100_000
    ws = websocket.create_connection(url, timeout=10)
    try:
        assert next_message(ws).startswith("0")  # the Engine.IO handshake
        ws.send("40/display,")
        assert next_message(ws).startswith("40/display,")
        ws.send(f'42/display,1["alive",{deep}]')
        ws.send('42/display,2["alive",[[1]]]')
        assert next_message(ws) == "43/display,1[]"  # no handler saw the deep one
        assert next_message(ws) == "43/display,2[true]"  # and the socket goes on
        ws.send(f'40/t,{{"token":{deep}}}')  # a phone's auth, too deep
        assert next_message(ws).startswith("44/t,")  # refused like any phone without a valid token
        ws.send('42/display,4["alive"]')
        assert next_message(ws) == "43/display,4[true]"
    finally:
        ws.close()
    # a message larger than MAX_CONTENT_LENGTH closes that socket only
    big = websocket.create_connection(url, timeout=10)
    try:
        next_message(big)
        big.send("40/display,")
        next_message(big)
        big.send('42/display,3["alive","' + "a" * 300_000 + '"]')
        assert next_message(big) == ""  # the close frame
    finally:
        big.close()
        big.shutdown()  # the server closed first: close() alone leaves the socket open
    with urllib.request.urlopen(f"{live.url}/api/health", timeout=5) as r:
        assert r.status == 200
    log = live.log.read_text()
    assert "RecursionError" not in log and "Traceback" not in log
    assert log.count("Socket.IO packet dropped: a packet nested deeper than 20 levels") == 2


# -- values copied into a redirect's Location header ----------------------------------------------------------
@pytest.mark.parametrize("junk", ["2026-11-25" + "x" * 100_000, "2026-11-25\r\nX-Evil: 1", "<script>", "2026-13-01"])
def test_form_values_never_reach_a_location_header_unchecked(app: Any, client: Any, junk: str) -> None:
    from tests.test_appointments import manager

    csrf = manager(app, client)
    form = {"csrf_token": csrf, "date": junk, "time": "11:15", "need": "documents"}
    r = client.post("/manage/appointments", data=form)
    assert r.status_code == 303 and r.headers["Location"] == "/manage/appointments"
    r = client.post("/manage/appointments", data=form | {"date": "2026-11-26", "time": "soon"})
    assert r.status_code == 303 and r.headers["Location"] == "/manage/appointments?day=2026-11-26"
    r = client.post("/manage/appointments/nope/cancel", data={"csrf_token": csrf, "day": junk})
    assert r.status_code == 303 and r.headers["Location"] == "/manage/appointments"
    r = client.post("/manage/appointments/nope/cancel", data={"csrf_token": csrf, "day": "2026-11-26"})
    assert r.headers["Location"] == "/manage/appointments?day=2026-11-26"
    assert client.get("/manage/appointments", query_string={"day": junk}).status_code == 200  # today's list
    assert not app.extensions["contactpoint"].engine.appointments()  # nothing booked


@pytest.mark.parametrize("nxt", ["/manage/\r\nX-Evil: 1", "/manage/" + "a" * 100_000, "/manage/../counter/"])
def test_a_login_leads_back_only_to_a_plain_manager_path(app: Any, client: Any, nxt: str) -> None:
    from contactpoint.auth import hash_password

    app.extensions["contactpoint"].store.add_agent("maria", hash_password("a long password"), "manager", 0.0)
    form = {"name": "maria", "password": "a long password"}
    r = post_login(client, "/manage/login", form, query_string={"next": nxt})
    assert r.status_code == 303 and r.headers["Location"] == "/manage/today"  # the Today page
    r = post_login(client, "/manage/login?next=/manage/appointments", {"name": "maria", "password": "a long password"})
    assert r.headers["Location"] == "/manage/appointments"


@pytest.mark.parametrize("value", ["%C4%B0", "%00", "a" * 2000, "..%2F..%2Fetc", "%F0%9F%98%80"])
def test_no_route_answers_odd_arguments_with_a_500(
    app: Any, client: Any, agent: Any, routes: list[Any], value: str
) -> None:
    """Every route, every method, an odd value in each part of its address and query (TESTING: a 500 raises)."""
    agent.login()
    app.extensions["contactpoint"].engine.issue(need="moving", lang="fr", check_open=False)
    for rule, methods, _ in routes:
        url = re.sub(r"<(?:\w+:)?(\w+)>", value, rule)
        raw = urllib.parse.unquote(value)
        query = {k: raw for k in ("token", "kind", "need", "at", "zone", "counter", "day", "next", "created")}
        header = raw.replace("\x00", "").encode().decode("latin-1")  # as a crafted header reaches the box
        for method in set(methods) & {"GET", "POST"}:
            for text_id in ("ticket", "notice", raw):
                r = client.open(
                    url, method=method, query_string=query | {"text_id": text_id}, headers={"X-CSRF-Token": header}
                )
                assert r.status_code < 500, (method, rule)
