"""Who may do what at which counter, and what a counter leaves behind when it closes without its agent.

The pure commands (no Flask), then the counter page's HTTP API (Flask's test client): closing on logout, on a
disabled account (manager page and command line), a colleague closing a dead counter page's counter; cancel and
transfer limits; a paused counter; the counter's agent checked inside the engine; the help alert and the pause
reason kept from the public pages; the session limits, also for the live socket.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.model import TicketState
from tests.conftest import AuthActions, post_login, wait_for
from tests.test_core import World

PASSWORD = "correct horse battery"


@pytest.fixture
def w(site: Any) -> World:
    return World(site)


def refused(w: World, command: Any, key: str, **kw: Any) -> None:
    before = (dict(w.state.tickets), dict(w.state.counters), w.state.seq)
    with pytest.raises(CommandError) as e:
        w.do(command, **kw)
    assert e.value.key == key
    assert (dict(w.state.tickets), dict(w.state.counters), w.state.seq) == before


# -- the pure commands ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("at_counter", ["called", "serving"])
def test_releasing_a_counter_sends_its_visitor_back_to_their_place(w: World, at_counter: str) -> None:
    w.open("1", "alice", ("moving",))
    w.open("2", "bob", ("moving",))
    first = w.issue("moving")
    w.now += 60
    second = w.issue("moving")
    assert w.call("1") == first
    if at_counter == "serving":
        w.do(c.start_service, counter="1")
    events = w.do(c.release_counter, counter="1", cause="logout", agent="alice", by="alice")
    assert [e.type for e in events] == ["ticket_returned", "counter_closed"]
    assert events[1].data == {"counter": "1", "cause": "logout", "by": "alice", "reason": None}
    t = w.state.tickets[first]
    assert t.state == TicketState.TRANSFERRED and t.counter is None and t.agent is None
    assert not w.state.counters["1"].open and w.state.counters["1"].ticket is None
    assert w.call("2") == first  # first again, before the one who came after
    assert w.state.tickets[second].state == TicketState.ISSUED


def test_a_colleague_closing_a_counter_gives_a_reason_and_names_the_agent_they_saw(w: World) -> None:
    w.open("1", "alice")
    refused(w, c.release_counter, "reason_required", counter="1", cause="colleague", agent="alice", by="bob")
    refused(
        w, c.release_counter, "counter_not_yours", counter="1", cause="colleague", agent="carl", by="bob", reason="left"
    )
    refused(w, c.release_counter, "bad_request", counter="1", cause="whim", agent="alice", by="bob")
    refused(
        w, c.release_counter, "counter_not_open", counter="2", cause="colleague", agent="alice", by="bob", reason="left"
    )
    (ev,) = w.do(c.release_counter, counter="1", cause="colleague", agent="alice", by="bob", reason="tablet died")
    assert ev.data == {"counter": "1", "cause": "colleague", "by": "bob", "reason": "tablet died"}
    assert not w.state.counters["1"].open


def test_visits_transferred_to_a_released_counter_go_back_to_their_queue(w: World) -> None:
    w.open("1", "alice", ("moving",))
    w.open("2", "bob", ("documents",))
    a = w.issue("moving")
    w.call("1")
    w.do(c.transfer, counter="1", to_counter="2", note="for Bob")
    w.do(c.release_counter, counter="2", cause="disabled", agent="bob")
    t = w.state.tickets[a]
    assert t.state == TicketState.TRANSFERRED and t.target_counter is None and t.note == "for Bob"
    assert w.call("1") == a


def test_an_agent_acts_only_at_their_own_counter(w: World) -> None:
    """The counter page finds the agent's counter before the command runs: the command checks it again, under the
    engine's lock, so a counter taken over in between is never acted on by the previous agent."""
    w.open("1", "alice", ("moving",))
    w.issue("moving")
    w.issue("moving")
    for command, kw in [
        (c.call_next, {}),
        (c.call_ticket, {"ticket": "t2", "reason": "urgent"}),
        (c.pause, {"reason": "Lunch"}),
        (c.request_help, {}),
        (c.close_counter, {}),
    ]:
        refused(w, command, "counter_not_yours", counter="1", agent="bob", **kw)
    w.do(c.call_next, counter="1", agent="alice")
    for command, kw in [
        (c.recall, {}),
        (c.start_service, {}),
        (c.no_show, {}),
        (c.finish, {"outcome": "resolved"}),
        (c.transfer, {"need": "documents"}),
    ]:
        refused(w, command, "counter_not_yours", counter="1", agent="bob", **kw)
    w.do(c.finish, counter="1", outcome="resolved", agent="alice")


