"""Appointments and the kiosk's refusal rules: the pure core, the store, the import and the manager's pages."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from contactpoint import appointments_import as imp
from contactpoint.domain import commands as c
from contactpoint.domain.appointments import (
    AppointmentState,
    CheckInRule,
    check_in_rule,
    find_by_code,
    make_code,
    normalise_code,
    todays_open,
)
from contactpoint.domain.errors import CommandError
from contactpoint.domain.events import Event, apply
from contactpoint.domain.model import SiteState, TicketState
from contactpoint.domain.ordering import ordered
from contactpoint.domain.refusals import full_needs, next_day_opening, site_refusal, ticket_refusal, unavailable_needs
from contactpoint.domain.site import OpeningHours, Site, Span
from contactpoint.engine import Engine
from contactpoint.store import EventStore
from tests.conftest import BRUSSELS, Clock, post_login

# Wednesday 25 November 2026, 10:00 in Brussels
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS).timestamp()


def _by_id(entities: Any) -> dict[str, Any]:
    return {e.id: e for e in entities}


def at(hh: int, mm: int = 0, day: int = 25) -> float:
    return datetime(2026, 11, day, hh, mm, tzinfo=BRUSSELS).timestamp()


def office_hours(site: Site) -> Site:
    """Mon, Tue, Thu 09:00-12:30 and 13:30-16:30; Wednesday morning only; closed at the weekend."""
    two = (Span(time(9), time(12, 30)), Span(time(13, 30), time(16, 30)))
    week = {0: two, 1: two, 2: (Span(time(9), time(12, 30)),), 3: two, 4: (Span(time(9), time(12, 30)),)}
    return replace(site, hours=OpeningHours(week=week))


class World:
    def __init__(self, site: Site) -> None:
        self.site, self.state, self.now, self.seq, self.n = site, SiteState(), T0, 0, 0

    def do(self, command: Any, **kw: Any) -> list[Event]:
        events = command(self.state, self.site, self.now, **kw)
        for ev in events:
            self.seq += 1
            apply(self.state, Event(ev.type, ev.at, ev.data, self.seq))
        return events

    def book(self, slot: float, code: str = "K7P3QX", need: str = "moving", name: str | None = None) -> str:
        self.n += 1
        aid = f"a{self.n}"
        self.do(c.book_appointment, appointment_id=aid, code=code, slot_at=slot, need=need, name=name)
        return aid

    def issue(self, need: str = "moving", priority: bool = False) -> str:
        self.n += 1
        self.do(c.issue_ticket, need=need, lang="fr", ticket_id=f"t{self.n}", token=f"k{self.n}", priority=priority)
        return f"t{self.n}"

    def check_in(self, aid: str) -> str:
        self.n += 1
        self.do(c.check_in, appointment=aid, lang="nl", ticket_id=f"t{self.n}", token=f"k{self.n}")
        return f"t{self.n}"


@pytest.fixture
def w(site: Site) -> World:
    return World(site)


# -- pure rules ------------------------------------------------------------------------------------------
def test_check_in_rule_early_on_time_late() -> None:
    slot = at(11)
    assert check_in_rule(slot, slot - 1801, 1800, 900) == CheckInRule.EARLY
    assert check_in_rule(slot, slot - 1800, 1800, 900) == CheckInRule.ON_TIME
    assert check_in_rule(slot, slot + 900, 1800, 900) == CheckInRule.ON_TIME
    assert check_in_rule(slot, slot + 901, 1800, 900) == CheckInRule.LATE


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("k7p3qx", "K7P3QX"),
        (" K7P-3QX ", "K7P3QX"),
        ("https://rdv.example.be/checkin/K7P3QX", "K7P3QX"),
        ("https://rdv.example.be/c?code=K7P3QX", "K7P3QX"),
        ("https://rdv.example.be/checkin/K7P3QX/", "K7P3QX"),
        # the audit's misreadings: a query or a fragment is not part of the code (was MAIL, FR, K7P3QXTOP)
        ("https://rdv.example.be/checkin/K7P3QX?utm=mail", "K7P3QX"),
        ("https://rdv.example.be/c?code=K7P3QX&lang=fr", "K7P3QX"),
        ("https://rdv.example.be/checkin/K7P3QX#top", "K7P3QX"),
        ("https://rdv.example.be/checkin/K7P3QX?utm_source=mail&lang=nl#top", "K7P3QX"),
        ("https://rdv.example.be/x/OTHER?Code=k7p3qx", "K7P3QX"),  # a code parameter wins over the path
        ("https://rdv.example.be/checkin/K7P%2D3QX", "K7P3QX"),
        ("code=K7P3QX", "K7P3QX"),
        ("https://rdv.example.be/", ""),
    ],
)
def test_a_code_is_found_however_it_was_typed_or_scanned(typed: str, code: str) -> None:
    assert normalise_code(typed) == code


def test_made_codes_avoid_confusable_characters() -> None:
    code = make_code(bytes(range(256)), 200)
    assert not set(code) & set("01OIL") and len(make_code(b"abcdefgh")) == 6


def test_closed_closing_and_next_opening(site: Site) -> None:
    s = office_hours(site)
    # Wednesday 13:00: closed for the afternoon; next opening Thursday 09:00
    r = site_refusal(s, at(13))
    assert r is not None and r.key == "site_closed"
    assert r.come_back_at == at(9, day=26)
    # Wednesday 12:20: open, but within the last 15 minutes before 12:30
    r = site_refusal(s, at(12, 20))
    assert r is not None and r.key == "site_closing" and r.come_back_at == at(9, day=26)
    # Monday 12:20: closing for lunch, back at 13:30 the same day
    r = site_refusal(s, at(12, 20, day=23))
    assert r is not None and r.key == "site_closing" and r.come_back_at == at(13, 30, day=23)
    # Friday evening → Monday morning
    r = site_refusal(s, at(18, day=27))
    assert r is not None and r.come_back_at == at(9, day=30)
    assert site_refusal(s, at(10)) is None
    # always open: never refused
    assert site_refusal(site, at(3)) is None


def test_a_closed_site_refuses_with_the_come_back_time(w: World) -> None:
    w.site = office_hours(w.site)
    w.now = at(12, 20)
    with pytest.raises(CommandError) as e:
        w.issue()
    assert e.value.key == "site_closing" and float(e.value.params["come_back_at"]) == at(9, day=26)
    assert w.state.tickets == {}


def test_capacity_per_need_then_come_back_the_next_opening_day(w: World) -> None:
    w.site = replace(
        office_hours(w.site), needs=tuple(replace(n, capacity=2) if n.id == "moving" else n for n in w.site.needs)
    )
    w.issue()
    w.issue()
    assert full_needs(w.state, w.site, w.now) == {"moving"}
    with pytest.raises(CommandError) as e:
        w.issue()
    assert e.value.key == "capacity_reached" and float(e.value.params["come_back_at"]) == at(9, day=26)
    w.issue("documents")  # another need is not affected
    # the next day the count starts again
    w.now = at(10, day=26)
    w.issue()
    assert next_day_opening(w.site, at(10, day=27)) == at(9, day=30)


def test_require_open_counter_says_which_problem(w: World) -> None:
    w.site = replace(w.site, policy=replace(w.site.policy, require_open_counter=True))
    r = ticket_refusal(w.state, w.site, w.now, "moving")
    assert r is not None and r.key == "no_counter_open"
    w.do(c.open_counter, counter="1", agent="alice", needs=["documents"])
    r = ticket_refusal(w.state, w.site, w.now, "moving")
    assert r is not None and r.key == "no_counter_for_need"
    assert ticket_refusal(w.state, w.site, w.now, "documents") is None


def _waiting_for(w: World, n: int, need: str = "housing") -> None:
    """n walk-ins waiting for a need, issued at 9:05 the same day before any counter opened."""
    now = w.now
    w.now = w.site.local(now).replace(hour=9, minute=5).timestamp()
    for _ in range(n):
        w.issue(need)
    w.now = now


def test_no_ticket_the_honest_estimate_cannot_call_before_closing(w: World) -> None:
    """The audit's case: 12:10, closing 12:30, one counter, 41 waiting: D042 was issued with "about 284 min"."""
    w.site = office_hours(w.site)
    _waiting_for(w, 41)
    w.do(c.open_counter, counter="1", agent="alice", needs=["housing", "moving"])
    w.now = at(12, 10)  # Wednesday: the site closes at 12:30 and opens again on Thursday at 9:00
    with pytest.raises(CommandError) as e:
        w.issue("housing")
    assert e.value.key == "queue_full" and float(e.value.params["come_back_at"]) == at(9, day=26)
    assert sum(1 for t in w.state.tickets.values() if t.need == "housing") == 41
    w.issue("moving")  # nobody waits for it: called at once
    # the same at the start of the morning: 41 × 7 min is more than the 3 h 20 min left before 12:30
    w.now = at(9, 10)
    with pytest.raises(CommandError):
        w.issue("housing")
    # a shorter queue fits: 20 people ahead × 7 min ≈ 2 h 20 min, called before 12:30
    w2 = World(office_hours(w.site))
    _waiting_for(w2, 20)
    w2.do(c.open_counter, counter="1", agent="alice", needs=["housing"])
    w2.now = at(9, 10)
    w2.issue("housing")


