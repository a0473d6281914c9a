"""The counter page's HTTP API beyond the happy path: reasons, referrals, transfers, the calling order, and racing
call-next commands from several logged-in agents over HTTP (Flask's test client in many threads)."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from typing import Any

from contactpoint.domain.ordering import ordered
from tests.conftest import AuthActions, post_login

PASSWORD = "correct horse battery"


def counter_config(client: Any) -> dict[str, Any]:
    page = client.get("/counter/").get_data(as_text=True)
    m = re.search(r'<script id="counter-config" type="application/json">(.*?)</script>', page, re.S)
    assert m
    return json.loads(m.group(1))


def second_agent(app: Any, name: str = "bob") -> AuthActions:
    other = AuthActions(app, app.test_client())
    other.login(name, PASSWORD)
    return other


def events_of_type(app: Any, typ: str) -> list[Any]:
    return [e for e in app.extensions["contactpoint"].store.events() if e.type == typ]


def test_the_counter_config_carries_organisations_policy_and_translated_names(
    app: Any, client: Any, agent: AuthActions
) -> None:
    agent.login()
    cfg = counter_config(client)
    site = app.extensions["contactpoint"].site
    assert [o["id"] for o in cfg["organisations"]] == [o.id for o in site.organisations]
    assert all(o["kind_name"] and o["name"] for o in cfg["organisations"])
    assert cfg["policy"]["no_show_grace_s"] == site.policy.no_show_grace_s
    assert set(cfg["states"]) == {"issued", "called", "serving", "done", "no_show", "cancelled", "transferred"}
    assert all(v and v != k for k, v in cfg["outcomes"].items())
    assert cfg["agent"] == "alice" and cfg["role"] == "agent"


def test_state_lists_the_calling_order_of_the_core(app: Any, client: Any, agent: AuthActions, clock: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    a = engine.issue(need="moving", lang="fr")
    clock.advance(60)
    engine.issue(need="money", lang="fr")
    clock.advance(60)
    p = engine.issue(need="moving", lang="fr", priority=True)  # placed 10 min earlier: first
    agent.login()
    snap = client.get("/counter/api/state").get_json()
    assert snap["order"][0] == p.id and snap["order"][1] == a.id
    assert snap["order"] == [t.id for t in ordered(engine.tickets(), engine.site.policy)]


def test_out_of_order_call_needs_a_reason_and_logs_it(app: Any, agent: AuthActions, clock: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    engine.issue(need="moving", lang="fr")
    clock.advance(30)
    late = engine.issue(need="moving", lang="fr")
    agent.login()
    agent.cmd("open", counter="1", needs=["moving"])
    r = agent.cmd("call", ticket=late.id, reason="  ")
    assert r.status_code == 400 and r.get_json()["error"] == "reason_required"
    assert agent.cmd("call", ticket=late.id, reason="wheelchair, cannot wait standing").status_code == 200
    (called,) = events_of_type(app, "ticket_called")
    assert called.data["reason"] == "wheelchair, cannot wait standing" and called.data["out_of_order"] is True


def test_cancel_needs_a_reason(app: Any, agent: AuthActions) -> None:
    t = app.extensions["contactpoint"].engine.issue(need="moving", lang="fr")
    agent.login()
    assert agent.cmd("cancel", ticket=t.id).get_json()["error"] == "reason_required"
    assert agent.cmd("cancel", ticket=t.id, reason="Duplicate ticket").status_code == 200
    (ev,) = events_of_type(app, "ticket_cancelled")
    assert ev.data["reason"] == "Duplicate ticket"


def test_referred_stores_the_organisation_id_and_refuses_an_unknown_one(app: Any, agent: AuthActions) -> None:
    app.extensions["contactpoint"].engine.issue(need="money", lang="fr")
    agent.login()
    agent.cmd("open", counter="1", needs=["money"])
    agent.cmd("call-next")
    assert agent.cmd("finish", outcome="referred").get_json()["error"] == "referral_required"
    assert agent.cmd("finish", outcome="referred", referral="nowhere").get_json()["error"] == "unknown_organisation"
    assert agent.cmd("finish", outcome="referred", referral="cpas-saint-gilles").status_code == 200
    (ev,) = events_of_type(app, "service_finished")
    assert ev.data == {**ev.data, "outcome": "referred", "referral": "cpas-saint-gilles"}


def test_transfer_to_an_agent_at_a_counter_with_a_note_the_next_agent_sees(
    app: Any, client: Any, agent: AuthActions
) -> None:
    engine = app.extensions["contactpoint"].engine
    t = engine.issue(need="moving", lang="fr")
    agent.login()
    agent.cmd("open", counter="1", needs=["moving"])
    agent.cmd("call-next")
    r = agent.cmd("transfer", to_agent="bob", note="needs the housing file")
    assert r.status_code == 400 and r.get_json()["error"] == "unknown_agent"  # bob is not at a counter
    bob = second_agent(app)
    bob.cmd("open", counter="2", needs=["money"])
    assert agent.cmd("transfer", to_agent="bob", note="needs the housing   file").status_code == 200
    assert agent.cmd("call-next").get_json()["error"] == "queue_empty"  # it is bob's now
    assert bob.cmd("call-next").status_code == 200
    snap = bob.client.get("/counter/api/state").get_json()
    mine = next(x for x in snap["tickets"] if x["id"] == t.id)
    assert mine["note"] == "needs the housing file" and mine["counter"] == "2" and mine["state"] == "called"


def test_no_show_rejoins_within_the_grace_window_only(app: Any, agent: AuthActions, clock: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    a = engine.issue(need="moving", lang="fr")
    b = engine.issue(need="moving", lang="fr")
    agent.login()
    agent.cmd("open", counter="1", needs=["moving"])
    agent.cmd("call-next")
    assert agent.cmd("no-show").status_code == 200
    clock.advance(60)
    assert agent.cmd("rejoin", ticket=a.id).status_code == 200
    assert agent.cmd("call-next").status_code == 200
    assert engine.ticket(a.id).state == "called"  # back at its original place, before b
    agent.cmd("no-show")
    clock.advance(engine.site.policy.no_show_grace_s + 1)
    assert agent.cmd("rejoin", ticket=a.id).get_json()["error"] == "grace_expired"
    assert engine.ticket(b.id).state == "issued"


def test_pause_with_a_reason_blocks_call_next_until_resume(app: Any, client: Any, agent: AuthActions) -> None:
    app.extensions["contactpoint"].engine.issue(need="moving", lang="fr")
    agent.login()
    agent.cmd("open", counter="1", needs=["moving"])
    assert agent.cmd("pause", reason="Lunch").status_code == 200
    snap = client.get("/counter/api/state").get_json()
    me = next(c for c in snap["counters"] if c["id"] == "1")
    assert me["paused"] and me["pause_reason"] == "Lunch"
    assert agent.cmd("call-next").get_json()["error"] == "counter_paused"
    assert agent.cmd("resume").status_code == 200
    assert agent.cmd("call-next").status_code == 200


def test_racing_call_next_over_http_calls_every_ticket_exactly_once(app: Any) -> None:
    """3 agents, 4 browser tabs each (12 threads with their own sessions), all pressing call-next and finishing."""
    engine = app.extensions["contactpoint"].engine
    tickets = [engine.issue(need=("moving", "housing", "money")[i % 3], lang="fr") for i in range(90)]
    agents = {"ana": "1", "ben": "2", "carla": "3"}
    tabs: list[AuthActions] = []
    for name, counter in agents.items():
        first = second_agent(app, name)
        assert first.cmd("open", counter=counter, needs=["moving", "housing", "money"]).status_code == 200
        tabs.append(first)
        for _ in range(3):
            tab = AuthActions(app, app.test_client())
            assert post_login(tab.client, "/counter/login", {"name": name, "password": PASSWORD}).status_code == 303
            page = tab.client.get("/counter/").get_data(as_text=True)
            tab.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            tabs.append(tab)
    start = threading.Barrier(len(tabs))
    statuses: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()

    def press(tab: AuthActions) -> None:
        start.wait()
        empty = 0
        while empty < 3:
            r = tab.cmd("call-next")
            err = r.get_json().get("error", "ok")
            with lock:
                statuses[(r.status_code, err)] += 1
            if err == "queue_empty":
                empty += 1
            elif r.status_code == 200:
                tab.cmd("finish", outcome="resolved")
            else:  # finish_current_first: another tab of this agent called; help it finish
                tab.cmd("finish", outcome="resolved")

    threads = [threading.Thread(target=press, args=(tab,)) for tab in tabs]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads)
    called = Counter(e.data["ticket"] for e in events_of_type(app, "ticket_called"))
    assert set(called) == {t.id for t in tickets}
    assert max(called.values()) == 1, [tid for tid, n in called.items() if n > 1]
    assert all(engine.ticket(t.id).state == "done" for t in tickets)
    assert statuses[(200, "ok")] == len(tickets)
    # only the refusals the core promises: never a server error
    assert {k for k in statuses} <= {(200, "ok"), (409, "queue_empty"), (409, "finish_current_first")}
    by_counter = Counter(engine.ticket(t.id).counter for t in tickets)
    assert set(by_counter) == {"1", "2", "3"}  # every agent got work
