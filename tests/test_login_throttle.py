"""The login throttle: per (account, address), a delay that doubles, a looser ceiling per address against
password spraying, bounded tables, and a manager's unlock (page and command line). Time is the engine's clock."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from click.testing import CliRunner

from contactpoint.throttle import LoginThrottle
from tests.conftest import AuthActions, post_login

PASSWORD = "correct horse battery"
NAT = "203.0.113.7"


@pytest.fixture(autouse=True)
def english(client: Any) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def fail_until_held(t: LoginThrottle, name: str, address: str, now: float, n: int) -> float:
    """n failures, each made as soon as the throttle allows it; returns the time after the last."""
    for _ in range(n):
        now += t.retry_after(address, name, now)
        t.failed(address, name, now)
    return now


def test_the_delay_doubles_after_the_free_failures_and_is_capped() -> None:
    t = LoginThrottle(free=3, base_delay=10, max_delay=100)
    assert [t.delay(n) for n in range(1, 9)] == [0, 0, 10, 20, 40, 80, 100, 100]
    now = fail_until_held(t, "alice", NAT, 1000.0, 2)
    assert t.retry_after(NAT, "alice", now) == 0
    t.failed(NAT, "alice", now)
    assert t.retry_after(NAT, "alice", now) == 10 and t.retry_after(NAT, "alice", now + 10) == 0
    now = fail_until_held(t, "alice", NAT, now, 6)
    assert t.retry_after(NAT, "alice", now) == 100


def test_a_streak_is_the_pairs_own() -> None:
    t = LoginThrottle(free=3, base_delay=10)
    now = fail_until_held(t, "alice", NAT, 0.0, 8)
    assert t.retry_after(NAT, "alice", now) > 0
    assert t.retry_after(NAT, "ALICE", now) > 0  # a name is one account whatever its case
    assert t.retry_after(NAT, "bob", now) == 0  # the colleague at the same address
    assert t.retry_after("198.51.100.1", "alice", now) == 0  # alice at another address


def test_a_success_ends_the_streak_and_a_quiet_day_forgets_it() -> None:
    t = LoginThrottle(free=3, base_delay=10, forget_after=3600)
    now = fail_until_held(t, "alice", NAT, 0.0, 4)
    t.succeeded(NAT, "alice", now + 20)
    t.failed(NAT, "alice", now + 21)
    assert t.retry_after(NAT, "alice", now + 21) == 0  # one failure, not five
    now = fail_until_held(t, "bob", NAT, 0.0, 6)
    assert t.retry_after(NAT, "bob", now) > 0
    t.failed(NAT, "bob", now + 3601)
    assert t.retry_after(NAT, "bob", now + 3601) == 0  # an hour without failures: a fresh streak


def test_spraying_from_one_address_hits_its_ceiling_but_never_holds_the_agents_who_work_there() -> None:
    t = LoginThrottle(free=5, per_address=30, window=600)
    t.succeeded(NAT, "bob", 0.0)  # bob works behind this address
    for i in range(30):  # one guess at each of 30 names: no pair reaches its own delay
        t.failed(NAT, f"name{i}", 100.0)
    assert t.retry_after(NAT, "carol", 101.0) == pytest.approx(599.0)  # a 31st name from there waits
    assert t.retry_after(NAT, "bob", 101.0) == 0  # bob has logged in from there: never held by the ceiling
    assert t.retry_after("198.51.100.1", "carol", 101.0) == 0  # another address is not
    assert t.retry_after(NAT, "carol", 701.0) == 0  # the window passed


def test_the_tables_are_bounded() -> None:
    t = LoginThrottle(max_keys=100)
    for i in range(1000):  # a flood of names from countless addresses
        t.failed(f"10.{i // 250}.{i % 250}.1", f"name{i}", float(i))
        t.succeeded(f"10.{i // 250}.{i % 250}.2", f"name{i}", float(i))
    assert len(t._streaks) <= 100 and len(t._unknown_fails) <= 100 and len(t._known) <= 100
    assert t.retry_after("10.3.249.1", "name999", 999.0) == 0  # the newest are the ones kept


def held(app: Any, client: Any, clock: Any, name: str) -> None:
    """`name` fails from the test client's address until the throttle holds the account."""
    for _ in range(6):
        r = post_login(client, "/counter/login", {"name": name, "password": "guess guess"})
        assert r.status_code in (401, 429)
    assert post_login(client, "/counter/login", {"name": name, "password": PASSWORD}).status_code == 429


def test_a_manager_unlocks_an_account_from_the_agents_page(
    app: Any, client: Any, agent: AuthActions, clock: Any, caplog: Any
) -> None:
    agent.create("alice", PASSWORD)
    agent.create("maria", PASSWORD, role="manager")
    alice = app.test_client()
    alice.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    held(app, alice, clock, "alice")
    post_login(client, "/manage/login", {"name": "maria", "password": PASSWORD})
    assert 'href="/manage/agents"' in client.get("/manage/appointments").get_data(as_text=True)
    page = client.get("/manage/agents").get_data(as_text=True)
    row = re.search(r'<tr[^>]*data-agent="alice".*?</tr>', page, re.S).group(0)
    assert "failed logins: waits 1 min" in row and "/manage/agents/alice/unlock" in row
    bob_row = re.search(r'<tr[^>]*data-agent="maria".*?</tr>', page, re.S).group(0)
    assert "unlock" not in bob_row
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/manage/agents/alice/unlock").status_code == 403  # without the form's token
    assert client.post("/manage/agents/nobody/unlock", data={"csrf_token": token}).status_code == 404
    with caplog.at_level(logging.WARNING, logger="contactpoint.auth"):
        r = client.post("/manage/agents/alice/unlock", data={"csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "alice can log in again at once" in r.get_data(as_text=True)
    assert "unlock" not in re.search(r'<tr[^>]*data-agent="alice".*?</tr>', r.get_data(as_text=True), re.S).group(0)
    assert any("'alice' unlocked by 'maria'" in m for m in caplog.messages)
    assert post_login(alice, "/counter/login", {"name": "alice", "password": PASSWORD}).status_code == 303


def test_an_agent_cannot_unlock(app: Any, client: Any, agent: AuthActions, clock: Any) -> None:
    agent.create("alice", PASSWORD)
    held(app, app.test_client(), clock, "alice")
    agent.login("bob", PASSWORD)
    r = client.post("/manage/agents/alice/unlock", data={"csrf_token": agent.csrf})
    assert r.status_code == 403


def test_the_command_line_unlocks_an_account_the_running_server_holds(
    app: Any, client: Any, agent: AuthActions, clock: Any, tmp_path: Any
) -> None:
    from contactpoint.provisioning.cli import main

    agent.create("alice", PASSWORD)
    held(app, client, clock, "alice")
    r = CliRunner().invoke(main, ["agent", "unlock", "alice", "--data", str(tmp_path)])
    assert r.exit_code == 0 and "unlocked" in r.output
    assert post_login(client, "/counter/login", {"name": "alice", "password": PASSWORD}).status_code == 303
    r = CliRunner().invoke(main, ["agent", "unlock", "nobody", "--data", str(tmp_path)])
    assert r.exit_code == 1 and "no agent named" in r.output


def test_every_throttle_setting_is_documented() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    settings = set(re.findall(r'cfg\.get\("(LOGIN_[A-Z_]+)"', (root / "contactpoint" / "auth.py").read_text()))
    doc = (root / "docs" / "agents.md").read_text()
    assert len(settings) == 5
    for key in settings:
        assert f"`{key}`" in doc, key