def test_a_full_queue_at_lunch_comes_back_after_lunch(w: World) -> None:
    w.site = office_hours(w.site)
    w.now = at(11, day=23)  # Monday: 09:00-12:30 and 13:30-16:30
    _waiting_for(w, 12)
    w.do(c.open_counter, counter="1", agent="alice", needs=["housing"])
    w.now = at(11, 30, day=23)
    r = ticket_refusal(w.state, w.site, w.now, "housing")
    assert r is not None and r.key == "queue_full" and r.come_back_at == at(13, 30, day=23)
    # 12 ahead × 7 min at one counter is 12:57; two counters halve it: called about 12:14, before 12:30
    w.do(c.open_counter, counter="2", agent="bob", needs=["housing"])
    assert ticket_refusal(w.state, w.site, w.now, "housing") is None
    # the kiosk's needs screen marks the need and says why (the other needs: nobody waits)
    w.do(c.close_counter, counter="2")
    assert unavailable_needs(w.state, w.site, w.now) == {"housing": "queue_full"}


def test_every_counter_closed_refuses_by_default_and_says_when_to_come_back(site: Site) -> None:
    from contactpoint.config import load_site
    from tests.kiosk_support import site_text

    text = site_text(always_open=False).replace("require_open_counter = false\n", "")
    assert "require_open_counter" not in text
    import tomllib

    from contactpoint.config import parse_site

    real = parse_site(tomllib.loads(text)).site
    assert real.policy.require_open_counter  # the default of a real site
    w = World(real)
    w.now = at(10, day=23)  # Monday morning, open, nobody at a counter
    with pytest.raises(CommandError) as e:
        w.issue("housing")
    assert e.value.key == "no_counter_open" and float(e.value.params["come_back_at"]) == at(13, 30, day=23)
    w.do(c.open_counter, counter="1", agent="alice", needs=["documents"])
    with pytest.raises(CommandError) as e:
        w.issue("housing")
    assert e.value.key == "no_counter_for_need"
    w.issue("documents")  # the demo's flow: an agent opens a counter, a newcomer takes a ticket
    assert load_site().site.policy.require_open_counter is False  # the demo site lets visitors queue first


