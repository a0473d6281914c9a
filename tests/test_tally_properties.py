"""Every figure of the tally equals a direct computation from the same events (tests/figures_oracle.py), on days
hypothesis makes through the real domain commands, and on a simulated day of more than 300 visits."""

from __future__ import annotations

import json
import math
import random
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactpoint.config import SAMPLE_SITE, load_site
from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.events import Event, apply
from contactpoint.domain.histogram import BUCKET_EDGES_S, Histogram, bucket_bounds
from contactpoint.domain.model import SiteState
from contactpoint.domain.tally import DayTally, FigureRow, FigureSettings, Tally, rows_of
from tests.conftest import BRUSSELS
from tests.figures_oracle import EDGES, oracle

SITE = load_site(SAMPLE_SITE).site
SETTINGS = FigureSettings.of(SITE)
LEVELS = {n.id: 60.0 * n.service_level_minutes for n in SITE.needs}
KINDS = {o.id: o.kind for o in SITE.organisations}
NEEDS = [n.id for n in SITE.needs][:3]
COUNTERS = [x.id for x in SITE.counters][:2]
OUTCOMES = ["resolved", "referred", "appointment_made", "online_help", "escalated"]
REFERRALS = [None, "cpas-saint-gilles", "housing-info", "somewhere-else"]
T0 = datetime(2026, 3, 28, 20, 0, tzinfo=BRUSSELS).timestamp()  # the night Brussels moves to summer time


class Day:
    """Runs steps through the real commands, keeping the log; hand-made events for the parts other branches
    add (feedback taps, logged contacts) go into the same log."""

    def __init__(self, now: float = T0) -> None:
        self.state = SiteState()
        self.log: list[Event] = []
        self.now = now
        self.n = 0

    def do(self, cmd: Any, **kw: Any) -> list[Event]:
        try:
            events = cmd(self.state, SITE, self.now, **kw)
        except CommandError:
            return []
        for ev in events:
            self.add(ev)
        return events

    def add(self, ev: Event) -> None:
        stored = Event(ev.type, ev.at, ev.data, len(self.log) + 1)
        apply(self.state, stored)
        self.log.append(stored)

    def hand_made(self, type_: str, data: dict[str, Any]) -> None:
        self.log.append(Event(type_, self.now, data, len(self.log) + 1))  # not in the projection: not on main yet

    def issue(self, need: str, priority: bool = False) -> str:
        self.n += 1
        self.do(c.issue_ticket, need=need, lang="fr", ticket_id=f"t{self.n}", token=f"k{self.n}", priority=priority)
        return f"t{self.n}"

    def appointment(self, need: str, slot_in_s: float) -> None:
        self.n += 1
        aid = f"a{self.n}"
        self.do(c.book_appointment, appointment_id=aid, code=f"CODE{self.n}", slot_at=self.now + slot_in_s, need=need)
        self.do(c.check_in, appointment=aid, lang="fr", ticket_id=f"t{self.n}", token=f"k{self.n}")

    def day(self) -> str:
        return SITE.day_of(self.now)


def step_strategy(hand_made: bool = True) -> Any:
    counter = st.sampled_from(COUNTERS)
    need = st.sampled_from(NEEDS)
    hand = [
        st.tuples(st.just("tap"), st.integers(0, 5), st.sampled_from(["tablet", "buttons", "phone"]),
                  st.sampled_from([None, *NEEDS])),
        st.tuples(st.just("contact"), need, st.sampled_from(["phone", "email", "desk"]), st.sampled_from(OUTCOMES),
                  st.sampled_from(REFERRALS), st.booleans()),
    ]
    return st.one_of(*(hand if hand_made else []),
        st.tuples(st.just("issue"), need, st.booleans()),
        st.tuples(st.just("issue"), need, st.just(False)),
        st.tuples(st.just("appointment"), need, st.integers(-1200, 2400)),
        st.tuples(st.just("open"), counter, st.sets(need, min_size=1)),
        st.tuples(st.just("call"), counter),
        st.tuples(st.just("call"), counter),
        st.tuples(st.just("start"), counter),
        st.tuples(st.just("finish"), counter, st.sampled_from(OUTCOMES), st.sampled_from(REFERRALS)),
        st.tuples(st.just("no_show"), counter),
        st.tuples(st.just("transfer"), counter, need),
        st.tuples(st.just("rejoin"), st.integers(0, 40)),
        st.tuples(st.just("cancel"), st.integers(0, 40)),
        st.tuples(st.just("help"), counter),
        st.tuples(st.just("wait"), st.integers(1, 1500)),
        st.tuples(st.just("wait"), st.integers(1, 3 * 3600)),
        st.tuples(st.just("close"),),
    )