def test_cancel_only_waiting_absent_or_at_ones_own_counter(w: World) -> None:
    w.open("1", "alice", ("moving",))
    w.open("2", "bob", ("documents",))
    a = w.issue("moving")
    waiting = w.issue("documents")
    w.call("1")
    refused(w, c.cancel, "ticket_at_other_counter", ticket=a, reason="left", agent="bob")
    refused(w, c.cancel, "ticket_at_other_counter", ticket=a, reason="left")  # no agent: never a visit at a desk
    w.do(c.cancel, ticket=waiting, reason="Duplicate ticket", agent="alice")  # waiting: anyone
    w.do(c.no_show, counter="1")
    w.do(c.cancel, ticket=a, reason="left", agent="bob")  # absent: anyone
    assert w.state.tickets[a].state == TicketState.CANCELLED
    b = w.issue("moving")
    w.call("1")
    w.do(c.start_service, counter="1")
    w.do(c.cancel, ticket=b, reason="came for nothing", agent="alice")  # the visit at one's own counter
    assert w.state.tickets[b].state == TicketState.CANCELLED and w.state.counters["1"].ticket is None


def test_transfer_only_to_an_open_counter_or_an_agent_at_one(w: World) -> None:
    w.open("1", "alice", ("moving",))
    w.issue("moving")
    w.call("1")
    refused(w, c.transfer, "target_counter_closed", counter="1", to_counter="2")
    refused(w, c.transfer, "unknown_agent", counter="1", to_agent="bob")
    refused(w, c.transfer, "unknown_agent", counter="1", to_agent="alice")  # oneself
    w.open("2", "bob", ("documents",))
    w.do(c.pause, counter="2", reason="Break")
    w.do(c.transfer, counter="1", to_counter="2")  # paused is open: bob calls them when he is back
    assert w.state.tickets["t1"].target_counter == "2"


def test_a_paused_counter_calls_nobody_not_even_out_of_order(w: World) -> None:
    w.open("1", "alice", ("moving",))
    w.issue("moving")
    b = w.issue("moving")
    w.do(c.pause, counter="1", reason="Lunch")
    refused(w, c.call_next, "counter_paused", counter="1")
    refused(w, c.call_ticket, "counter_paused", counter="1", ticket=b, reason="wheelchair")
    w.do(c.resume, counter="1")
    w.do(c.call_ticket, counter="1", ticket=b, reason="wheelchair")


# -- over HTTP -----------------------------------------------------------------------------------------------
def logged_in(app: Any, name: str, role: str = "agent") -> AuthActions:
    who = AuthActions(app, app.test_client())
    who.create(name, PASSWORD, role)
    assert post_login(who.client, "/counter/login", {"name": name, "password": PASSWORD}).status_code == 303
    page = who.client.get("/counter/").get_data(as_text=True)
    who.csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    return who


def counter_of(app: Any, cid: str) -> Any:
    return app.extensions["contactpoint"].engine.counter(cid)


def types(app: Any) -> list[str]:
    return [e.type for e in app.extensions["contactpoint"].store.events()]