def test_closed_days_are_closed_and_skipped_when_saying_when_to_come_back(site: Site) -> None:
    from datetime import date

    s = office_hours(site)
    s = replace(s, hours=replace(s.hours, closed=frozenset({date(2026, 11, 26), date(2026, 11, 27)})))
    r = site_refusal(s, at(10, day=26))  # Thursday, a closed day, at an hour it is usually open
    assert r is not None and r.key == "site_closed" and r.come_back_at == at(9, day=30)  # Monday
    r = site_refusal(s, at(13))  # Wednesday afternoon: not Thursday or Friday, but Monday
    assert r is not None and r.come_back_at == at(9, day=30)
    assert next_day_opening(s, at(10)) == at(9, day=30)
    # an always open site is closed on its closed days too, and open again at the next midnight
    always = replace(site, hours=replace(site.hours, closed=frozenset({date(2026, 11, 25)})))
    r = site_refusal(always, at(10))
    assert r is not None and r.key == "site_closed" and r.come_back_at == at(0, day=26)
    assert site_refusal(always, at(10, day=26)) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [('["2026-13-01"]', "hours.closed[0]"), ('["25/12/2026"]', "hours.closed[0]"), ('"2026-12-25"', "hours.closed")],
)
def test_closed_days_are_checked_when_the_file_is_read(value: str, problem: str) -> None:
    import tomllib

    from contactpoint.config import ConfigError, parse_site
    from tests.kiosk_support import site_text

    text = site_text(always_open=False).replace("[hours]\n", f"[hours]\nclosed = {value}\n")
    with pytest.raises(ConfigError) as e:
        parse_site(tomllib.loads(text))
    assert e.value.key == problem
    ok = site_text(always_open=False).replace("[hours]\n", '[hours]\nclosed = ["2026-12-25", 2027-01-01]\n')
    assert len(parse_site(tomllib.loads(ok)).site.hours.closed) == 2


