"""The engine's own rules: the time it stamps events with."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from contactpoint.domain import commands as c
from contactpoint.engine import Engine
from contactpoint.store import EventStore
from tests.conftest import BRUSSELS, Clock


def _engine(tmp_path: Path, site: Any, clock: Clock) -> Engine:
    return Engine(site, EventStore(tmp_path / "cp.sqlite3"), clock)


def test_a_clock_stepping_back_within_the_day_keeps_first_come_first_served(tmp_path: Path, site: Any) -> None:
    clock = Clock(datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS))
    engine = _engine(tmp_path, site, clock)
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
    first = engine.issue(need="moving", lang="fr")
    clock.advance(-3600)  # fake-hwclock after a power cut: the box believes it is an hour earlier
    second = engine.issue(need="moving", lang="fr")
    assert second.issued_at >= first.issued_at
    engine.run(c.call_next, counter="1")
    assert engine.ticket(first.id).state == "called"  # the one who came first


def test_a_clock_stepping_back_over_midnight_never_reopens_the_past(tmp_path: Path, site: Any) -> None:
    clock = Clock(datetime(2026, 11, 26, 0, 20, tzinfo=BRUSSELS))  # just after midnight: a new day
    engine = _engine(tmp_path, site, clock)
    engine.issue(need="moving", lang="fr")
    engine.issue(need="moving", lang="fr")
    clock.set(datetime(2026, 11, 25, 23, 50, tzinfo=BRUSSELS))  # the clock goes back into yesterday
    for _ in range(3):  # numbering goes on, and keeps going: no duplicate number, no error
        engine.issue(need="moving", lang="fr")
    engine.tick()
    assert engine.day() == "2026-11-26"
    numbers = sorted(t.number for t in engine.tickets())
    assert numbers == ["A001", "A002", "A003", "A004", "A005"]
    types = [r[0] for r in engine.store.db.execute("SELECT type FROM events")]
    assert "day_closed" not in types


def test_a_restart_with_the_clock_behind_the_log_counts_on_from_the_log(tmp_path: Path, site: Any) -> None:
    clock = Clock(datetime(2026, 11, 25, 11, 0, tzinfo=BRUSSELS))
    engine = _engine(tmp_path, site, clock)
    last = engine.issue(need="moving", lang="fr")
    engine.store.close()
    clock.advance(-1800)  # restarted after a power cut, the clock half an hour behind
    again = _engine(tmp_path, site, clock)
    t = again.issue(need="moving", lang="fr")
    assert t.issued_at >= last.issued_at and t.number == "A002"
    clock.advance(3600)  # NTP answers: the clock is ahead of the log again and is used as it is
    assert again.now() == clock.now
