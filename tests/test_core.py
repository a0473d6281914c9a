"""The domain core on its own: no Flask, no database."""

from __future__ import annotations

from datetime import datetime

import pytest

from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.events import Event, apply
from contactpoint.domain.figures import day_figures, service_time, wait_estimate_s, waiting_time
from contactpoint.domain.model import TRANSITIONS, SiteState, TicketState
from contactpoint.domain.ordering import ordered, position
from contactpoint.domain.site import Site
from tests.conftest import BRUSSELS

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS).timestamp()


class World:
    """A state, a site and a clock, driven through the pure commands."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.state = SiteState()
        self.now = T0
        self.n = 0
        self.seq = 0

    def do(self, command: c.Any, **kw: object) -> list[Event]:  # type: ignore[name-defined]
        events = command(self.state, self.site, self.now, **kw)
        for ev in events:
            self.seq += 1
            apply(self.state, Event(ev.type, ev.at, ev.data, self.seq))
        return events

    def issue(self, need: str = "moving", priority: bool = False, lang: str = "fr") -> str:
        self.n += 1
        tid = f"t{self.n}"
        self.do(c.issue_ticket, need=need, lang=lang, ticket_id=tid, token=f"tok{self.n}", priority=priority)
        return tid

    def open(self, counter: str = "1", agent: str = "alice", needs: tuple[str, ...] = ("moving",)) -> None:
        self.do(c.open_counter, counter=counter, agent=agent, needs=list(needs))

    def call(self, counter: str = "1") -> str:
        ev = self.do(c.call_next, counter=counter)
        return str(ev[0].data["ticket"])


@pytest.fixture
def w(site: Site) -> World:
    return World(site)


def test_numbers_count_per_need_and_day(w: World) -> None:
    a1, a2, b1 = w.issue("moving"), w.issue("moving"), w.issue("documents")
    assert [w.state.tickets[t].number for t in (a1, a2, b1)] == ["A001", "A002", "B001"]


def test_numbering_restarts_on_the_local_day_even_across_dst(w: World) -> None:
    # 2026-10-25: Brussels leaves summer time at 03:00 (the day has 25 hours)
    w.now = datetime(2026, 10, 24, 23, 30, tzinfo=BRUSSELS).timestamp()
    w.issue()
    w.now = datetime(2026, 10, 25, 0, 30, tzinfo=BRUSSELS).timestamp()
    t = w.issue()
    assert w.state.tickets[t].number == "A001" and w.state.tickets[t].day == "2026-10-25"
    w.now = datetime(2026, 10, 25, 23, 59, tzinfo=BRUSSELS).timestamp()
    assert w.state.tickets[w.issue()].day == "2026-10-25"
    w.now = datetime(2026, 10, 26, 0, 0, 30, tzinfo=BRUSSELS).timestamp()
    t = w.issue()
    assert (w.state.tickets[t].day, w.state.tickets[t].number) == ("2026-10-26", "A001")


def test_day_close_drops_yesterday_and_closes_counters(w: World) -> None:
    w.open()
    w.issue()
    w.now += 86400
    w.issue()
    assert len(w.state.tickets) == 1
    assert not w.state.counters["1"].open


def test_fifo_within_a_need(w: World) -> None:
    w.open()
    first = w.issue()
    w.now += 10
    w.issue()
    assert w.call() == first


def test_priority_goes_ahead_but_only_within_the_aging_cap(w: World) -> None:
    w.open()
    old = w.issue()
    w.now += 11 * 60  # more than the 10-minute cap after `old`
    w.issue(priority=True)
    assert w.call() == old  # the priority visitor does not overtake someone who waited longer than the cap
    w.do(c.finish, counter="1", outcome="resolved")
    recent = w.issue()
    w.now += 60
    prio = w.issue(priority=True)
    # the second priority ticket arrived one minute after `recent`: within the cap, so it goes first
    assert [t.id for t in ordered(w.state.tickets.values(), w.site.policy)][-2:] == [prio, recent]


def test_transfer_keeps_the_original_place_in_the_new_need(w: World) -> None:
    w.open("1", "alice", ("moving",))
    w.open("2", "bob", ("documents",))
    a = w.issue("moving")
    w.now += 60
    b = w.issue("documents")
    w.now += 60
    assert w.call("1") == a
    w.do(c.transfer, counter="1", need="documents", note="needs a new ID card")
    t = w.state.tickets[a]
    assert t.state == TicketState.TRANSFERRED and t.note == "needs a new ID card"
    assert w.call("2") == a  # arrived before b: keeps its place
    assert w.state.counters["1"].ticket is None
    assert b in w.state.tickets


def test_transfer_to_a_named_counter(w: World) -> None:
    w.open("1", "alice", ("moving",))
    w.open("2", "bob", ("documents",))
    a = w.issue("moving")
    w.call("1")
    w.do(c.transfer, counter="1", to_counter="2")
    assert w.call("2") == a


def test_a_visit_sent_to_a_counter_that_closes_goes_back_to_its_queue(w: World) -> None:
    w.open("1", "alice", ("moving",))
    w.open("2", "bob", ("documents",))
    a = w.issue("moving")
    w.call("1")
    w.do(c.transfer, counter="1", to_counter="2", note="for Bob")
    w.do(c.close_counter, counter="2")
    t = w.state.tickets[a]
    assert t.state == TicketState.TRANSFERRED and t.target_counter is None and t.note == "for Bob"
    assert w.call("1") == a  # back in its need's queue, at its original place


def test_two_counters_never_get_the_same_ticket(w: World) -> None:
    w.open("1", "alice")
    w.open("2", "bob")
    w.issue()
    w.issue()
    assert w.call("1") != w.call("2")
    with pytest.raises(CommandError) as e:
        w.open("3", "carol")
        w.call("3")
    assert e.value.key == "queue_empty"


def test_no_show_and_rejoin_within_grace(w: World) -> None:
    w.open()
    a = w.issue()
    w.call()
    w.do(c.no_show, counter="1")
    assert w.state.tickets[a].state == TicketState.NO_SHOW
    w.now += 5 * 60
    w.do(c.rejoin, ticket=a)
    assert w.state.tickets[a].state == TicketState.ISSUED
    assert w.call() == a
    w.do(c.no_show, counter="1")
    w.now += 16 * 60
    with pytest.raises(CommandError) as e:
        w.do(c.rejoin, ticket=a)
    assert e.value.key == "grace_expired"


def test_out_of_order_call_needs_a_reason_and_is_logged(w: World) -> None:
    w.open()
    w.issue()
    b = w.issue()
    with pytest.raises(CommandError) as e:
        w.do(c.call_ticket, counter="1", ticket=b, reason="  ")
    assert e.value.key == "reason_required"
    ev = w.do(c.call_ticket, counter="1", ticket=b, reason="wheelchair, cannot wait standing")
    assert ev[0].data["out_of_order"] is True and ev[0].data["reason"]
    assert w.state.tickets[b].out_of_order


@pytest.mark.parametrize(
    ("command", "kw", "key"),
    [
        (c.issue_ticket, {"need": "nope", "lang": "fr", "ticket_id": "x", "token": "y"}, "unknown_need"),
        (c.issue_ticket, {"need": "moving", "lang": "xx", "ticket_id": "x", "token": "y"}, "unknown_language"),
        (c.call_next, {"counter": "1"}, "counter_not_open"),
        (c.call_next, {"counter": "99"}, "unknown_counter"),
        (c.open_counter, {"counter": "1", "agent": "a", "needs": []}, "choose_needs"),
        (c.finish, {"counter": "1", "outcome": "resolved"}, "counter_not_open"),
    ],
)
def test_refusals_are_message_keys_and_change_nothing(
    w: World, command: c.Any, kw: dict[str, object], key: str
) -> None:  # type: ignore[name-defined]
    before = (dict(w.state.tickets), dict(w.state.counters), w.state.seq)
    with pytest.raises(CommandError) as e:
        w.do(command, **kw)
    assert e.value.key == key
    assert (dict(w.state.tickets), dict(w.state.counters), w.state.seq) == before


def test_closed_site_refuses_tickets(site: Site) -> None:
    from dataclasses import replace

    from contactpoint.domain.site import OpeningHours

    w = World(replace(site, hours=OpeningHours(week={}, always_open=False)))
    with pytest.raises(CommandError) as e:
        w.issue()
    assert e.value.key == "site_closed"


def test_a_finished_visit_frees_the_counter_and_counts(w: World) -> None:
    w.open()
    a = w.issue()
    w.now += 300
    w.call()
    w.now += 30
    w.do(c.start_service, counter="1")
    w.now += 600
    w.do(c.finish, counter="1", outcome="referred", referral="CPAS")
    t = w.state.tickets[a]
    assert t.state == TicketState.DONE and t.referral == "CPAS"
    assert waiting_time(t) == 300 and service_time(t) == 600
    assert w.state.counters["1"].ticket is None
    f = day_figures(w.state.tickets.values(), {"moving": 900})
    assert (f.issued, f.called, f.finished, f.first_line_resolution, f.service_level) == (1, 1, 1, 0.0, 1.0)


def test_figures_follow_the_design_definitions(w: World) -> None:
    w.open(needs=("moving", "documents"))
    ids = [w.issue() for _ in range(4)]
    w.now += 1200  # 20 minutes: over the 15-minute service level
    w.call()
    w.do(c.finish, counter="1", outcome="resolved")
    w.call()
    w.do(c.no_show, counter="1")
    w.call()
    w.do(c.finish, counter="1", outcome="online_help")
    f = day_figures(w.state.tickets.values(), {"moving": 900})
    assert f.issued == 4 and f.called == 3 and f.no_shows == 1
    assert f.no_show_rate == pytest.approx(1 / 3)
    assert f.first_line_resolution == pytest.approx(1 / 2)
    assert f.service_level == 0.0
    assert f.abandonment == pytest.approx(1 / 4)  # one never called (so far)
    assert ids


def test_figures_count_the_visitors_who_were_never_called() -> None:
    """Three visitors: one called at once, two who waited two hours (one then gave up). Counting only the
    tickets that were called said 'service level 100%, abandonment 1/3'."""
    from contactpoint.domain.model import Ticket

    def ticket(tid: str, called: float | None, state: TicketState) -> Ticket:
        return Ticket(tid, tid, "2026-11-25", "moving", tid, 1, "fr", state, 0.0, 0.0, called_at=called)

    served = ticket("a", 60.0, TicketState.CALLED)
    waiting = ticket("b", None, TicketState.ISSUED)
    gave_up = ticket("c", None, TicketState.CANCELLED)
    closed = day_figures([served, waiting, gave_up], {"moving": 900})
    assert closed.service_level == pytest.approx(1 / 3)
    assert closed.abandonment == pytest.approx(2 / 3)
    two_hours_in = day_figures([served, waiting, gave_up], {"moving": 900}, now=7200.0)
    assert two_hours_in.service_level == pytest.approx(1 / 3)  # the one still waiting is already late
    five_minutes_in = day_figures([served, waiting], {"moving": 900}, now=300.0)
    assert five_minutes_in.service_level == 1.0  # the one waiting 5 min may still be called in time


def test_position_and_honest_estimate(w: World) -> None:
    a, b, cc = w.issue(), w.issue(), w.issue()
    tickets = list(w.state.tickets.values())
    assert [position(w.state.tickets[x], tickets, w.site.policy) for x in (a, b, cc)] == [0, 1, 2]
    assert wait_estimate_s(2, 0, [], 420) is None  # no counter: no invented number
    assert wait_estimate_s(2, 2, [], 420) == pytest.approx(2.5 * 420 / 2)
    assert wait_estimate_s(0, 1, [100, 200, 300], 420) == pytest.approx(0.5 * 200)
    assert wait_estimate_s(1, 3, [], 420, idle=2) == 0.0  # a free counter calls them at once
    assert wait_estimate_s(3, 3, [], 420, idle=2) == pytest.approx(1.5 * 420 / 3)


def test_an_event_outside_the_transitions_is_refused_whole(w: World) -> None:
    a = w.issue()
    w.open()
    w.call()
    w.do(c.finish, counter="1", outcome="resolved")
    before = w.state.tickets[a]
    with pytest.raises(ValueError, match="done -> called is not a transition"):
        apply(w.state, Event("ticket_called", w.now, {"ticket": a, "counter": "1"}))
    assert w.state.tickets[a] == before


def test_transitions_table_is_closed() -> None:
    for src, dsts in TRANSITIONS.items():
        assert src not in dsts
    assert TRANSITIONS[TicketState.DONE] == frozenset()