# -- appointments in the core ----------------------------------------------------------------------------
def test_on_time_check_in_keeps_the_slot_and_goes_ahead_within_the_cap(w: World) -> None:
    aid = w.book(at(10, 20))
    walk_in = w.issue()
    w.now = at(10, 10)
    tid = w.check_in(aid)
    t = w.state.tickets[tid]
    assert t.slot_at == at(10, 20) and t.appointment_id == aid and t.lang == "nl"
    a = w.state.appointments[aid]
    assert a.state == AppointmentState.CHECKED_IN and a.ticket == tid and a.rule == CheckInRule.ON_TIME
    # placed at slot − 15 min = 10:05: after the walk-in of 10:00
    assert [x.id for x in ordered(w.state.tickets.values(), w.site.policy)] == [walk_in, tid]
    late_walk_in = w.issue()
    assert [x.id for x in ordered(w.state.tickets.values(), w.site.policy)] == [walk_in, tid, late_walk_in]


def test_early_check_in_is_refused_with_the_time_to_come_back(w: World) -> None:
    aid = w.book(at(11))
    w.now = at(10, 29)
    with pytest.raises(CommandError) as e:
        w.check_in(aid)
    assert e.value.key == "appointment_too_early" and float(e.value.params["come_back_at"]) == at(10, 30)
    assert w.state.appointments[aid].state == AppointmentState.BOOKED and not w.state.tickets


def test_late_check_in_becomes_an_ordinary_ticket(w: World) -> None:
    aid = w.book(at(9, 30))
    w.now = at(9, 46)
    tid = w.check_in(aid)
    t = w.state.tickets[tid]
    assert t.slot_at is None and t.appointment_id == aid and t.state == TicketState.ISSUED
    assert w.state.appointments[aid].rule == CheckInRule.LATE


def test_check_in_refusals(w: World) -> None:
    aid = w.book(at(10))
    other = w.book(at(10, 5, day=26), code="ABCD")
    with pytest.raises(CommandError) as e:
        w.check_in(other)
    assert e.value.key == "appointment_not_today"
    w.check_in(aid)
    with pytest.raises(CommandError) as e:
        w.check_in(aid)
    assert e.value.key == "appointment_already_checked_in"
    third = w.book(at(10, 30), code="WXYZ")
    w.do(c.cancel_appointment, appointment=third)
    with pytest.raises(CommandError) as e:
        w.check_in(third)
    assert e.value.key == "appointment_cancelled"
    with pytest.raises(CommandError) as e:
        w.check_in("nope")
    assert e.value.key == "unknown_appointment"


def test_an_appointment_is_not_counted_against_the_capacity_and_is_served_when_walk_ins_are_refused(w: World) -> None:
    w.site = replace(w.site, needs=tuple(replace(n, capacity=1) for n in w.site.needs))
    w.issue()
    aid = w.book(at(10, 10))
    w.check_in(aid)
    assert full_needs(w.state, w.site, w.now) == {"moving"}


def test_booking_rules(w: World) -> None:
    w.book(at(11))
    with pytest.raises(CommandError) as e:
        w.book(at(12))  # same code, same day
    assert e.value.key == "booking_code_taken"
    w.book(at(12, day=26))  # same code another day is fine
    for kw, key in (
        ({"code": "AB"}, "invalid_booking_code"),
        ({"need": "nope"}, "unknown_need"),
        ({"slot": at(10, day=24)}, "appointment_in_past"),
    ):
        with pytest.raises(CommandError) as e:
            w.book(kw.get("slot", at(15)), code=kw.get("code", "QQQQ"), need=kw.get("need", "moving"))
        assert e.value.key == key


def test_lookup_by_code_and_todays_list(w: World) -> None:
    a1 = w.book(at(11), code="AAAA")
    a2 = w.book(at(10, 30), code="BBBB", need="housing")
    w.book(at(10, day=26), code="CCCC")
    day = w.site.day_of(w.now)
    assert [a.id for a in todays_open(w.state, day)] == [a2, a1]
    assert find_by_code(w.state, "AAAA", day).id == a1  # type: ignore[union-attr]
    assert find_by_code(w.state, "CCCC", day) is None


