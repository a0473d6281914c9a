"""Closing the day: at the site's closing time, by a manager or the command, at midnight; what its event counts;
a closed day takes no more tickets, survives a restart, and closing twice changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from pathlib import Path

import pytest

from contactpoint import dayclose
from contactpoint.domain import commands as c
from contactpoint.domain.closing import close_at_closing, closing_time
from contactpoint.domain.errors import CommandError
from contactpoint.domain.refusals import ticket_refusal, unavailable_needs
from contactpoint.domain.site import OpeningHours, Site, Span
from contactpoint.engine import Engine
from contactpoint.store import EventStore
from tests.conftest import BRUSSELS, Clock


def at(h: int, m: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, h, m, tzinfo=BRUSSELS)  # 2026-11-25 is a Wednesday


def _hours_site(site: Site) -> Site:
    """Open 9:00-12:30 and 13:30-16:30 every day: the day closes at 16:30."""
    two = (Span(time(9), time(12, 30)), Span(time(13, 30), time(16, 30)))
    policy = replace(site.policy, require_open_counter=False, last_ticket_s=0)
    return replace(site, hours=OpeningHours(week=dict.fromkeys(range(7), two)), policy=policy)


@pytest.fixture
def clock() -> Clock:
    return Clock(at(10))


@pytest.fixture
def engine(tmp_path: Path, site: Site, clock: Clock) -> Engine:
    return Engine(_hours_site(site), EventStore(tmp_path / "cp.sqlite3"), clock)


def _closes(engine: Engine) -> list[dict[str, object]]:
    return [e.data for e in engine.store.events() if e.type == "day_closed"]


def test_closing_time_is_the_end_of_the_days_last_span(site: Site) -> None:
    s = _hours_site(site)
    assert closing_time(s, "2026-11-25") == at(16, 30).timestamp()
    assert closing_time(site, "2026-11-25") is None  # the sample site is always open: it closes at midnight
    closed = replace(s, hours=replace(s.hours, closed=frozenset({at(9).date()})))
    assert closing_time(closed, "2026-11-25") is None  # a holiday has no closing time


def test_the_day_closes_at_closing_time_once_no_visitor_is_at_a_counter(engine: Engine, clock: Clock) -> None:
    engine.run(c.open_counter, counter="1", agent="ana", needs=["moving", "money"])
    for need in ("moving", "moving", "money"):
        engine.issue(need=need, lang="fr")
        clock.advance(60)
    engine.run(c.call_next, counter="1", agent="ana")
    clock.set(at(16, 29))
    engine.tick()
    assert _closes(engine) == []  # not yet closing time
    clock.set(at(16, 31))
    engine.tick()
    assert _closes(engine) == []  # a visitor is at the counter: the agent is never cut off
    engine.run(c.finish, counter="1", outcome="resolved", agent="ana")
    engine.tick()
    (closed,) = _closes(engine)
    assert closed["cause"] == "closing" and closed["day"] == closed["next_day"] == "2026-11-25"
    assert closed["abandoned"] == {"money": 1, "moving": 1} and closed["interrupted"] == {}
    assert engine.tickets() == () and engine.day_closed()
    engine.tick()
    assert len(_closes(engine)) == 1  # the timer ticks on: nothing more


def test_an_always_open_site_closes_only_at_midnight(tmp_path: Path, site: Site) -> None:
    clock = Clock(at(23, 59))
    engine = Engine(site, EventStore(tmp_path / "cp.sqlite3"), clock)
    engine.issue(need="moving", lang="fr", check_open=False)
    assert close_at_closing(engine._state, site, clock()) == []
    clock.set(at(0, 1, day=26))
    engine.tick()
    (closed,) = _closes(engine)
    assert closed == {
        "day": "2026-11-25",
        "next_day": "2026-11-26",
        "cause": "midnight",
        "by": None,
        "abandoned": {"moving": 1},
        "interrupted": {},
    }


def test_a_closed_day_takes_no_more_tickets_until_the_next_day(engine: Engine, clock: Clock) -> None:
    engine.issue(need="moving", lang="fr")
    done = dayclose.close_now(engine, "manager", "mia")
    assert (done.day, done.abandoned) == ("2026-11-25", 1)
    for check_open in (True, False):
        with pytest.raises(CommandError) as e:
            engine.issue(need="moving", lang="fr", check_open=check_open)
        assert e.value.key == "site_closed"
    state, site, now = engine._state, engine.site, clock()
    assert ticket_refusal(state, site, now, "moving").key == "site_closed"  # type: ignore[union-attr]
    assert set(unavailable_needs(state, site, now).values()) == {"site_closed"}  # the kiosk marks every need

    restarted = Engine(engine.site, engine.store, clock)  # a restart keeps the day closed and its tickets gone
    assert restarted.day_closed() and restarted.tickets() == ()
    with pytest.raises(CommandError):
        restarted.issue(need="moving", lang="fr")

    clock.set(at(9, 5, day=26))
    t = restarted.issue(need="moving", lang="fr")  # a new day: the date turning closes the old one again, empty
    assert t.number == "A001" and t.day == "2026-11-26" and not restarted.day_closed()
    assert [(d["cause"], d["abandoned"]) for d in _closes(restarted)] == [("manager", {"moving": 1}), ("midnight", {})]


def test_closing_twice_changes_nothing(engine: Engine) -> None:
    engine.issue(need="moving", lang="fr")
    assert dayclose.close_now(engine, "manager", "mia").day == "2026-11-25"
    seq = engine.seq()
    assert dayclose.close_now(engine, "cli").day is None
    assert engine.seq() == seq  # no event at all


def test_a_close_counts_visits_at_a_counter_as_interrupted(engine: Engine) -> None:
    engine.run(c.open_counter, counter="1", agent="ana", needs=["moving"])
    engine.issue(need="moving", lang="fr")
    engine.run(c.call_next, counter="1", agent="ana")
    dayclose.close_now(engine, "manager", "mia")
    (closed,) = _closes(engine)
    assert closed["interrupted"] == {"moving": 1} and closed["abandoned"] == {}
    assert all(not k.open for k in engine.counters())


def test_a_close_after_the_date_turned_unseen_closes_both_days(engine: Engine, clock: Clock) -> None:
    engine.issue(need="moving", lang="fr")
    clock.set(at(10, day=26))
    dayclose.close_now(engine, "manager", "mia")
    assert [(d["day"], d["cause"]) for d in _closes(engine)] == [("2026-11-25", "midnight"), ("2026-11-26", "manager")]
    assert engine.day() == "2026-11-26" and engine.day_closed()


def test_a_close_request_of_the_command_is_answered_by_the_timer(engine: Engine, tmp_path: Path) -> None:
    engine.issue(need="moving", lang="fr")
    engine.store.db.execute("INSERT INTO day_close_requests (at, by) VALUES (0, NULL)")
    dayclose.tick(engine)  # what the server's day-close timer does every 15 s
    (closed,) = _closes(engine)
    assert closed["cause"] == "cli"
    ((done_seq,),) = engine.store.db.execute("SELECT done_seq FROM day_close_requests").fetchall()
    assert done_seq == engine.seq()
    assert dayclose.answer_requests(engine) == 0  # answered once