def test_logging_out_closes_the_agents_counter_and_returns_their_visitor(app: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    bob = logged_in(app, "bob")
    carl = logged_in(app, "carl")
    t = engine.issue(need="moving", lang="fr")
    assert bob.cmd("open", counter="2", needs=["moving"]).status_code == 200
    assert bob.cmd("call-next").status_code == 200
    assert bob.client.post("/counter/logout", data={"csrf_token": bob.csrf}).status_code == 303
    assert not counter_of(app, "2").open
    assert engine.ticket(t.id).state == TicketState.TRANSFERRED
    assert types(app)[-2:] == ["ticket_returned", "counter_closed"]
    closed = list(app.extensions["contactpoint"].store.events())[-1]
    assert closed.data["cause"] == "logout" and closed.data["by"] == "bob"
    assert carl.cmd("open", counter="2", needs=["moving"]).status_code == 200  # free for a colleague
    assert carl.cmd("call-next").get_json()["events"] == ["ticket_called"]
    assert engine.ticket(t.id).counter == "2" and engine.ticket(t.id).agent == "carl"


def test_disabling_an_account_on_the_managers_page_closes_its_counter(app: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    maria = logged_in(app, "maria", "manager")
    bob = logged_in(app, "bob")
    carl = logged_in(app, "carl")
    engine.issue(need="moving", lang="fr")
    bob.cmd("open", counter="2", needs=["moving"])
    bob.cmd("call-next")
    token = maria.client.get("/manage/agents").get_data(as_text=True).split('name="csrf_token" value="')[1][:32]
    token = token.split('"')[0]
    r = maria.client.post("/manage/agents/bob/disable", data={"csrf_token": token})
    assert r.status_code == 303
    assert not counter_of(app, "2").open
    closed = list(app.extensions["contactpoint"].store.events())[-1]
    assert closed.type == "counter_closed" and closed.data["cause"] == "disabled" and closed.data["by"] == "maria"
    assert carl.cmd("open", counter="2", needs=["moving"]).status_code == 200
    summary = app.test_client().get("/api/state").get_json()["summary"]["needs"]["moving"]
    assert summary["counters"] == 1 and summary["waiting"] == 1  # carl's; bob's visitor waits again


def test_an_account_disabled_from_the_command_line_loses_its_counter_at_the_next_sweep(app: Any) -> None:
    """The command line writes the accounts from another process: the server's sweep closes the counter."""
    cp = app.extensions["contactpoint"]
    bob = logged_in(app, "bob")
    cp.engine.issue(need="moving", lang="fr")
    bob.cmd("open", counter="2", needs=["moving"])
    bob.cmd("call-next")
    ns = app.extensions["contactpoint"].counters_ns
    ns.sweep(app)
    assert counter_of(app, "2").open  # an active account's counter is left alone
    cp.store.set_agent_active("bob", False)  # what `contactpoint agent disable bob` does
    ns.sweep(app)
    assert not counter_of(app, "2").open
    assert types(app)[-2:] == ["ticket_returned", "counter_closed"]


def bob_calls_at_2_beside_carl(app: Any) -> tuple[Any, Any, Any, Any]:
    """bob opens counter 2 and calls the one ticket; carl is logged in beside him: (engine, bob, carl, ticket)."""
    engine = app.extensions["contactpoint"].engine
    bob = logged_in(app, "bob")
    carl = logged_in(app, "carl")
    t = engine.issue(need="moving", lang="fr")
    bob.cmd("open", counter="2", needs=["moving"])
    bob.cmd("call-next")
    return engine, bob, carl, t


def test_a_colleague_closes_a_dead_pages_counter_from_their_own_page(app: Any) -> None:
    engine, bob, carl, t = bob_calls_at_2_beside_carl(app)  # then bob's tablet dies
    r = carl.cmd("close-other", counter="2", agent="bob")
    assert r.status_code == 400 and r.get_json()["error"] == "reason_required"
    r = carl.cmd("close-other", counter="2", agent="dave", reason="left")
    assert r.status_code == 409 and r.get_json()["error"] == "counter_not_yours"  # not who carl saw there
    assert counter_of(app, "2").open
    r = carl.cmd("close-other", counter="2", agent="bob", reason="Their console does not answer")
    assert r.status_code == 200 and r.get_json()["events"] == ["ticket_returned", "counter_closed"]
    closed = list(app.extensions["contactpoint"].store.events())[-1]
    reason = "Their console does not answer"
    assert closed.data == {"counter": "2", "cause": "colleague", "by": "carl", "reason": reason}
    assert engine.ticket(t.id).state == TicketState.TRANSFERRED
    # bob's counter page, back, is refused: his counter is closed
    assert bob.cmd("finish", outcome="resolved").get_json()["error"] == "counter_not_open"


def test_an_agent_cannot_cancel_a_colleagues_visitor(app: Any) -> None:
    engine, bob, carl, t = bob_calls_at_2_beside_carl(app)
    bob.cmd("start")
    r = carl.cmd("cancel", ticket=t.id, reason="Duplicate ticket")
    assert r.status_code == 409 and r.get_json()["error"] == "ticket_at_other_counter"
    assert engine.ticket(t.id).state == TicketState.SERVING
    assert bob.cmd("cancel", ticket=t.id, reason="came for nothing").status_code == 200


def test_transfer_to_a_closed_counter_is_refused_over_http(app: Any) -> None:
    bob = logged_in(app, "bob")
    app.extensions["contactpoint"].engine.issue(need="moving", lang="fr")
    bob.cmd("open", counter="1", needs=["moving"])
    bob.cmd("call-next")
    r = bob.cmd("transfer", to_counter="3", note="see my colleague")
    assert r.status_code == 409 and r.get_json()["error"] == "target_counter_closed"
    assert r.get_json()["message"] and r.get_json()["message"] != "target_counter_closed"
    assert types(app)[-1] == "ticket_called"  # nothing changed


def test_a_paused_counter_cannot_call_out_of_order_over_http(app: Any) -> None:
    bob = logged_in(app, "bob")
    engine = app.extensions["contactpoint"].engine
    engine.issue(need="moving", lang="fr")
    late = engine.issue(need="moving", lang="fr")
    bob.cmd("open", counter="1", needs=["moving"])
    bob.cmd("pause", reason="Lunch")
    r = bob.cmd("call", ticket=late.id, reason="wheelchair")
    assert r.status_code == 409 and r.get_json()["error"] == "counter_paused"


# -- privacy: the help alert and the pause reason never reach the public pages -------------------------------
PRIVATE_KEYS = {"help", "pause_reason", "agent", "reason", "note", "by", "cause"}
PRIVATE_TEXT = "Sick visitor vomited, cleaning"


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def test_public_state_and_the_displays_socket_never_carry_help_or_pause_reason(app: Any) -> None:
    sio = app.extensions["contactpoint"].socketio
    display = sio.test_client(app, namespace="/display")
    kiosk = sio.test_client(app, namespace="/kiosk")
    bob = logged_in(app, "bob")
    counter_client = sio.test_client(app, namespace="/counter", flask_test_client=bob.client)
    app.extensions["contactpoint"].engine.issue(need="moving", lang="fr")
    bob.cmd("open", counter="2", needs=["moving"])
    bob.cmd("help")
    bob.cmd("pause", reason=PRIVATE_TEXT)
    bob.cmd("resume")
    bob.cmd("pause", reason=PRIVATE_TEXT)  # paused again, help still raised
    seq = app.extensions["contactpoint"].engine.seq()
    got: dict[str, list[Any]] = {"/display": [], "/kiosk": [], "/counter": []}

    def batches(ns: str, tc: Any) -> list[Any]:
        got[ns].extend(m["args"][0] for m in tc.get_received(ns) if m["name"] == "events")
        return got[ns]

    for ns, tc in (("/display", display), ("/kiosk", kiosk), ("/counter", counter_client)):
        wait_for(lambda ns=ns, tc=tc: any(b["to"] == seq for b in batches(ns, tc)))
    # the agents see it all
    agent_side = json.dumps(got["/counter"])
    assert PRIVATE_TEXT in agent_side and '"help": true' in agent_side
    mine = next(x for x in bob.client.get("/counter/api/state").get_json()["counters"] if x["id"] == "2")
    assert mine["pause_reason"] == PRIVATE_TEXT and mine["help"] is True
    # the public pages see that counter 2 is open and paused, and nothing else about it
    for ns in ("/display", "/kiosk"):
        text = json.dumps(got[ns])
        assert PRIVATE_TEXT not in text and "bob" not in text, ns
        assert not keys_in(got[ns]) & PRIVATE_KEYS, (ns, keys_in(got[ns]) & PRIVATE_KEYS)
    shown = [ctr for b in got["/display"] for e in b["events"] for ctr in e.get("counters", [])]
    assert shown and shown[-1] == {**shown[-1], "id": "2", "open": True, "paused": True}
    for url in ("/api/state", "/display/state"):
        snap = app.test_client().get(url).get_json()
        assert PRIVATE_TEXT not in json.dumps(snap) and "bob" not in json.dumps(snap), url
        assert not keys_in(snap) & PRIVATE_KEYS, (url, keys_in(snap) & PRIVATE_KEYS)
        two = next(x for x in snap["counters"] if x["id"] == "2")
        assert two["open"] and two["paused"] and two["needs"] == ["moving"]


# -- sessions ------------------------------------------------------------------------------------------------
def test_a_session_ends_10_hours_after_login_even_while_the_agent_works(app: Any, clock: Any) -> None:
    bob = logged_in(app, "bob")
    for _ in range(9):  # a request every hour: never idle
        clock.advance(3600)
        assert bob.client.get("/counter/api/state").status_code == 200
    clock.advance(3600 - 60)
    assert bob.client.get("/counter/api/state").status_code == 200  # 9 h 59 min
    clock.advance(120)
    assert bob.client.get("/counter/api/state").status_code == 401  # 10 h 01 min: over
    assert bob.cmd("call-next").status_code == 401


def test_the_sweep_closes_a_counter_socket_whose_session_ended(app: Any, clock: Any) -> None:
    app.config["AGENT_IDLE_TIMEOUT"] = 3600
    sio = app.extensions["contactpoint"].socketio
    ns = app.extensions["contactpoint"].counters_ns
    bob = logged_in(app, "bob")
    carl = logged_in(app, "carl")
    bob_socket = sio.test_client(app, namespace="/counter", flask_test_client=bob.client)
    carl_socket = sio.test_client(app, namespace="/counter", flask_test_client=carl.client)
    assert bob_socket.is_connected("/counter") and carl_socket.is_connected("/counter")
    for _ in range(3):  # carl works (his counter page's requests count); bob's counter page only listens
        clock.advance(1500)
        assert carl.client.get("/counter/api/state").status_code == 200
        ns.sweep(app)
    # 75 min: bob's session is over (idle), his socket closed; carl's, active, stays
    assert bob.client.get("/counter/api/state").status_code == 401
    assert not bob_socket.is_connected("/counter")
    assert carl_socket.is_connected("/counter")
    # logging out closes the session's sockets at once
    assert carl.client.post("/counter/logout", data={"csrf_token": carl.csrf}).status_code == 303
    assert not carl_socket.is_connected("/counter")


def test_the_sweep_closes_sockets_10_hours_after_login(app: Any, clock: Any) -> None:
    sio = app.extensions["contactpoint"].socketio
    ns = app.extensions["contactpoint"].counters_ns
    bob = logged_in(app, "bob")
    sock = sio.test_client(app, namespace="/counter", flask_test_client=bob.client)
    for _ in range(9):
        clock.advance(3600)
        bob.client.get("/counter/api/state")
        ns.sweep(app)
    assert sock.is_connected("/counter")
    clock.advance(3601)
    bob.client.get("/counter/api/state")
    assert ns.sweep(app) and not sock.is_connected("/counter")