def test_day_close_drops_the_days_appointments_but_keeps_later_ones(w: World) -> None:
    w.book(at(11), code="AAAA", name="Fatima B.")
    later = w.book(at(11, day=27), code="BBBB", name="Jan P.")
    w.issue()
    w.now = at(9, day=26)
    w.issue()  # the day turned: day_closed first
    assert list(w.state.appointments) == [later]


# -- the store: projection, rebuild, and the name purged at day close -------------------------------------
def test_names_are_purged_from_projection_and_log_at_day_close(tmp_path: Path, site: Site) -> None:
    clock = Clock()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    # "documents" keeps names (appointment_name = true in the sample site)
    engine.run(
        c.book_appointment, appointment_id="a1", code="AAAA", slot_at=at(10, 30), need="documents", name="Fatima B."
    )
    engine.run(
        c.book_appointment, appointment_id="a2", code="BBBB", slot_at=at(11, day=27), need="documents", name="Jan P."
    )
    engine.run(c.check_in, appointment="a1", lang="ar", ticket_id="t1", token="tok1")
    raw = (
        store.db.execute("SELECT data FROM appointments").fetchall()
        + store.db.execute("SELECT data FROM events").fetchall()
    )
    assert any("Fatima" in r[0] for r in raw)
    before = store.dump_projection()
    store.rebuild_projection()
    assert store.dump_projection() == before
    restarted = Engine(site, store, clock)
    assert _by_id(restarted.appointments()) == _by_id(engine.appointments())  # a restart reads them back

    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=BRUSSELS))
    engine.tick()
    dump = str(store.dump_projection()) + str([e.data for e in store.events()])
    assert "Fatima" not in dump  # gone from the projection and from the log
    assert "Jan P." in dump  # a later day's booking keeps its name until its own day closes
    assert [a.name for a in store.appointments_of_day("2026-11-25")] == [None]
    assert [a.id for a in engine.appointments()] == ["a2"]
    before = store.dump_projection()
    store.rebuild_projection()
    assert store.dump_projection() == before
    restarted = Engine(site, store, clock)
    assert _by_id(restarted.appointments()) == _by_id(engine.appointments())
    store.close()


# -- import ----------------------------------------------------------------------------------------------
# with é and ë: saved by a Belgian spreadsheet as Windows-1252, it must read the same as UTF-8
CSV = """date;time;need;code;name;duration
2026-11-25;10:30;Je déménage;K7P3QX;Zoë Lefèvre;20
25/11/2026;11h00;Logement;hx4m-22;;
2026-11-25;25:00;moving;ZZZZ;;
2026-11-25;11:30;taxes;QQQQ;;
2026-11-25;11:45;housing;AB;;
2026-11-25;12:00;housing;WXYZ;;x
"""


def test_csv_import_parses_and_reports_each_bad_line(site: Site) -> None:
    parsed = imp.parse_csv(CSV, site)
    assert [(r.line, r.need, r.code, r.name, r.duration_s) for r in parsed.rows] == [
        (2, "moving", "K7P3QX", "Zoë Lefèvre", 1200),
        (3, "housing", "HX4M22", None, 0),
    ]
    assert parsed.rows[0].slot_at == at(10, 30)
    assert [line for line, _ in parsed.errors] == [4, 5, 6, 7]
    assert "25:00" in parsed.errors[0][1] and "taxes" in parsed.errors[1][1]


def test_csv_needs_its_columns(site: Site) -> None:
    parsed = imp.parse_csv("date,time\n2026-11-25,10:00\n", site)
    assert not parsed.rows and parsed.errors[0][0] == 1 and "need" in parsed.errors[0][1]


ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Booking//EN",
        "BEGIN:VEVENT",
        "UID:20261125-1@rdv.example.be",
        "DTSTART;TZID=Europe/Brussels:20261125T103000",
        "DTEND;TZID=Europe/Brussels:20261125T105000",
        "SUMMARY:Je déménage",
        "DESCRIPTION:Code: K7P3QX\\nName: Jan Pee",
        " ters",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:20261125-2@rdv.example.be",
        "DTSTART:20261125T100000Z",
        "DURATION:PT30M",
        "SUMMARY:housing",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:3@x",
        "DTSTART;VALUE=DATE:20261125",
        "SUMMARY:housing",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:4@x",
        "STATUS:CANCELLED",
        "DTSTART:20261125T100000Z",
        "SUMMARY:housing",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:5@x",
        "DTSTART:20261125T120000",
        "SUMMARY:Taxes",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def test_ics_import_reads_the_events_booking_systems_export(site: Site) -> None:
    parsed = imp.parse_ics(ICS, site)
    first, second = parsed.rows
    assert (first.slot_at, first.need, first.code, first.name, first.duration_s) == (
        at(10, 30),
        "moving",
        "K7P3QX",
        "Jan Peeters",
        1200,
    )
    assert second.slot_at == at(11) and second.need == "housing" and second.duration_s == 1800
    assert second.code == imp.code_from_uid("20261125-2@rdv.example.be")  # stable: a re-import is harmless
    assert [line for line, _ in parsed.errors] == [18, 29]  # the all-day event and the unknown service
    assert imp.parse_ics("hello", site).errors


