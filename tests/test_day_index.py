"""The day's index (domain/queues.py): the ticket path never walks the day's tickets, and the index always says
what a walk over them would say."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from contactpoint.domain import appointments, figures, ordering, refusals
from contactpoint.domain import commands as c
from contactpoint.domain.model import WAITING, Ticket
from contactpoint.domain.queues import DayIndex
from contactpoint.domain.site import OpeningHours, Site, Span
from contactpoint.engine import Engine
from contactpoint.store import EventStore
from tests.conftest import BRUSSELS, Clock


class NoWalk(dict[str, Ticket]):
    """The day's tickets, refusing to be walked while armed: only looked up by id."""

    armed = True


def _refused(name: str) -> Any:
    walk = getattr(dict, name)

    def method(self: NoWalk) -> Any:
        if self.armed:
            raise AssertionError("the ticket path walked the day's tickets")
        return walk(self)

    return method


for _name in ("__iter__", "values", "items", "keys"):
    setattr(NoWalk, _name, _refused(_name))


def _no_walk(engine: Engine) -> NoWalk:
    tickets = NoWalk()
    dict.update(tickets, engine._state.tickets)
    engine._state.tickets = tickets
    return tickets


def _site(site: Site) -> Site:
    """Office hours (so a newcomer's estimate is checked against closing time), a capped need, open counters
    required: every rule of the ticket path runs."""
    two = (Span(time(0), time(12, 30)), Span(time(13, 30), time(23, 59)))
    needs = tuple(replace(n, capacity=10_000) if n.id == "moving" else n for n in site.needs)
    policy = replace(site.policy, require_open_counter=True, default_service_s=5.0)
    return replace(site, hours=OpeningHours(week=dict.fromkeys(range(7), two)), needs=needs, policy=policy)


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every ticket put through the queue order or the service time, wherever it is called from."""
    calls = [0]
    for module, name in (
        (ordering, "effective_time"),
        (figures, "service_time"),
        (appointments, "effective_time"),  # where the refusal rules lived, walking the day
        (appointments, "recent_service_times"),
    ):
        real = getattr(module, name, None)
        if real is None:
            continue

        def counted(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            calls[0] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


def _serve_some(engine: Engine, clock: Clock, n: int) -> None:
    for _ in range(n):
        engine.run(c.call_next, counter="1")
        clock.advance(5)
        engine.run(c.finish, counter="1", outcome="resolved")


def test_the_ticket_path_costs_the_same_on_the_thousandth_visitor(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS))
    engine = Engine(_site(site), EventStore(tmp_path / "cp.sqlite3"), clock)
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    engine.run(c.open_counter, counter="2", agent="bob", needs=["moving"])

    def one_visitor() -> int:
        calls = _count_calls(monkeypatch)
        t = engine.issue(need="moving", lang="fr")
        engine.ticket_view(t)
        assert engine.ticket_by_token(t.token) == t
        assert refusals.ticket_refusal(engine._state, engine.site, engine.now(), "moving") is None
        monkeypatch.undo()
        return calls[0]

    costs = []
    for size in (20, 400):
        while len(engine._state.tickets) < size:
            engine.issue(need="moving" if len(engine._state.tickets) % 3 else "documents", lang="fr")
            clock.advance(0.5)
        _serve_some(engine, clock, 5)
        engine.ticket_view(engine.issue(need="moving", lang="fr"))  # the first query may sort the line once
        tickets = _no_walk(engine)
        costs.append(one_visitor())
        tickets.armed = False
    assert costs[0] == costs[1]


def test_a_token_is_found_without_a_walk_and_forgotten_when_its_day_closes(tmp_path: Path, site: Site) -> None:
    clock = Clock(datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS))
    path = tmp_path / "cp.sqlite3"
    engine = Engine(site, EventStore(path), clock)
    tickets = [engine.issue(need="moving", lang="fr") for _ in range(30)]
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
    engine.run(c.call_next, counter="1")
    engine.run(c.finish, counter="1", outcome="resolved")  # a finished visit keeps its tracking page
    guard = _no_walk(engine)
    for t in tickets:
        assert engine.ticket_by_token(t.token) == engine._state.tickets[t.id]
    assert engine.ticket_by_token("x" * 22) is None
    assert engine.ticket_by_token(tickets[0].token[:-1] + "!") is None
    guard.armed = False
    restarted = Engine(site, EventStore(path), clock)  # rebuilt on load
    assert all(restarted.ticket_by_token(t.token) is not None for t in tickets)
    clock.advance(86400)
    restarted.tick()  # the day closes: its tokens with it
    assert all(restarted.ticket_by_token(t.token) is None for t in tickets)
    fresh = restarted.issue(need="moving", lang="fr")
    assert restarted.ticket_by_token(fresh.token) == fresh


def test_the_index_says_what_a_walk_over_the_tickets_says(tmp_path: Path, site: Site) -> None:
    clock = Clock(datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS))
    engine = Engine(_site(site), EventStore(tmp_path / "cp.sqlite3"), clock)
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    engine.run(c.open_counter, counter="2", agent="bob", needs=["documents"])
    for i in range(40):
        engine.issue(need=("moving", "documents")[i % 2], lang="fr", priority=i % 7 == 3)
        clock.advance(20)
    _serve_some(engine, clock, 4)
    engine.run(c.call_next, counter="2")
    engine.run(c.transfer, counter="2", need="moving", note="the lease")
    engine.run(c.call_next, counter="1")
    engine.run(c.no_show, counter="1")
    st, policy = engine._state, engine.site.policy
    for index in (st.index, DayIndex(st.tickets.values())):  # kept in step, and built afresh
        tickets = list(st.tickets.values())
        for t in tickets:
            assert index.position(t, policy) == ordering.position(t, tickets, policy)
        for need in ("moving", "documents", "housing"):
            waiting = [t for t in tickets if t.need == need and t.state in WAITING]
            assert index.waiting(need) == len(waiting)
            oldest = min((t.issued_at for t in waiting), default=None)
            assert (index.lines[need].oldest_issued_at() if need in index.lines else None) == oldest
            for priority in (False, True):
                mine = engine.now() - (policy.priority_advance_s if priority else 0.0)
                ahead = sum(1 for t in waiting if ordering.effective_time(t, policy) <= mine)
                assert index.ahead_of_newcomer(need, engine.now(), policy, priority) == ahead
            walk_ins = sum(1 for t in tickets if t.need == need and t.appointment_id is None)
            assert index.walk_ins.get((st.day, need), 0) == walk_ins
            assert index.recent(need) == figures.recent_service_times(tickets, need)
