"""The manager's Today page and its `/manage` namespace: who may see them, what the view holds, the alerts
(standards per need, the week's first-line resolution, the taps' negative run) and the pushes."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from typing import Any

import pytest

from contactpoint.domain import commands as c
from contactpoint.domain.alerts import FIRST_LINE_TARGET, first_line_alerts, standard_alerts
from tests.conftest import BRUSSELS, AuthActions, Clock, post_login

PASSWORD = "a long password"
PAGES = ("/manage/today", "/manage/api/today", "/manage/history", "/manage/history.csv")


def box_of(app: Any) -> Any:
    return app.extensions["contactpoint"]


def login(app: Any, client: Any, role: str = "manager", name: str = "maria") -> None:
    """A manager through the manager's login; anyone else through the counter page's (the manager's refuses them)."""
    AuthActions(app, client).create(name, PASSWORD, role)
    path = "/manage/login" if role == "manager" else "/counter/login"
    assert post_login(client, path, {"name": name, "password": PASSWORD}).status_code == 303


def connect(app: Any, client: Any, lang: str = "en") -> Any:
    return box_of(app).socketio.test_client(
        app, namespace="/manage", flask_test_client=client, query_string=f"lang={lang}"
    )


def todays(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["args"][0] for m in received if m["name"] == "today"]


def need_of(view: dict[str, Any], need: str) -> dict[str, Any]:
    return next(n for n in view["needs"] if n["id"] == need)


# -- who ----------------------------------------------------------------------------------------------------
def test_a_stranger_is_sent_to_the_login_and_an_agent_is_refused(app: Any) -> None:
    stranger = app.test_client()
    for path in PAGES:
        r = stranger.get(path)
        assert r.status_code == 302 and "/manage/login" in r.location, path
    agent = app.test_client()
    login(app, agent, role="agent", name="alice")
    for path in PAGES:
        assert agent.get(path).status_code == 403, path
    manager = app.test_client()
    login(app, manager)
    for path in PAGES:
        assert manager.get(path).status_code == 200, path
    assert manager.get("/manage/").location.endswith("/manage/today")


def test_only_a_manager_may_join_the_namespace(app: Any) -> None:
    stranger = connect(app, app.test_client())
    assert not stranger.is_connected("/manage")
    agent_client = app.test_client()
    login(app, agent_client, role="agent", name="alice")
    agent = connect(app, agent_client)
    assert not agent.is_connected("/manage")
    manager_client = app.test_client()
    login(app, manager_client)
    manager = connect(app, manager_client)
    assert manager.is_connected("/manage")
    first = todays(manager.get_received("/manage"))
    assert first and {n["id"] for n in first[0]["needs"]} == {n.id for n in box_of(app).site.needs}
    manager.disconnect("/manage")


def test_a_manager_demoted_to_agent_loses_the_socket_at_the_next_push(app: Any) -> None:
    client = app.test_client()
    login(app, client)
    sock = connect(app, client)
    assert sock.is_connected("/manage")
    AuthActions(app, client).create("maria", PASSWORD, role="agent")
    app.extensions["manage.today"].push()
    assert not sock.is_connected("/manage")


# -- what ---------------------------------------------------------------------------------------------------
def test_a_finished_visit_reaches_the_managers_socket(app: Any, engine: Any, clock: Clock) -> None:
    client = app.test_client()
    login(app, client)
    sock = connect(app, client)
    sock.get_received("/manage")
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
    engine.issue(need="moving", lang="fr")
    clock.advance(120)
    engine.run(c.call_next, counter="1")
    engine.run(c.finish, counter="1", outcome="resolved")
    engine.issue(need="moving", lang="fr")
    app.extensions["manage.today"].push()
    view = todays(sock.get_received("/manage"))[-1]
    moving = need_of(view, "moving")
    assert (moving["issued"], moving["served"], moving["waiting"], moving["first_line_resolution"]) == (2, 1, 1, 1.0)
    engine.run(c.request_help, counter="1")  # the agents' discreet alarm: counted for the site, never per agent
    app.extensions["manage.today"].push()
    view = todays(sock.get_received("/manage"))[-1]
    assert view["all"]["help_alerts"] == 1
    assert view["all"]["served"] == 1 and view["open"] == 1 and view["paused"] == 0
    assert view["alerts"] == []


def test_counters_open_and_paused(app: Any, engine: Any, client: Any) -> None:
    login(app, client)
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
    engine.run(c.open_counter, counter="2", agent="bob", needs=["money"])
    engine.run(c.pause, counter="2", reason="Lunch")
    view = client.get("/manage/api/today").get_json()
    assert (view["open"], view["paused"]) == (2, 1)
    assert {x["id"]: x["paused"] for x in view["counters"]} == {"1": False, "2": True}
    assert "alice" not in str(view) and "Lunch" not in str(view)  # never who, never why


def test_a_visitor_past_the_maximum_wait_raises_an_alert_without_any_event(app: Any, engine: Any, clock: Clock) -> None:
    client = app.test_client()
    login(app, client)
    t = engine.issue(need="moving", lang="fr")  # moving: max_wait_minutes = 30
    clock.advance(29 * 60)
    assert client.get("/manage/api/today").get_json()["alerts"] == []
    sock = connect(app, client, "fr")
    sock.get_received("/manage")
    clock.advance(2 * 60)  # no event: only time passes
    app.extensions["manage.today"].push()
    alert = todays(sock.get_received("/manage"))[-1]["alerts"][0]
    assert (alert["kind"], alert["need"], alert["count"], alert["numbers"]) == ("long_wait", "moving", 1, [t.number])
    assert "30 min" in alert["text"] and t.number in alert["text"] and "attend" in alert["text"]  # in French


def test_a_visit_past_the_maximum_service_time_names_its_counter(app: Any, engine: Any, clock: Clock) -> None:
    client = app.test_client()
    login(app, client)
    engine.run(c.open_counter, counter="2", agent="alice", needs=["moving"])
    engine.issue(need="moving", lang="fr")
    engine.run(c.call_next, counter="2")
    clock.advance(21 * 60)  # moving: max_service_minutes = 20
    alerts = client.get("/manage/api/today?lang=en").get_json()["alerts"]
    assert [(a["kind"], a["counters"]) for a in alerts] == [("long_service", ["2"])]
    assert "alice" not in alerts[0]["text"] and "longer than 20 min" in alerts[0]["text"]


def test_the_weeks_first_line_resolution_below_60_percent_raises_an_alert(app: Any, engine: Any, clock: Clock) -> None:
    clock.set(datetime(2026, 11, 16, 10, 0, tzinfo=BRUSSELS))  # 9 days before: out of the week
    engine.run(c.open_counter, counter="1", agent="alice", needs=["money"])

    def visit(outcome: str) -> None:
        engine.issue(need="money", lang="fr")
        engine.run(c.call_next, counter="1")
        engine.run(
            c.finish, counter="1", outcome=outcome, referral="cpas-saint-gilles" if outcome == "referred" else None
        )

    for _ in range(5):
        visit("referred")
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS))  # two days before today: in the week
    engine.tick()
    engine.run(c.open_counter, counter="1", agent="alice", needs=["money"])
    visit("referred")
    visit("referred")
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS))
    engine.tick()
    engine.run(c.open_counter, counter="1", agent="alice", needs=["money"])
    visit("resolved")
    client = app.test_client()
    login(app, client)
    view = client.get("/manage/api/today").get_json()
    assert need_of(view, "money")["first_line_resolution"] == 1.0  # today alone looks fine
    alerts = [a for a in view["alerts"] if a["kind"] == "low_first_line"]
    assert [(a["need"], a["count"], round(a["rate"], 3)) for a in alerts] == [("money", 3, 0.333)]
    assert "33%" in alerts[0]["text"] and "60%" in alerts[0]["text"]
    visit("resolved")
    visit("resolved")  # 3 of 5 this week: at the target, not below it
    assert not [a for a in client.get("/manage/api/today").get_json()["alerts"] if a["kind"] == "low_first_line"]