def test_importing_twice_books_nothing_twice(app: Any, clock: Clock) -> None:
    engine = app.extensions["contactpoint"].engine
    with app.test_request_context():
        r1 = imp.import_file(engine, "a.ics", ICS.encode())
        r2 = imp.import_file(engine, "a.ics", ICS.encode())
        data = CSV.encode("cp1252")
        assert data != CSV.encode() and b"d\xe9m\xe9nage" in data  # really Windows-1252, not ASCII
        r3 = imp.import_file(engine, "a.csv", data)
    assert (r1.booked, r1.skipped, len(r1.errors)) == (2, 0, 2)
    assert (r2.booked, r2.skipped) == (0, 2)
    # K7P3QX is already booked at 10:30 by the calendar: skipped; HX4M22 is new
    assert (r3.booked, r3.skipped, len(r3.errors)) == (1, 1, 4)
    assert len(engine.appointments()) == 3


# -- the manager's pages ---------------------------------------------------------------------------------
def manager(app: Any, client: Any, role: str = "manager") -> str:
    from contactpoint.auth import hash_password

    app.extensions["contactpoint"].store.add_agent("maria", hash_password("a long password"), role, 0.0)
    r = post_login(client, "/manage/login", {"name": "maria", "password": "a long password"})
    if role != "manager":
        assert r.status_code == 401
        return ""
    page = client.get("/manage/appointments").get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


def test_manager_pages_need_a_manager(app: Any, client: Any) -> None:
    r = client.get("/manage/appointments")
    assert r.status_code == 302 and "/manage/login" in r.location
    manager(app, client, role="agent")
    assert client.get("/manage/appointments").status_code == 302


