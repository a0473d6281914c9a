"""Agent accounts, sessions, roles, CSRF and login throttling (Flask's test client, the CLI through click)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner

from contactpoint.auth import new_password
from tests.conftest import AuthActions, login_token, post_login

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def english(client: Any) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the sample site speaks French by default


def login_as(client: Any, name: str, password: str = PASSWORD) -> None:
    """Log in without touching the account (AuthActions.login re-creates it with the role "agent")."""
    assert post_login(client, "/counter/login", {"name": name, "password": password}).status_code == 303


def csrf_of(client: Any, path: str = "/counter/") -> str:
    page = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf-token" content="([^"]+)"', page) or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, page[:500]
    return m.group(1)


def test_passwords_are_hashed_with_scrypt_and_never_stored_in_clear(app: Any, agent: AuthActions) -> None:
    agent.create("alice", PASSWORD)
    pw_hash, role, active = app.extensions["contactpoint"].store.agent("alice")
    assert pw_hash.startswith("scrypt:") and PASSWORD not in pw_hash
    assert role == "agent" and active


def test_wrong_password_unknown_name_and_disabled_account_are_refused_alike(
    app: Any, client: Any, agent: AuthActions
) -> None:
    agent.create("alice", PASSWORD)
    for name, pw in (("alice", "wrong password!"), ("nobody", PASSWORD)):
        r = post_login(client, "/counter/login", {"name": name, "password": pw})
        assert r.status_code == 401 and "Wrong name or password" in r.get_data(as_text=True)
    app.extensions["contactpoint"].store.set_agent_active("alice", False)
    r = post_login(client, "/counter/login", {"name": "alice", "password": PASSWORD})
    assert r.status_code == 401
    assert client.get("/counter/").status_code == 302


def test_a_disabled_agents_session_stops_at_the_next_request(app: Any, client: Any, agent: AuthActions) -> None:
    agent.login()
    assert agent.cmd("open", counter="1", needs=["moving"]).status_code == 200
    assert client.get("/counter/api/state").status_code == 200
    app.extensions["contactpoint"].store.set_agent_active("alice", False)
    assert client.get("/counter/api/state").status_code == 401
    assert agent.cmd("call-next").status_code == 401
    # enabling the account again does not revive the old session: it was cleared
    app.extensions["contactpoint"].store.set_agent_active("alice", True)
    assert client.get("/counter/api/state").status_code == 401


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app: Any, client: Any, agent: AuthActions) -> None:
    from contactpoint.auth import hash_password

    agent.login()
    assert client.get("/counter/").status_code == 200
    app.extensions["contactpoint"].store.add_agent("alice", hash_password("a brand new password"), "agent", 0.0)
    assert client.get("/counter/").status_code == 302  # back to the login page
    assert agent.cmd("call-next").status_code == 401
    agent.login("alice", "a brand new password")
    assert client.get("/counter/").status_code == 200


def test_the_session_ends_after_the_idle_timeout_but_not_while_the_agent_works(
    app: Any, client: Any, agent: AuthActions, clock: Any
) -> None:
    app.config["AGENT_IDLE_TIMEOUT"] = 3600
    agent.login()
    for _ in range(4):  # 4 × 50 min of activity: each request refreshes the idle clock
        clock.advance(50 * 60)
        assert client.get("/counter/api/state").status_code == 200
    clock.advance(3601)
    assert client.get("/counter/api/state").status_code == 401
    assert client.get("/counter/").status_code == 302


def test_the_session_cookie_is_permanent_httponly_and_lax(client: Any, agent: AuthActions) -> None:
    r = agent.login()
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_logout_needs_the_csrf_token_and_ends_the_session(client: Any, agent: AuthActions) -> None:
    agent.login()
    assert client.post("/counter/logout").status_code == 403
    assert client.post("/counter/logout", data={"csrf_token": agent.csrf}).status_code == 303
    assert client.get("/counter/api/state").status_code == 401


def test_counter_commands_need_the_csrf_header(client: Any, agent: AuthActions) -> None:
    agent.login()
    r = client.post("/counter/api/open", json={"counter": "1", "needs": ["moving"]}, headers={"X-CSRF-Token": "x"})
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"


def test_one_agents_failed_logins_never_hold_a_colleague_behind_the_same_address(
    app: Any, client: Any, agent: AuthActions, clock: Any
) -> None:
    """A whole site behind one NAT: alice's failures slow alice at that address down, nobody else."""
    agent.create("alice", PASSWORD)
    agent.create("bob", PASSWORD)
    for _ in range(5):  # free
        assert post_login(client, "/counter/login", {"name": "alice", "password": "guess guess"}).status_code == 401
    r = post_login(client, "/counter/login", {"name": "alice", "password": PASSWORD})
    assert r.status_code == 429 and "Too many failed logins" in r.get_data(as_text=True)
    assert int(r.headers["Retry-After"]) == 15
    for _ in range(10):  # a guesser keeps going, waiting each time as long as it must
        clock.advance(900)
        assert post_login(client, "/counter/login", {"name": "alice", "password": "guess guess"}).status_code == 401
    bob = app.test_client()  # the same address (the test client's), another account: never held
    assert post_login(bob, "/counter/login", {"name": "bob", "password": PASSWORD}).status_code == 303
    r = post_login(client, "/counter/login", {"name": "alice", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 900  # doubled up to the 15 min cap
    clock.advance(900)
    assert post_login(client, "/counter/login", {"name": "alice", "password": PASSWORD}).status_code == 303


def test_the_managers_login_page_shares_the_counter_pages_throttle(app: Any, client: Any, agent: AuthActions) -> None:
    agent.create("maria", PASSWORD, role="manager")
    for _ in range(5):  # guesses at the manager's page
        assert post_login(client, "/manage/login", {"name": "maria", "password": "guess"}).status_code == 401
    assert post_login(client, "/manage/login", {"name": "maria", "password": PASSWORD}).status_code == 429
    assert post_login(client, "/counter/login", {"name": "maria", "password": PASSWORD}).status_code == 429


def test_both_login_pages_read_a_name_the_same_way(app: Any, agent: AuthActions) -> None:
    agent.create("Maria Lopes", PASSWORD, role="manager")
    typed = "  Maria   Lopes "  # a tablet keyboard's extra spaces
    assert post_login(app.test_client(), "/counter/login", {"name": typed, "password": PASSWORD}).status_code == 303
    assert post_login(app.test_client(), "/manage/login", {"name": typed, "password": PASSWORD}).status_code == 303


def test_one_time_passwords_are_long_and_differ() -> None:
    pws = {new_password() for _ in range(50)}
    assert len(pws) == 50 and all(len(p) >= 17 for p in pws)


def test_the_agents_page_is_for_managers_only(app: Any, client: Any, agent: AuthActions) -> None:
    r = client.get("/manage/agents")
    assert r.status_code == 302 and r.headers["Location"].startswith("/manage/login")
    r = client.get("/counter/agents")  # its old address: an old bookmark still arrives
    assert r.status_code == 301 and r.headers["Location"] == "/manage/agents"
    agent.login()  # role "agent"
    assert client.get("/manage/agents").status_code == 403
    assert "/manage/agents" not in client.get("/counter/").get_data(as_text=True)


def test_a_manager_creates_an_account_sees_its_password_once_and_disables_it(
    app: Any, client: Any, agent: AuthActions
) -> None:
    agent.create("maria", PASSWORD, role="manager")
    login_as(client, "maria")
    page = client.get("/manage/agents")
    assert page.status_code == 200
    token = csrf_of(client, "/manage/agents")
    # without the form's CSRF token: refused, nothing created
    assert client.post("/manage/agents", data={"name": "bob", "role": "agent"}).status_code == 403
    assert app.extensions["contactpoint"].store.agent("bob") is None
    r = client.post("/manage/agents", data={"name": "bob", "role": "agent", "csrf_token": token})
    assert r.status_code == 303 and "created=" in r.headers["Location"]
    page = client.get(r.headers["Location"])
    assert page.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="new-password">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert password not in client.get(r.headers["Location"]).get_data(as_text=True)  # shown once
    bob = app.test_client()
    bob.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert post_login(bob, "/counter/login", {"name": "bob", "password": password}).status_code == 303
    assert bob.get("/counter/api/state").status_code == 200
    # a bad name is refused with a clear message
    r = client.post("/manage/agents", data={"name": "x" * 61, "role": "agent", "csrf_token": token})
    assert r.status_code == 400 and "1 to 60 characters" in r.get_data(as_text=True)
    # disable: bob's session stops at once; a manager cannot disable themself
    r = client.post("/manage/agents/bob/disable", data={"csrf_token": token})
    assert r.status_code == 303
    assert bob.get("/counter/api/state").status_code == 401
    assert client.post("/manage/agents/maria/disable", data={"csrf_token": token}).status_code == 400
    assert client.post("/manage/agents/nobody/disable", data={"csrf_token": token}).status_code == 404
    r = client.post("/manage/agents/bob/enable", data={"csrf_token": token})
    assert r.status_code == 303 and app.extensions["contactpoint"].store.agent("bob")[2]


def test_a_demoted_manager_loses_the_agents_page_at_the_next_request(app: Any, client: Any, agent: AuthActions) -> None:
    from contactpoint.auth import hash_password

    agent.create("maria", PASSWORD, role="manager")
    login_as(client, "maria")
    assert client.get("/manage/agents").status_code == 200
    store = app.extensions["contactpoint"].store
    with store.write_lock:  # the role alone changes (`agent add` would also set a new password: see above)
        store.db.execute("UPDATE agents SET role = 'agent' WHERE name = 'maria'")
    assert client.get("/manage/agents").status_code == 403
    store.add_agent("maria", hash_password(PASSWORD), "manager", 0.0)  # a new hash, even for the same password
    assert client.get("/manage/agents").status_code == 302  # the session ended: log in again


def test_a_disabled_agents_socket_is_closed(app: Any, client: Any, agent: AuthActions) -> None:
    sio = app.extensions["contactpoint"].socketio
    agent.create("maria", PASSWORD, role="manager")
    bob_http = app.test_client()
    AuthActions(app, bob_http).login("bob", PASSWORD)
    bob = sio.test_client(app, namespace="/counter", flask_test_client=bob_http)
    assert bob.is_connected("/counter")
    login_as(client, "maria")
    token = csrf_of(client, "/manage/agents")
    assert client.post("/manage/agents/bob/disable", data={"csrf_token": token}).status_code == 303
    assert not bob.is_connected("/counter")
    assert not sio.test_client(app, namespace="/counter", flask_test_client=bob_http).is_connected("/counter")


def test_cli_lists_disables_and_enables_agents(tmp_path: Any) -> None:
    from contactpoint.provisioning.cli import main

    data = str(tmp_path / "box")
    runner = CliRunner()
    r = runner.invoke(main, ["agent", "list", "--data", data])
    assert r.exit_code != 0 and "no database" in r.output
    r = runner.invoke(main, ["agent", "add", "alice", "--data", data, "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["agent", "add", "maria", "--role", "manager", "--data", data, "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["agent", "list", "--data", data])
    assert r.output.splitlines() == ["alice\tagent\tactive", "maria\tmanager\tactive"]
    r = runner.invoke(main, ["agent", "disable", "alice", "--data", data])
    assert r.exit_code == 0 and "disabled" in r.output
    assert "alice\tagent\tdisabled" in runner.invoke(main, ["agent", "list", "--data", data]).output
    assert runner.invoke(main, ["agent", "disable", "nobody", "--data", data]).exit_code != 0
    r = runner.invoke(main, ["agent", "disable", "alice", "--enable", "--data", data])
    assert r.exit_code == 0 and "alice\tagent\tactive" in runner.invoke(main, ["agent", "list", "--data", data]).output


@pytest.mark.parametrize("path", ["/counter/login", "/manage/login"])
def test_a_login_form_posted_without_its_token_logs_nobody_in(app: Any, agent: AuthActions, path: str) -> None:
    """Login CSRF: another site's form, posted from this browser, carries no token of this browser's session."""
    agent.create("maria", PASSWORD, role="manager")
    form = {"name": "maria", "password": PASSWORD}
    stranger = app.test_client()  # a cross-site POST: the box never gave this session its form
    stranger.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    r = stranger.post(path, data=form)
    assert r.status_code == 403 and "Dieses Formular ist abgelaufen" in r.get_data(as_text=True)
    assert stranger.get("/counter/").status_code == 302  # nobody logged in
    token = login_token(stranger, path)
    r = stranger.post(path, data=form | {"csrf_token": token[::-1]})  # a wrong token
    assert r.status_code == 403 and stranger.get("/counter/").status_code == 302
    other = app.test_client()  # a token from another session is no better
    r = other.post(path, data=form | {"csrf_token": token})
    assert r.status_code == 403 and other.get("/counter/").status_code == 302
    r = stranger.post(path, data=form | {"csrf_token": login_token(stranger, path)})  # the form's own token
    assert r.status_code == 303 and stranger.get("/counter/").status_code == 200


def test_a_refused_login_form_counts_no_failure(app: Any, client: Any, agent: AuthActions) -> None:
    agent.create("alice", PASSWORD)
    for _ in range(30):  # without a token the password is never checked, so never counted
        assert client.post("/counter/login", data={"name": "alice", "password": "guess"}).status_code == 403
    assert post_login(client, "/counter/login", {"name": "alice", "password": PASSWORD}).status_code == 303