def run(steps: list[tuple[Any, ...]]) -> Day:
    d = Day()
    for s in steps:
        kind = s[0]
        if kind == "issue":
            d.issue(s[1], s[2])
        elif kind == "appointment":
            d.appointment(s[1], s[2])
        elif kind == "open":
            d.do(c.open_counter, counter=s[1], agent=f"agent{s[1]}", needs=sorted(s[2]))
        elif kind == "call":
            d.do(c.call_next, counter=s[1])
        elif kind == "start":
            d.do(c.start_service, counter=s[1])
        elif kind == "finish":
            d.do(c.finish, counter=s[1], outcome=s[2], referral=s[3])
        elif kind == "no_show":
            d.do(c.no_show, counter=s[1])
        elif kind == "transfer":
            d.do(c.transfer, counter=s[1], need=s[2])
        elif kind == "rejoin":
            d.do(c.rejoin, ticket=f"t{s[1]}")
        elif kind == "cancel":
            d.do(c.cancel, ticket=f"t{s[1]}")
        elif kind == "help":
            d.do(c.request_help, counter=s[1], agent=f"agent{s[1]}")
        elif kind == "tap":  # a score out of 1–4 is never counted
            d.hand_made("feedback_given", {"score": s[1], "channel": s[2], "need": s[3], "outcome": None,
                                           "ticket": None, "device": None})
        elif kind == "contact":
            past = s[5] and d.state.day
            day = (d.state.day if past else None) or d.day()
            d.hand_made("contact_logged", {"id": f"c{len(d.log)}", "day": day, "need": s[1], "channel": s[2],
                                           "outcome": s[3], "referral": s[4], "counter": "1", "agent": "x"})
        elif kind == "wait":
            d.now += s[1]
        elif kind == "close":
            d.do(c.day_change)
    return d


def as_oracle(row: FigureRow) -> dict[str, Any]:
    d = {k: getattr(row, k) for k in row.__slots__ if k not in ("day", "need", "hour")}  # type: ignore[attr-defined]
    for k in ("csat", "happy_index", "response_rate", "no_show_rate", "abandonment", "service_level",
              "first_line_resolution"):
        assert d[k] is None or isinstance(d[k], float)
    return d


def check(log: list[Event], by: str, now: float | None) -> list[FigureRow]:
    tally = DayTally(SETTINGS)
    for ev in log:
        tally.add(ev)
    rows = tally.rows(by, now=now)  # type: ignore[arg-type]
    expected = oracle(log, BRUSSELS, LEVELS, KINDS, by, now)
    assert {(r.day, r.need, r.hour) for r in rows} == set(expected)
    for r in rows:
        assert as_oracle(r) == expected[(r.day, r.need, r.hour)], (r.day, r.need, r.hour)
    return rows


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step_strategy(), min_size=30, max_size=150))
def test_every_figure_equals_the_direct_computation(steps: list[tuple[Any, ...]]) -> None:
    d = run(steps)
    for by in ("need", "hour"):
        check(d.log, by, None)
        check(d.log, by, d.now)  # live: tickets still within their threshold are left out of the service level


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step_strategy(), min_size=30, max_size=120), st.integers(0, 10_000))
def test_tallies_merge_and_survive_json(steps: list[tuple[Any, ...]], cut: int) -> None:
    d = run(steps)
    whole = DayTally(SETTINGS)
    for ev in d.log:
        whole.add(ev)
    for t in whole.groups.values():
        assert Tally.from_dict(json.loads(json.dumps(t.to_dict()))) == t
    # the groups of a day merged by hour give the same rows as the day's own groups: the hub's merge
    keys = sorted(whole.groups, key=str)
    k = cut % (len(keys) + 1)
    a = {key: whole.groups[key] for key in keys[:k]}
    b = {key: whole.groups[key] for key in keys[k:]}
    merged = {key: Tally.merged(a.get(key, Tally()), b.get(key, Tally())) for key in keys}
    assert rows_of(merged) == whole.rows()


