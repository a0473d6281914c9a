"""Invariants of the core under random days of commands (hypothesis)."""

from __future__ import annotations

from collections import Counter as Count
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactpoint.config import SAMPLE_SITE, load_site
from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.events import Event, apply, replay
from contactpoint.domain.model import AT_COUNTER, WAITING, SiteState, TicketState
from contactpoint.domain.ordering import sort_key
from tests.conftest import BRUSSELS

SITE = load_site(SAMPLE_SITE).site
# two needs and two counters (of the sample's six and three), so that random days call, transfer and finish
# often enough to test anything: with every need and counter, 100 days made 7 calls in all
NEEDS = [n.id for n in SITE.needs][:2]
COUNTERS = [x.id for x in SITE.counters][:2]
OUTCOMES = ["resolved", "referred", "appointment_made", "online_help", "escalated"]
T0 = datetime(2026, 3, 28, 22, 0, tzinfo=BRUSSELS).timestamp()  # the night Brussels moves to summer time

step = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(NEEDS), st.booleans()),
    st.tuples(st.just("issue"), st.sampled_from(NEEDS), st.just(False)),
    st.tuples(st.just("open"), st.sampled_from(COUNTERS), st.sets(st.sampled_from(NEEDS), min_size=1)),
    st.tuples(st.just("call"), st.sampled_from(COUNTERS)),
    st.tuples(st.just("call"), st.sampled_from(COUNTERS)),
    st.tuples(st.just("finish"), st.sampled_from(COUNTERS), st.sampled_from(OUTCOMES)),
    st.tuples(st.just("no_show"), st.sampled_from(COUNTERS)),
    st.tuples(st.just("transfer"), st.sampled_from(COUNTERS), st.sampled_from(NEEDS)),
    st.tuples(st.just("rejoin"), st.integers(0, 50)),
    st.tuples(st.just("wait"), st.integers(1, 1500)),  # minutes, the scale of the aging cap (10 min)
    st.tuples(st.just("wait"), st.integers(1, 1500)),
    st.tuples(st.just("wait"), st.integers(1, 4 * 3600)),  # hours: a day closes now and then
)


def run(steps: list[tuple[object, ...]]) -> tuple[SiteState, list[Event], list[tuple[str, str, str]]]:
    state = SiteState()
    log: list[Event] = []
    now = T0
    issued: list[tuple[str, str, str]] = []  # (day, number, id)
    n = 0

    def do(cmd: c.Any, **kw: object) -> list[Event]:  # type: ignore[name-defined]
        out = []
        for ev in cmd(state, SITE, now, **kw):
            stored = Event(ev.type, ev.at, ev.data, len(log) + 1)
            apply(state, stored)
            log.append(stored)
            out.append(stored)
        return out

    for s in steps:
        kind = s[0]
        try:
            if kind == "issue":
                n += 1
                for ev in do(c.issue_ticket, need=s[1], lang="fr", ticket_id=f"t{n}", token=f"k{n}", priority=s[2]):
                    if ev.type == "ticket_issued":
                        issued.append((ev.data["day"], ev.data["number"], ev.data["id"]))
            elif kind == "open":
                do(c.open_counter, counter=s[1], agent=f"agent{s[1]}", needs=sorted(s[2]))  # type: ignore[arg-type]
            elif kind == "call":
                do(c.call_next, counter=s[1])
            elif kind == "finish":
                do(c.finish, counter=s[1], outcome=s[2])
            elif kind == "no_show":
                do(c.no_show, counter=s[1])
            elif kind == "transfer":
                do(c.transfer, counter=s[1], need=s[2])
            elif kind == "rejoin":
                do(c.rejoin, ticket=f"t{s[1]}")
            elif kind == "wait":
                now += s[1]  # type: ignore[operator]
        except CommandError:
            pass
    return state, log, issued


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=40, max_size=120))
def test_invariants_hold_on_any_day(steps: list[tuple[object, ...]]) -> None:
    state, log, issued = run(steps)
    # no duplicate number within a day, ever
    assert not [k for k, v in Count((d, num) for d, num, _ in issued).items() if v > 1]
    # every ticket is in exactly one known state, and a counter holds at most the ticket at it
    at_counters = [x.ticket for x in state.counters.values() if x.ticket]
    assert len(at_counters) == len(set(at_counters))
    for t in state.tickets.values():
        assert isinstance(t.state, TicketState)
        held = t.id in at_counters
        assert held == (t.state in AT_COUNTER), (t, at_counters)
        if t.state in AT_COUNTER:
            assert state.counters[t.counter or ""].ticket == t.id
    # replaying the log gives the same projection
    again = replay(log)
    assert again.tickets == state.tickets and again.counters == state.counters and again.numbering == state.numbering