def test_manager_adds_lists_imports_and_cancels(app: Any, client: Any) -> None:
    csrf = manager(app, client)
    engine = app.extensions["contactpoint"].engine
    form = {"date": "2026-11-25", "time": "11:15", "need": "documents", "duration": "20", "name": "Ana S."}
    assert client.post("/manage/appointments", data=form).status_code == 403  # no CSRF token
    r = client.post("/manage/appointments", data=form | {"csrf_token": csrf}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Ana S." in page and "11:15" in page
    (a,) = engine.appointments()
    assert len(a.code) == 6 and a.duration_s == 1200
    data = {"csrf_token": csrf, "file": (__import__("io").BytesIO(CSV.encode()), "rdv.csv")}
    page = client.post("/manage/appointments/import", data=data, follow_redirects=True).get_data(as_text=True)
    assert len(engine.appointments()) == 3
    assert "Zoë" not in page and "1 nom(s) non conservé(s)" in page  # moving keeps no names: the report says so
    assert re.search(r"\b4\b", page)  # the line numbers of the bad lines are shown
    r = client.post(f"/manage/appointments/{a.id}/cancel", data={"csrf_token": csrf}, follow_redirects=True)
    assert engine.appointment(a.id).state == AppointmentState.CANCELLED
    assert 'data-state="cancelled"' in r.get_data(as_text=True)


# -- common files the import used to refuse (the audit's list) ----------------------------------------------
@pytest.mark.parametrize(
    "header",
    [
        "Date;Heure;Service;Code;Nom",
        "Datum;Uur;Dienst;Code;Naam",
        "DATUM;Uhrzeit;Dienstleistung;Buchungscode;Name",
        "date;heure;besoin;code de réservation;nom",
    ],
)
def test_csv_headers_in_french_dutch_and_german(site: Site, header: str) -> None:
    parsed = imp.parse_csv(f"{header}\n25/11/2026;10:30;Logement;K7P3QX;Jan\n", site)
    assert not parsed.errors, parsed.errors
    assert [(r.need, r.code, r.slot_at) for r in parsed.rows] == [("housing", "K7P3QX", at(10, 30))]


def test_excel_sep_line_unicode_text_and_two_digit_years(site: Site) -> None:
    # Excel's "sep=;" first line: the delimiter it names, and line numbers that still match the file
    parsed = imp.parse_csv("sep=;\nDate;Heure;Service;Code\n03/12/26;9:30;Logement;K7P3QX\n03/12/26;99:00;x;y\n", site)
    assert [(r.line, r.slot_at) for r in parsed.rows] == [
        (3, datetime(2026, 12, 3, 9, 30, tzinfo=BRUSSELS).timestamp())
    ]
    assert [line for line, _ in parsed.errors] == [4]
    # Excel's "Unicode text": UTF-16 with its BOM, tab separated
    text = "Datum\tUur\tDienst\tCode\tNaam\n25.11.26\t10:30\tHuisvesting\tHX4M22\tZoë\n"
    parsed, kind = imp.parse_file("rdv.txt", text.encode("utf-16"), site)
    assert kind == "csv" and not parsed.errors, parsed.errors
    assert [(r.need, r.code, r.name, r.slot_at) for r in parsed.rows] == [("housing", "HX4M22", "Zoë", at(10, 30))]


def _ics(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", *lines, "END:VEVENT", "END:VCALENDAR", ""])


def test_outlooks_windows_time_zone_names(site: Site) -> None:
    for tzid, want in (
        ("Romance Standard Time", at(10, 30)),
        ('"W. Europe Standard Time"', at(10, 30)),
        ("GMT Standard Time", at(11, 30)),
        ("Europe/Brussels", at(10, 30)),
    ):
        parsed = imp.parse_ics(_ics("UID:1@x", f"DTSTART;TZID={tzid}:20261125T103000", "SUMMARY:housing"), site)
        assert not parsed.errors and parsed.rows[0].slot_at == want, (tzid, parsed.errors)
    parsed = imp.parse_ics(_ics("UID:1@x", "DTSTART;TZID=Mars Standard Time:20261125T103000", "SUMMARY:housing"), site)
    assert not parsed.rows and "Mars Standard Time" in parsed.errors[0][1]


def test_a_repeating_event_is_reported_not_silently_dropped(site: Site) -> None:
    parsed = imp.parse_ics(
        _ics("UID:1@x", "DTSTART;TZID=Europe/Brussels:20261125T103000", "RRULE:FREQ=WEEKLY;COUNT=4", "SUMMARY:housing"),
        site,
    )
    assert not parsed.rows and parsed.errors[0][0] == 3 and "RRULE" in parsed.errors[0][1]


# -- a visitor's name only when the need's appointments need it ---------------------------------------------
def test_a_name_is_kept_only_for_needs_that_need_it(w: World) -> None:
    assert w.site.need("documents").appointment_name and not w.site.need("moving").appointment_name  # type: ignore[union-attr]
    kept = w.book(at(11), code="AAAA", need="documents", name="Fatima B.")
    dropped = w.book(at(11), code="BBBB", need="moving", name="Jan P.")
    assert w.state.appointments[kept].name == "Fatima B." and w.state.appointments[dropped].name is None


def test_the_import_drops_names_and_says_how_many(app: Any) -> None:
    engine = app.extensions["contactpoint"].engine
    text = "date;time;need;code;name\n2026-11-25;10:30;documents;AAAA;Fatima B.\n2026-11-25;10:40;moving;BBBB;Jan P.\n"
    with app.test_request_context():
        report = imp.import_file(engine, "a.csv", text.encode())
    assert (report.booked, report.names_dropped) == (2, 1)
    names = {a.code: a.name for a in engine.appointments()}
    assert names == {"AAAA": "Fatima B.", "BBBB": None}
    raw = str(app.extensions["contactpoint"].store.db.execute("SELECT data FROM events").fetchall())
    assert "Jan P." not in raw  # never stored, not even in the log


def test_appointment_name_is_a_checked_setting() -> None:
    import tomllib

    from contactpoint.config import ConfigError, parse_site
    from tests.kiosk_support import site_text

    text = site_text().replace("appointment_name = true", 'appointment_name = "yes"')
    with pytest.raises(ConfigError) as e:
        parse_site(tomllib.loads(text))
    assert e.value.key == "needs[1].appointment_name"
