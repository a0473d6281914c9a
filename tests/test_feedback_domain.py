"""Satisfaction taps in the pure core (domain/feedback.py): the command, the rate rule, the negative run, and the
projection's memory of them (which tickets answered, the last taps) through a restart and a day close."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.events import received_by, received_by_agents
from contactpoint.domain.feedback import (
    FeedbackSettings,
    NegativeRun,
    TapGate,
    give_feedback,
    negative_run,
    parse_run,
)
from contactpoint.domain.model import SiteState
from contactpoint.engine import Engine
from contactpoint.store import EventStore
from tests.conftest import Clock


def finished_visit(engine: Engine, outcome: str = "resolved", need: str = "moving") -> Any:
    engine.run(c.open_counter, counter="1", agent="alice", needs=[need])
    t = engine.issue(need=need, lang="fr")
    engine.run(c.call_next, counter="1")
    engine.run(c.finish, counter="1", outcome=outcome)
    return engine.ticket(t.id)


@pytest.fixture
def eng(tmp_path: Path, site: Any) -> Any:
    clock = Clock()
    engine = Engine(site, EventStore(tmp_path / "cp.sqlite3"), clock)
    yield engine, clock
    engine.store.close()


def test_a_tap_is_one_event_with_its_score_channel_and_device_and_never_a_person(eng: Any) -> None:
    engine, _ = eng
    ev = engine.give_feedback(score=3, channel="tablet", device="door")
    assert ev.type == "feedback_given"
    assert ev.data == {"score": 3, "channel": "tablet", "need": None, "outcome": None, "ticket": None,
                       "device": "door"}


@pytest.mark.parametrize(
    ("score", "channel", "key"),
    [(0, "tablet", "invalid_score"), (5, "tablet", "invalid_score"), ("3", "tablet", "invalid_score"),
     (True, "tablet", "invalid_score"), (2.0, "tablet", "invalid_score"), (3, "email", "unknown_channel"),
     (3, None, "unknown_channel")],
)
def test_bad_input_is_refused_with_a_message_key_and_writes_nothing(eng: Any, score: Any, channel: Any,
                                                                    key: str) -> None:
    engine, _ = eng
    with pytest.raises(CommandError) as e:
        engine.give_feedback(score=score, channel=channel, device="door")
    assert (e.value.key, e.value.status) == (key, 400)
    assert engine.seq() == 0


def test_a_phone_answer_takes_its_visits_need_and_outcome_once(eng: Any) -> None:
    engine, _ = eng
    t = finished_visit(engine, outcome="referred")
    ev = engine.give_feedback(score=1, channel="phone", ticket=t.id)
    assert ev.data | {} == {"score": 1, "channel": "phone", "need": "moving", "outcome": "referred",
                            "ticket": t.id, "device": None}
    assert engine.answered(t.id)
    with pytest.raises(CommandError) as e:
        engine.give_feedback(score=4, channel="phone", ticket=t.id)
    assert (e.value.key, e.value.status) == ("feedback_already_given", 409)


def test_a_phone_answer_waits_for_the_end_of_the_visit(eng: Any) -> None:
    engine, _ = eng
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
    t = engine.issue(need="moving", lang="fr")
    with pytest.raises(CommandError) as e:
        engine.give_feedback(score=4, channel="phone", ticket=t.id)
    assert e.value.key == "visit_not_finished"
    with pytest.raises(CommandError) as e:
        engine.give_feedback(score=4, channel="phone", ticket="nope")
    assert e.value.key == "unknown_ticket"


def test_the_answered_tickets_and_last_taps_survive_a_restart_and_leave_with_the_day(tmp_path: Path,
                                                                                      site: Any) -> None:
    clock = Clock()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    t = finished_visit(engine)
    engine.give_feedback(score=2, channel="phone", ticket=t.id)
    engine.give_feedback(score=1, channel="tablet", device="door")
    store.close()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    with pytest.raises(CommandError, match="feedback_already_given"):
        engine.give_feedback(score=4, channel="phone", ticket=t.id)
    assert [s for _, s in engine._state.taps] == [2, 1]
    live = store.dump_projection()
    store.rebuild_projection()  # the log alone gives the same memory
    assert store.dump_projection() == live
    clock.advance(86400)
    engine.tick()
    assert not engine.answered(t.id) and engine._state.taps == []
    assert store.load_state().answered == set() and store.load_state().taps == []


def test_a_tap_never_reaches_the_agents_or_the_public_pages() -> None:
    assert "feedback_given" not in received_by_agents()
    assert "feedback_given" not in received_by("display") | received_by("kiosk")
    assert "ticket_issued" in received_by_agents()


def test_the_first_rule_keeps_the_first_tap_of_each_window() -> None:
    gate, s = TapGate(), FeedbackSettings(tap_window_s=5)
    counted = []
    for i in range(40):  # a child hammering: 40 taps in 2 s
        at = 100 + i * 0.05
        ok = gate.admits("door", at, s)
        gate.note("door", at, ok)
        counted.append(ok)
    assert counted.count(True) == 1 and counted[0]
    assert gate.admits("door", 105.0, s)  # the window is over: the next visitor counts
    assert gate.admits("other", 100.5, s)  # per device


def test_the_quiet_rule_counts_again_only_after_the_device_was_left_alone() -> None:
    gate, s = TapGate(), FeedbackSettings(tap_window_s=5, rule="quiet")
    for at in range(100, 130):  # a tap a second for half a minute
        ok = gate.admits("door", at, s)
        gate.note("door", at, ok)
    assert not gate.admits("door", 133, s) and gate.admits("door", 134, s)
    first = FeedbackSettings(tap_window_s=5)
    gate = TapGate()
    counted = 0
    for at in range(100, 130):
        ok = gate.admits("door", at, first)
        gate.note("door", at, ok)
        counted += ok
    assert counted == 6  # `first`: one a window


def test_the_engine_drops_a_hammered_tablet_but_never_a_bad_tap_silently(eng: Any) -> None:
    engine, clock = eng
    written = [engine.give_feedback(score=4, channel="tablet", device="door") for _ in range(40)]
    assert sum(ev is not None for ev in written) == 1
    with pytest.raises(CommandError):  # within the window, a bad score is still refused, not swallowed
        engine.give_feedback(score=9, channel="tablet", device="door")
    clock.advance(5)
    assert engine.give_feedback(score=2, channel="tablet", device="door") is not None
    assert engine.give_feedback(score=2, channel="buttons", device="panel") is not None


def test_a_tablet_tap_takes_the_need_of_the_last_visit_only_when_the_site_says_so(eng: Any, site: Any) -> None:
    engine, clock = eng
    finished_visit(engine, need="documents")
    assert engine.give_feedback(score=3, channel="tablet", device="a").data["need"] is None
    engine.site = replace(site, feedback=FeedbackSettings(link_nearest_visit=True))
    ev = engine.give_feedback(score=3, channel="tablet", device="b")
    assert (ev.data["need"], ev.data["outcome"]) == ("documents", None)
    clock.advance(601)  # long after the last visit: no link is guessed
    assert engine.give_feedback(score=3, channel="tablet", device="c").data["need"] is None


def test_a_tablet_tap_names_no_ticket(site: Any) -> None:
    with pytest.raises(CommandError, match="bad_request"):
        give_feedback(SiteState(), site, 0.0, score=3, channel="tablet", ticket="abc")


def test_parse_run() -> None:
    assert parse_run("3 of 5 within 15 minutes") == NegativeRun(3, 5, 900.0)
    assert parse_run("1 of 1 within 1 minute") == NegativeRun(1, 1, 60.0)
    for bad in ("3 of 2 within 15 minutes", "0 of 5 within 15 minutes", "3 in 5", "3 of 21 within 5 minutes",
                "3 of 5 within 0 minutes"):
        with pytest.raises(ValueError):
            parse_run(bad)


def test_negative_run_examples() -> None:
    rule = NegativeRun(3, 5, 900.0)
    assert negative_run([(0, 1), (10, 4), (20, 2), (30, 1)], rule, 100) is not None
    alert = negative_run([(0, 1), (10, 4), (20, 2), (30, 1)], rule, 100)
    assert alert is not None and (alert.since, alert.negative, alert.taps) == (0, 3, 4)
    assert negative_run([(0, 1), (10, 2), (20, 4), (30, 4), (40, 4), (50, 1)], rule, 100) is None  # last 5: 2 bad
    assert negative_run([(0, 1), (10, 2), (20, 1)], rule, 901) is None  # the first left the window


taps_st = st.lists(st.tuples(st.floats(0, 3000, allow_nan=False), st.sampled_from([1, 2, 3, 4])), max_size=30)


@given(taps_st, st.integers(1, 5), st.integers(0, 5), st.floats(60, 1800), st.floats(0, 4000))
def test_negative_run_is_k_of_the_last_n_within_the_window(taps: list[tuple[float, int]], k: int, extra: int,
                                                           window: float, now: float) -> None:
    taps = sorted(taps)
    rule = NegativeRun(k, k + extra, window)
    inside = [s for at, s in taps if now - window <= at <= now]
    last = inside[-rule.n :]
    expected = sum(s <= 2 for s in last) >= k
    assert (negative_run(taps, rule, now) is not None) == expected


def test_the_engine_says_since_when_a_negative_run_lasts(eng: Any) -> None:
    engine, clock = eng
    start = clock()
    for i, score in enumerate([1, 4, 2, 1]):
        engine.give_feedback(score=score, channel="buttons", device=f"d{i}")
        clock.advance(60)
    alert = engine.negative_alert(clock())
    assert alert is not None and alert.since == pytest.approx(start) and alert.negative == 3
    clock.advance(900)
    assert engine.negative_alert(clock()) is None