def test_the_documented_edges_are_the_code_edges() -> None:
    assert list(BUCKET_EDGES_S) == EDGES and len(EDGES) == 80


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 20_000, allow_nan=False), min_size=1, max_size=200), st.floats(0, 100),
       st.lists(st.floats(0, 20_000, allow_nan=False), max_size=50))
def test_the_true_percentile_lies_in_the_reported_bucket(values: list[float], p: float, more: list[float]) -> None:
    h = Histogram()
    for v in values:
        h.add(v)
    exact = sorted(values)[max(0, math.ceil(p / 100 * len(values)) - 1)]
    bounds = h.bounds(p)
    assert bounds is not None
    lower, upper = bounds
    assert (lower < exact or exact == lower == 0.0) and exact <= upper
    reported = h.percentile(p)
    assert reported is not None and exact <= reported <= upper and reported == min(upper, max(values))
    assert h.max() == max(values) and h.count() == len(values)
    # merging two histograms is the histogram of both
    other = Histogram()
    for v in more:
        other.add(v)
    both = Histogram()
    for v in values + more:
        both.add(v)
    assert h.merge(other) == both


def test_each_bucket_holds_its_upper_edge() -> None:
    for i, edge in enumerate(BUCKET_EDGES_S):
        h = Histogram()
        h.add(edge)
        assert h.bounds(50) == bucket_bounds(i) and h.percentile(50) == edge
    h = Histogram()
    h.add(30_000.0)  # past 4 hours: the open bucket reports the largest wait itself
    assert h.bounds(50) == (BUCKET_EDGES_S[-1], math.inf) and h.percentile(90) == 30_000.0