@settings(max_examples=100, deadline=None)
@given(st.lists(step, min_size=40, max_size=120))
def test_calls_are_fair(steps: list[tuple[object, ...]]) -> None:
    """Whenever call-next picks a ticket, no waiting ticket it could serve sorts before it."""
    state = SiteState()
    _, log, _ = run(steps)
    for ev in log:
        if ev.type == "ticket_called" and not ev.data.get("out_of_order"):
            counter = state.counters[ev.data["counter"]]
            picked = state.tickets[ev.data["ticket"]]
            for t in state.tickets.values():
                if t.id != picked.id and t.state in WAITING and t.need in counter.needs and t.target_counter is None:
                    assert sort_key(picked, SITE.policy) <= sort_key(t, SITE.policy)
        apply(state, ev)


@settings(max_examples=100, deadline=None)
@given(st.lists(step, min_size=40, max_size=120))
def test_nobody_is_overtaken_beyond_the_aging_cap_and_a_transfer_keeps_the_place(
    steps: list[tuple[object, ...]],
) -> None:
    """Stated from the rules themselves, not from `sort_key`: a visitor may be overtaken only by a priority
    visitor who arrived less than `priority_advance` after them; first come first served otherwise. A transfer
    or a rejoin keeps the place the visitor had when they took their ticket."""
    cap = SITE.policy.priority_advance_s
    state = SiteState()
    _, log, _ = run(steps)
    for ev in log:
        if ev.type == "ticket_called" and not ev.data.get("out_of_order"):
            counter = state.counters[ev.data["counter"]]
            picked = state.tickets[ev.data["ticket"]]
            if picked.target_counter is None and picked.target_agent is None:
                allowed = cap if picked.priority else 0.0
                for t in state.tickets.values():
                    if (
                        t.id != picked.id
                        and t.state in WAITING
                        and t.need in counter.needs
                        and t.target_counter is None
                        and t.target_agent is None
                    ):
                        assert not (t.queue_at + allowed < picked.queue_at), (picked.number, "overtook", t.number)
        apply(state, ev)
        for t in state.tickets.values():
            assert t.queue_at == t.issued_at, (t.number, "lost its place")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1500), st.booleans()), min_size=2, max_size=12))
def test_one_queue_is_called_first_come_first_served_within_the_aging_cap(arrivals: list[tuple[int, bool]]) -> None:
    """Visitors arrive (gaps in seconds, some with priority), then one counter calls them all: whoever is called
    before someone arrived at most the aging cap after them if they have priority, never after otherwise."""
    cap = SITE.policy.priority_advance_s
    state, now = SiteState(), T0 + 10 * 3600

    def do(cmd: c.Any, **kw: object) -> None:  # type: ignore[name-defined]
        for ev in cmd(state, SITE, now, **kw):
            apply(state, ev)

    do(c.open_counter, counter="1", agent="alice", needs=["moving"])
    for i, (gap, priority) in enumerate(arrivals):
        now += gap
        do(c.issue_ticket, need="moving", lang="fr", ticket_id=f"t{i}", token=f"k{i}", priority=priority)
    order = []
    for _ in arrivals:
        do(c.call_next, counter="1")
        order.append(state.tickets[state.counters["1"].ticket or ""])
        do(c.finish, counter="1", outcome="resolved")
    for i, first in enumerate(order):
        for later in order[i + 1 :]:
            allowed = cap if first.priority and not later.priority else 0.0
            assert first.queue_at <= later.queue_at + allowed, (first.number, "called before", later.number)
