"""Events as data: one declaration per event type (domain/events.py), from which the dispatch, the audiences, the
agent-only fields and the docs check come; what they derive is what the box did before, exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contactpoint.broadcast import AUDIENCES
from contactpoint.domain import commands as c
from contactpoint.domain.devices import device_approved, device_revoked
from contactpoint.domain.events import EVENT_TYPES, EVENTS, received_by
from contactpoint.domain.settings import agent_changed, change_settings
from contactpoint.engine import AGENT_ONLY, Engine
from contactpoint.store import EventStore
from tests.conftest import Clock

DOC = (Path(__file__).resolve().parent.parent / "docs" / "events.md").read_text()


def test_the_derived_audiences_and_agent_only_fields_are_the_boxs() -> None:
    assert AUDIENCES == {
        "/counter": None,
        # a called ticket that is no longer called (at the counter, done, absent, moved, cancelled): the display
        # drops its announcement before it plays (issue #9)
        "/display": {"ticket_called", "ticket_recalled", "service_started", "service_finished", "no_show",
                     "ticket_transferred", "ticket_returned", "ticket_cancelled", "counter_opened", "counter_closed",
                     "counter_paused", "counter_resumed", "day_closed", "settings_changed"},
        "/kiosk": {"printer_status", "counter_opened", "counter_closed", "day_closed", "settings_changed"},
    }
    assert AGENT_ONLY == {"note", "agent", "reason", "target_agent", "to_agent", "referral", "cancel_reason", "help",
                          "pause_reason", "by", "cause"}
    assert "help_requested" not in received_by("display") | received_by("kiosk")  # the alert stays discreet


def test_every_declared_field_is_in_its_row_of_the_docs() -> None:
    rows = {line.split("|")[1].strip().strip("`"): line for line in DOC.splitlines() if line.startswith("| `")}
    for name, declared in EVENTS.items():
        row = rows[name]
        for f in declared.fields:
            assert f"`{f}`" in row, (name, f)
        assert declared.agent_only <= set(declared.fields), name
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES)) == 27


def test_every_event_a_day_writes_carries_only_its_declared_fields(tmp_path: Path, site: Any) -> None:
    clock = Clock()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    engine.run(c.open_counter, counter="2", agent="bob", needs=["documents"])
    for i in range(6):
        engine.issue(need=("moving", "documents")[i % 2], lang="fr", priority=i == 3)
    engine.run(c.call_next, counter="1")
    engine.run(c.recall, counter="1")
    engine.run(c.start_service, counter="1")
    engine.run(c.finish, counter="1", outcome="referred", referral="a lawyer")
    engine.run(c.call_next, counter="1")
    engine.run(c.no_show, counter="1")
    engine.run(c.call_next, counter="2")
    engine.run(c.transfer, counter="2", to_counter="1", note="the lease")
    engine.run(c.pause, counter="2", reason="a break")
    engine.run(c.resume, counter="2")
    engine.run(c.request_help, counter="2")
    engine.run(c.clear_help, counter="2")
    engine.run(c.printer_status, key="printer_paper_out")
    engine.run(c.call_next, counter="1")
    engine.run(c.release_counter, counter="1", cause="colleague", by="bob", reason="left early")
    waiting = next(t for t in engine.tickets() if t.state == "issued")
    engine.run(c.cancel, ticket=waiting.id, reason="left")
    engine.run(c.book_appointment, appointment_id="a1", code="K7P3QX", slot_at=clock() + 600, need="moving")
    engine.run(c.book_appointment, appointment_id="a2", code="K7P3QY", slot_at=clock() + 900, need="moving")
    engine.run(c.cancel_appointment, appointment="a2")
    engine.run(c.open_counter, counter="3", agent="carl", needs=["moving"])
    engine.run(c.check_in, appointment="a1", lang="fr", ticket_id="t-a1", token="k" * 22)
    engine.run(c.give_feedback, score=4, channel="tablet", device="door")
    engine.run(c.log_contact, contact_id="k1", counter="3", channel="phone", need="moving", outcome="resolved")
    engine.run(change_settings, changes=[("site", "message", {"fr": "Bonjour"})], by="dora")
    engine.run(agent_changed, agent="erin", change="added", role="agent", by="dora")
    engine.run(device_approved, device=1, role="display", name="Waiting room left", by="tom")
    engine.run(device_revoked, device=1, role="display", name="Waiting room left", by="tom")
    clock.advance(86400)
    engine.tick()
    seen = set()
    for ev in store.events():
        assert set(ev.data) <= set(EVENTS[ev.type].fields), ev.type
        seen.add(ev.type)
    assert seen == set(EVENT_TYPES) - {"ticket_rejoined"}  # every other type, written by the commands