def simulated_day(seed: int, visits: int = 330) -> Day:
    """A day of `visits` visitors over 08:00–18:00 at three counters: arrivals at random, agents calling as soon
    as they are free, services of random length; some no-shows (a few rejoin), cancellations, transfers,
    appointments, referrals, taps, help alerts and logged contacts; closed at midnight with some still waiting."""
    rng = random.Random(seed)
    d = Day(datetime(2026, 11, 24, 8, 0, tzinfo=BRUSSELS).timestamp())
    counters = [x.id for x in SITE.counters]
    for cid in counters:
        d.do(c.open_counter, counter=cid, agent=f"agent{cid}", needs=[n.id for n in SITE.needs])
    end = datetime(2026, 11, 24, 18, 0, tzinfo=BRUSSELS).timestamp()
    arrivals = sorted(rng.uniform(d.now, end - 600) for _ in range(visits))
    busy_until = {cid: d.now for cid in counters}
    plans: dict[str, tuple[str, float]] = {}  # counter -> (what next, when)
    absent: list[tuple[str, float]] = []
    needs = [n.id for n in SITE.needs]
    i = 0
    while i < len(arrivals) or plans:
        due = min([t for _, t in plans.values()] + ([arrivals[i]] if i < len(arrivals) else []))
        d.now = max(d.now, due)
        if i < len(arrivals) and arrivals[i] <= d.now:
            i += 1
            if rng.random() < 0.08:
                d.appointment(rng.choice(needs), rng.uniform(-900, 1500))
            else:
                d.issue(rng.choice(needs), rng.random() < 0.05)
            if rng.random() < 0.03 and d.n > 3:
                d.do(c.cancel, ticket=f"t{rng.randint(1, d.n)}")
        for cid in counters:
            what, when = plans.get(cid, ("call", busy_until[cid]))
            if when > d.now:
                continue
            plans.pop(cid, None)
            if what == "call":
                if d.do(c.call_next, counter=cid):
                    plans[cid] = ("absent" if rng.random() < 0.07 else "start", d.now + rng.uniform(20, 90))
                elif i < len(arrivals):
                    busy_until[cid] = arrivals[i]
            elif what == "absent":
                ev = d.do(c.no_show, counter=cid)
                if ev and rng.random() < 0.4:
                    absent.append((ev[0].data["ticket"], d.now + rng.uniform(60, 600)))
                plans[cid] = ("call", d.now)
            elif what == "start":
                d.do(c.start_service, counter=cid)
                plans[cid] = ("finish", d.now + rng.expovariate(1 / 240))
            elif what == "finish":
                if rng.random() < 0.05:
                    d.do(c.transfer, counter=cid, need=rng.choice(needs))
                else:
                    outcome = rng.choices(OUTCOMES, [6, 2, 1, 1, 1])[0]
                    d.do(c.finish, counter=cid, outcome=outcome, referral=rng.choice(REFERRALS[1:]))
                    if rng.random() < 0.4:
                        d.hand_made("feedback_given", {"score": rng.randint(1, 4), "channel": "tablet",
                                                       "need": None, "outcome": None, "ticket": None, "device": "t"})
                plans[cid] = ("call", d.now + rng.uniform(0, 60))
        for tid, at in [x for x in absent if x[1] <= d.now]:
            absent.remove((tid, at))
            d.do(c.rejoin, ticket=tid)
        if rng.random() < 0.01:
            cid = rng.choice(counters)
            d.do(c.request_help, counter=cid, agent=f"agent{cid}")
        if rng.random() < 0.02:
            d.hand_made("contact_logged", {"id": f"c{len(d.log)}", "day": d.day(), "need": rng.choice(needs),
                                           "channel": rng.choice(["phone", "email", "desk"]),
                                           "outcome": rng.choice(OUTCOMES), "referral": None, "counter": "1",
                                           "agent": "x"})
        if d.now > end:
            break
    d.now = datetime(2026, 11, 25, 0, 0, 1, tzinfo=BRUSSELS).timestamp()
    d.do(c.day_change)
    return d


def test_a_simulated_day_of_300_visits_equals_the_direct_computation() -> None:
    d = simulated_day(seed=11)
    rows = check(d.log, "need", None)
    check(d.log, "hour", None)
    day = next(r for r in rows if r.need == "all")
    assert day.issued >= 300 and day.served >= 250  # a real day's size, served mostly
    assert day.no_shows and day.abandoned and day.transferred and day.appointments and day.help_alerts
    assert set(day.channels) >= {"kiosk", "appointment"} and day.taps and day.referrals_by_kind


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step_strategy(hand_made=False), min_size=30, max_size=120))
def test_the_tally_and_day_figures_are_one_definition(steps: list[tuple[Any, ...]]) -> None:
    """`domain/figures.py`'s day_figures (over the projection's tickets) and the tally (over the events) agree
    on the open day, closed at the end (every need has the same threshold here: a transfer moves a projected
    ticket's need, not the tally's)."""
    from contactpoint.domain.figures import day_figures

    d = run(steps)
    if not d.state.day:
        return
    tally = DayTally(SETTINGS)
    for ev in [*d.log, Event("day_closed", d.now, {"day": d.state.day, "next_day": "9999-12-31"})]:
        tally.add(ev)
    rows = [r for r in tally.rows(day=d.state.day) if r.need == "all"]
    f = day_figures(d.state.tickets.values(), LEVELS)
    if not rows:
        assert f.issued == 0
        return
    r = rows[0]
    assert (r.issued, r.called, r.served, r.no_shows) == (f.issued, f.called, f.finished, f.no_shows)
    assert (r.abandonment, r.service_level, r.no_show_rate) == (f.abandonment, f.service_level, f.no_show_rate)
    assert r.first_line_resolution == f.first_line_resolution
    if f.wait_p50_s is not None:
        bounds = next(b for i, b in enumerate(EDGES) if f.wait_p50_s <= b) if f.wait_p50_s <= EDGES[-1] else math.inf
        assert r.wait_p50_s == min(bounds, r.wait_max_s or 0.0)
