"""Each page resyncs from a snapshot of what it shows, bounded whatever the day's size, and redacted."""

from __future__ import annotations

import json
from typing import Any

from contactpoint.domain import commands as c
from contactpoint.engine import AGENT_ONLY
from tests.test_counter_commands import keys_in
from tests.test_day_index import NoWalk


def _busy_day(engine: Any, clock: Any, waiting: int) -> list[Any]:
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    tickets = [engine.issue(need=("moving", "documents")[i % 2], lang="fr") for i in range(waiting)]
    for _ in range(3):
        engine.run(c.call_next, counter="1")
        clock.advance(60)
        engine.run(c.finish, counter="1", outcome="resolved")
    engine.run(c.call_next, counter="1")
    engine.run(c.pause, counter="1", reason="a private reason")
    return tickets


def test_the_display_snapshot_stays_the_same_size_when_the_day_grows(app: Any, client: Any, clock: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    _busy_day(engine, clock, 10)
    small = client.get("/display/state").get_json()
    for _ in range(200):
        engine.issue(need="moving", lang="fr")
    big = client.get("/display/state").get_json()
    assert len(big["tickets"]) == len(small["tickets"]) == 1  # the ticket called now: the last calls' live ones
    assert [x["number"] for x in big["calls"]] == [x["number"] for x in small["calls"]]
    assert len(big["calls"]) == 4
    assert big["summary"]["needs"]["moving"]["waiting"] == small["summary"]["needs"]["moving"]["waiting"] + 200
    now = engine.ticket(engine.counter("1").ticket)
    assert big["calls"][-1]["need"] == now.need and big["tickets"][0]["id"] == now.id and big["counters"][0]["paused"]
    assert set(big) == {"seq", "day", "printer", "tickets", "counters", "calls", "summary", "site"}
    assert not keys_in(big) & (AGENT_ONLY | {"token"}) and "a private reason" not in json.dumps(big)


def test_the_display_and_kiosk_snapshots_never_walk_the_day(app: Any, client: Any, clock: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    _busy_day(engine, clock, 30)
    guard = NoWalk()
    dict.update(guard, engine._state.tickets)
    engine._state.tickets = guard
    try:
        display = client.get("/display/state")
        kiosk = client.get("/kiosk/state")
    finally:
        guard.armed = False
    assert display.status_code == kiosk.status_code == 200
    assert kiosk.get_json() == {"seq": engine.seq(), "day": engine.day(), "printer": "printer_ok",
                                "unavailable": {}}


def test_the_kiosk_snapshot_says_the_printer_and_the_needs_it_cannot_take(app: Any, client: Any, engine: Any) -> None:
    from dataclasses import replace

    engine.run(c.printer_status, key="printer_paper_out")
    engine.site = replace(engine.site, needs=tuple(replace(n, capacity=1) if n.id == "moving" else n
                                                   for n in engine.site.needs))
    engine.issue(need="moving", lang="fr")
    snap = client.get("/kiosk/state").get_json()
    assert snap["printer"] == "printer_paper_out" and snap["unavailable"] == {"moving": "capacity_reached"}
    assert snap["seq"] == engine.seq()
    assert client.get("/kiosk/state").headers["Cache-Control"] == "no-store"


def test_every_pages_snapshot_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "events.md").read_text()
    for url in ("/display/state", "/kiosk/state", "/counter/api/state", "/api/state", "/t/<token>/state"):
        assert f"| `GET {url}` |" in doc, url
