"""The tally's rules at their edges, on hand-made events (the property tests cover the rest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contactpoint.domain.facts import Event
from contactpoint.domain.rows import CSV_COLUMNS
from contactpoint.domain.tally import DayTally, FigureSettings, row_csv, row_dict
from tests.conftest import BRUSSELS

NINE = datetime(2026, 11, 25, 9, 0, tzinfo=BRUSSELS).timestamp()
SETTINGS = FigureSettings(tz=BRUSSELS, level_s={"moving": 900.0}, kinds={"cpas": "social_welfare"})


def issued(tid: str, at: float = NINE, need: str = "moving", **extra: Any) -> Event:
    return Event("ticket_issued", at, {"id": tid, "day": "2026-11-25", "need": need, "priority": False,
                                       "slot_at": None, "appointment_id": None, **extra})


def ev(type_: str, at: float, **data: Any) -> Event:
    return Event(type_, at, data)


def rows(*events: Event, now: float | None = None, by: str = "need") -> dict[str, Any]:
    t = DayTally(SETTINGS)
    for e in events:
        t.add(e)
    return {r.need if r.hour is None else f"{r.need}@{r.hour}": r for r in t.rows(by, now=now)}  # type: ignore[arg-type]


def test_called_exactly_at_the_threshold_is_within_the_service_level() -> None:
    r = rows(issued("a"), issued("b"), ev("ticket_called", NINE + 900, ticket="a"),
             ev("ticket_called", NINE + 901, ticket="b"))["moving"]
    assert r.service_level == 0.5 and r.wait_max_s == 901.0


def test_a_visitor_absent_twice_is_one_no_show_and_still_served() -> None:
    r = rows(issued("a"), ev("ticket_called", NINE + 60, ticket="a"), ev("no_show", NINE + 120, ticket="a"),
             ev("ticket_rejoined", NINE + 200, ticket="a"), ev("ticket_called", NINE + 300, ticket="a"),
             ev("no_show", NINE + 360, ticket="a"), ev("ticket_rejoined", NINE + 400, ticket="a"),
             ev("ticket_called", NINE + 500, ticket="a"),
             ev("service_finished", NINE + 800, ticket="a", outcome="resolved", referral=None))["moving"]
    assert (r.called, r.no_shows, r.served, r.no_show_rate) == (1, 1, 1, 1.0)
    assert r.wait_max_s == 60.0  # from the first call
    assert r.service_max_s == 740.0  # no explicit start: from the first call


def test_service_time_runs_from_the_last_start_and_a_transfer_keeps_the_need_of_issue() -> None:
    r = rows(issued("a"), ev("ticket_called", NINE + 60, ticket="a"), ev("service_started", NINE + 90, ticket="a"),
             ev("ticket_transferred", NINE + 200, ticket="a", need="documents"),
             ev("ticket_transferred", NINE + 210, ticket="a", need="money"),
             ev("ticket_called", NINE + 300, ticket="a"), ev("service_started", NINE + 330, ticket="a"),
             ev("service_finished", NINE + 630, ticket="a", outcome="referred", referral="cpas"))
    assert set(r) == {"all", "moving"}
    m = r["moving"]
    assert (m.transferred, m.service_max_s, m.referrals_by_kind) == (1, 300.0, {"social_welfare": 1})


def test_abandonment_is_never_called_by_the_day_close() -> None:
    r = rows(issued("a"), issued("b"), issued("c"), issued("d"),
             ev("ticket_cancelled", NINE + 60, ticket="a"),  # before a call: abandoned
             ev("ticket_called", NINE + 70, ticket="b"), ev("ticket_cancelled", NINE + 80, ticket="b"),  # not
             ev("ticket_called", NINE + 90, ticket="c"), ev("no_show", NINE + 100, ticket="c"),  # absent: not
             ev("day_closed", NINE + 86400, day="2026-11-25", next_day="2026-11-26"),  # d still waiting: abandoned
             ev("ticket_called", NINE + 86500, ticket="d"))  # after the close: nothing (its day is gone)
    m = r["moving"]
    assert (m.issued, m.called, m.abandoned, m.abandonment, m.service_level) == (4, 2, 2, 0.5, 0.5)


def test_live_tickets_within_their_threshold_do_not_count_yet() -> None:
    events = (issued("a"), issued("b", at=NINE + 600), ev("ticket_called", NINE + 120, ticket="a"))
    assert rows(*events, now=NINE + 1000)["moving"].service_level == 1.0  # b waited 400 s: undecided
    assert rows(*events, now=NINE + 1501)["moving"].service_level == 0.5  # b waited 901 s: missed
    assert rows(*events)["moving"].service_level == 0.5  # as closed


def test_an_appointment_waits_from_its_slot_and_counts_in_its_channel() -> None:
    r = rows(issued("a", slot_at=NINE + 600, appointment_id="p1"), ev("ticket_called", NINE + 700, ticket="a"),
             ev("service_finished", NINE + 800, ticket="a", outcome="appointment_made", referral=None))["moving"]
    assert (r.wait_max_s, r.appointments, r.channels) == (100.0, 1, {"appointment": 1})


def test_taps_contacts_and_help_alerts() -> None:
    r = rows(issued("a"), ev("ticket_called", NINE + 60, ticket="a"),
             ev("service_finished", NINE + 300, ticket="a", outcome="resolved", referral=None),
             ev("contact_logged", NINE + 400, id="k", day="2026-11-25", need="moving", channel="phone",
                outcome="escalated", referral=None, counter="1", agent="x"),
             *[ev("feedback_given", NINE + 500 + i, score=s, channel="tablet", need=None, outcome=None, ticket=None,
                  device=None) for i, s in enumerate((4, 4, 3, 1))],
             ev("feedback_given", NINE + 600, score=2, channel="phone", need="moving", outcome="resolved",
                ticket="a", device=None),
             ev("feedback_given", NINE + 601, score=7, channel="tablet", need=None, outcome=None, ticket=None,
                device=None),  # out of the scale: never counted
             ev("help_requested", NINE + 3600 * 5, counter="1"), ev("settings_changed", NINE, section="x"))
    a, m = r["all"], r["moving"]
    assert (a.served, a.channels, a.first_line_resolution) == (2, {"kiosk": 1, "phone": 1}, 0.5)
    assert a.taps == {1: 1, 2: 1, 3: 1, 4: 2} and a.taps_by_channel == {"tablet": 4, "phone": 1}
    assert (a.csat, a.happy_index, a.response_rate) == (0.6, 20.0, 2.5)
    assert (m.taps, m.happy_index, m.response_rate, m.help_alerts, a.help_alerts) == ({2: 1}, -100.0, 0.5, 0, 1)
    by_hour = rows(*[issued("z")], ev("help_requested", NINE + 3600 * 5, counter="1"), by="hour")
    assert by_hour["all@14"].help_alerts == 1 and by_hour["all@9"].issued == 1


def test_the_hour_is_the_sites_local_hour_across_a_dst_change() -> None:
    before = datetime(2026, 3, 29, 1, 30, tzinfo=BRUSSELS).timestamp()
    r = rows(Event("ticket_issued", before, {"id": "a", "day": "2026-03-29", "need": "moving"}),
             Event("ticket_issued", before + 3600, {"id": "b", "day": "2026-03-29", "need": "moving"}), by="hour")
    assert set(r) == {"all@1", "moving@1", "all@3", "moving@3"}  # 02:00 never came that night


def test_csv_cells_follow_the_columns() -> None:
    r = rows(issued("a"), ev("ticket_called", NINE + 61.5, ticket="a"),
             ev("service_finished", NINE + 300, ticket="a", outcome="referred", referral="nowhere"))["moving"]
    cells = dict(zip(CSV_COLUMNS, row_csv(r), strict=True))
    assert cells["wait_p50_s"] == "61.5" and cells["outcome_referred"] == "1"
    assert cells["referrals_by_kind"] == "other=1" and cells["no_show_rate"] == "0" and cells["csat"] == ""
    assert row_dict(r)["taps"] == {} and cells["hour"] == ""