def test_the_negative_run_of_the_taps_becomes_an_alert(app: Any, engine: Any, clock: Any) -> None:
    """Three unhappy taps among the last five within 15 minutes (the sample site's `[feedback] negative_run`),
    from the tablet by the door: the Today page raises the alert; it goes once the run is over."""
    client = app.test_client()
    login(app, client)

    def run_alerts() -> list[Any]:
        return [a for a in client.get("/manage/api/today?lang=en").get_json()["alerts"] if a["kind"] == "negative_run"]

    for score in (4, 1, 2):  # two unhappy of three: not yet a run
        engine.give_feedback(score=score, channel="tablet", device="door")
        clock.advance(60)
    assert run_alerts() == []
    engine.give_feedback(score=1, channel="tablet", device="door")
    (alert,) = run_alerts()
    assert alert["count"] == 3 and alert["text"].startswith("Satisfaction: 3 unhappy answers")
    clock.advance(16 * 60)  # the window has passed: the run is over
    assert run_alerts() == []


def test_the_pusher_pushes_when_time_passes_with_no_event(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop, not a call from the test: with nobody committing anything, a push comes every period."""
    from contactpoint.manage.namespace import TodayPusher

    pusher = app.extensions["manage.today"]
    pushed = threading.Event()
    monkeypatch.setattr(pusher.ns, "sids", {"x": None})
    monkeypatch.setattr(pusher, "push", pushed.set)
    other = TodayPusher(app, pusher.ns, every=0.01)
    monkeypatch.setattr(other, "push", pushed.set)
    other.start()
    try:
        assert pushed.wait(30)
    finally:
        other.stop()


# -- the pure rules -----------------------------------------------------------------------------------------
def test_standards_count_only_needs_with_a_standard(site: Any, engine: Any, clock: Clock) -> None:
    for need in ("moving", "money"):
        engine.issue(need=need, lang="fr")
    clock.advance(3 * 3600)
    tickets = engine.tickets()
    limited = {n.id for n in site.needs if n.max_wait_minutes is not None}
    assert {a.need for a in standard_alerts(tickets, site.needs, clock())} == limited & {"moving", "money"}


def test_first_line_alerts_wait_for_a_finished_visit_and_compare_below_the_target() -> None:
    assert FIRST_LINE_TARGET == 0.60
    week = [("a", 0, 0), ("b", 5, 3), ("c", 5, 2)]
    assert [(a.need, a.rate) for a in first_line_alerts(week)] == [("c", 0.4)]


# -- the docs -----------------------------------------------------------------------------------------------
def test_every_route_and_alert_of_the_figures_pages_is_documented(app: Any) -> None:
    from pathlib import Path

    from contactpoint.domain import alerts

    doc = (Path(__file__).resolve().parent.parent / "docs" / "manager.md").read_text()
    mine = {"contactpoint.manage.today", "contactpoint.manage.history"}
    rules = [r.rule for r in app.url_map.iter_rules() if app.view_functions[r.endpoint].__module__ in mine]
    assert len(rules) == 4
    for rule in rules:
        assert f"`{rule}" in doc, rule
    assert "`/manage`" in doc and "`/manage/`" in doc
    for kind in re.findall(r'Alert\("(\w+)"', Path(alerts.__file__).read_text()) + [
        "long_wait",
        "long_service",
        "negative_run",
    ]:
        assert f"| `{kind}` |" in doc, kind
    assert "figures.md" in doc and "CSV_COLUMNS" in doc
