"""The box's figures (`Box.figures`): live from the bus, frozen at day close, rebuilt from the log the same."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from contactpoint.domain import commands as c
from contactpoint.domain.facts import Event
from contactpoint.domain.tally import DayTally, FigureSettings
from contactpoint.figures_service import Figures
from tests.conftest import BRUSSELS, Clock

DAY = "2026-11-25"


def _box(app: Any) -> Any:
    return app.extensions["contactpoint"]


def _a_morning(engine: Any, clock: Clock) -> list[Any]:
    """Five visits: two served (one referred), one no-show, one cancelled before a call, one still waiting."""
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    t = []
    for n in ("moving", "moving", "documents", "moving", "documents"):
        t.append(engine.issue(need=n, lang="fr"))
        clock.advance(1)
    clock.advance(115)
    engine.run(c.call_next, counter="1")  # t0, after 2 minutes
    clock.advance(60)
    engine.run(c.start_service, counter="1")
    clock.advance(400)
    engine.run(c.finish, counter="1", outcome="resolved")
    engine.run(c.call_next, counter="1")  # t1, after 9 min 39 s
    clock.advance(30)
    engine.run(c.no_show, counter="1")
    engine.run(c.cancel, ticket=t[3].id)
    engine.run(c.call_next, counter="1")  # t2 (documents)
    clock.advance(300)
    engine.run(c.finish, counter="1", outcome="referred", referral="housing-info")
    return t


def _row(rows: list[Any], need: str) -> Any:
    return next(r for r in rows if r.need == need and r.hour is None)


def test_the_live_figures_follow_the_bus(app: Any, clock: Clock) -> None:
    box = _box(app)
    assert isinstance(box.figures, Figures)
    _a_morning(box.engine, clock)
    rows = box.figures.today()
    assert [r.need for r in rows] == ["all", "documents", "moving"]
    all_, moving, documents = _row(rows, "all"), _row(rows, "moving"), _row(rows, "documents")
    assert (all_.issued, all_.called, all_.served, all_.no_shows, all_.abandoned) == (5, 3, 2, 1, 1)
    assert (moving.issued, moving.called, moving.served) == (3, 2, 1)
    assert documents.referrals_by_kind == {"housing": 1} and documents.outcomes == {"referred": 1}
    assert moving.first_line_resolution == 1.0 and all_.first_line_resolution == 0.5
    assert moving.wait_max_s == 579.0 and moving.wait_p50_s == 120.0  # 120 s and 579 s: p50 in the 1–2 min bucket
    assert moving.wait_p90_s == 579.0  # in the 9–10 min bucket, capped by the largest wait
    assert all_.channels == {"kiosk": 2}
    # the one still waiting (documents, 15 min 6 s) is past its 15 minutes: counted against the service level
    assert documents.service_level == 0.5


def test_a_closed_day_is_frozen_and_equals_the_live_tally(app: Any, clock: Clock) -> None:
    box = _box(app)
    _a_morning(box.engine, clock)
    clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=BRUSSELS))
    box.engine.tick()  # the day closes: the one still waiting is abandoned
    live = box.figures.live.rows(day=DAY)  # before it is frozen
    live_hours = box.figures.live.rows("hour", day=DAY)
    assert _row(live, "all").abandoned == 2
    frozen = box.figures.history(DAY, DAY)
    assert frozen == live
    assert box.figures.history(DAY, DAY, by="hour") == live_hours
    revisions = box.store.db.execute("SELECT DISTINCT revision FROM day_tallies WHERE day = ?", (DAY,)).fetchall()
    assert revisions == [(1,)]
    assert box.figures.live.day_groups(DAY) == {}  # a closed day's figures left memory


def test_a_rebuild_from_the_log_equals_the_live_tally(app: Any, clock: Clock) -> None:
    box = _box(app)
    _a_morning(box.engine, clock)
    replayed = DayTally(FigureSettings.of(box.site))
    for ev in box.store.events():
        replayed.add(ev)
    now = clock.now
    assert replayed.rows("hour", now=now) == box.figures.live.rows("hour", now=now)
    assert replayed.rows(now=now) == box.figures.today()


def test_a_late_event_freezes_the_day_again_with_a_new_revision(app: Any, clock: Clock) -> None:
    box = _box(app)
    _a_morning(box.engine, clock)
    clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=BRUSSELS))
    box.engine.tick()
    before = _row(box.figures.history(DAY, DAY), "moving")
    # a contact logged today for yesterday (contact_logged comes with the day-close work: a hand-made event)
    late = Event("contact_logged", clock.now, {"id": "k1", "day": DAY, "need": "moving", "channel": "phone",
                                               "outcome": "resolved", "referral": None, "counter": "1",
                                               "agent": "alice"})
    with box.store.transaction() as db:
        cur = db.execute("INSERT INTO events (at, type, data) VALUES (?, ?, ?)",
                         (late.at, late.type, json.dumps(late.data)))
    from contactpoint.bus import Published

    box.bus.committed([Published(int(cur.lastrowid), late.type, {"at": late.at, "data": late.data})])
    after = _row(box.figures.history(DAY, DAY), "moving")
    assert after.served == before.served + 1 and after.channels == {"kiosk": 1, "phone": 1}
    revisions = box.store.db.execute("SELECT DISTINCT revision FROM day_tallies WHERE day = ?", (DAY,)).fetchall()
    assert revisions == [(2,)]
    box.figures.freeze()  # nothing changed since: no new revision
    assert box.store.db.execute("SELECT DISTINCT revision FROM day_tallies").fetchall() == [(2,)]


def test_a_restart_takes_the_open_day_back_from_the_log(app: Any, clock: Clock) -> None:
    box = _box(app)
    _a_morning(box.engine, clock)
    again = Figures(box.site, box.store, clock)
    assert again.today() == box.figures.today()


def test_history_freezes_a_past_day_on_first_read(app: Any, clock: Clock) -> None:
    box = _box(app)
    _a_morning(box.engine, clock)
    clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=BRUSSELS))
    box.engine.tick()
    box.store.db.execute("DELETE FROM day_tallies")  # as if the day closed before the table existed
    fresh = Figures(box.site, box.store, clock)
    rows = fresh.history("2026-11-24", "2026-11-26")
    assert {r.day for r in rows} == {DAY} and _row(rows, "all").abandoned == 2
    assert box.store.db.execute("SELECT count(*) FROM day_tallies WHERE hour = -1").fetchone()[0] == 2  # 24, 25
