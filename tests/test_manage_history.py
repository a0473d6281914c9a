"""The manager's History page and its CSV export: the range is validated (a clear 400 in the manager's language),
the export has the figures API's columns and equals the figures computed from the events by an independent
function (tests/figures_oracle.py, the figures part's oracle), and the page shows the same rows, with each
chart's data and a table."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any

import pytest

from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.tally import CSV_COLUMNS
from tests.conftest import BRUSSELS, AuthActions, Clock, post_login
from tests.figures_oracle import oracle

PASSWORD = "a long password"
DAYS = ("2026-11-23", "2026-11-24", "2026-11-25")
OUTCOMES = ("resolved", "resolved", "resolved", "referred", "appointment_made", "online_help", "escalated")


def manager(app: Any, client: Any) -> None:
    AuthActions(app, client).create("maria", PASSWORD, "manager")
    post_login(client, "/manage/login", {"name": "maria", "password": PASSWORD})


def simulate(engine: Any, clock: Clock, seed: int = 11, days: tuple[str, ...] = DAYS) -> None:
    """Days of visits: served with every outcome (referrals to the site's organisations), no-shows,
    cancellations, and visitors still waiting when each day closes. Leaves the clock on the next day, 00:01."""
    rnd = random.Random(seed)
    needs = [n.id for n in engine.site.needs]
    for day in days:
        clock.set(datetime.fromisoformat(day).replace(hour=9, tzinfo=BRUSSELS))
        engine.tick()
        for counter in ("1", "2"):
            engine.run(c.open_counter, counter=counter, agent=f"agent{counter}", needs=needs)
        waiting: list[Any] = []
        for _ in range(90):
            clock.advance(rnd.randint(5, 400))
            action = rnd.random()
            counter = rnd.choice(("1", "2"))
            try:
                if action < 0.45:
                    waiting.append(engine.issue(need=rnd.choice(needs), lang="fr"))
                elif action < 0.55 and waiting:
                    engine.run(c.cancel, ticket=waiting.pop(rnd.randrange(len(waiting))).id)
                elif action < 0.62:
                    engine.run(c.call_next, counter=counter)
                    clock.advance(rnd.randint(5, 90))
                    engine.run(c.no_show, counter=counter)
                else:
                    engine.run(c.call_next, counter=counter)
                    if rnd.random() < 0.6:
                        clock.advance(rnd.randint(5, 60))
                        engine.run(c.start_service, counter=counter)
                    clock.advance(rnd.randint(30, 1500))
                    outcome = rnd.choice(OUTCOMES)
                    referral = rnd.choice(("cpas-saint-gilles", "housing-info")) if outcome == "referred" else None
                    engine.run(c.finish, counter=counter, outcome=outcome, referral=referral)
            except CommandError:
                continue
    after = datetime.fromisoformat(days[-1]).replace(hour=0, minute=1, tzinfo=BRUSSELS) + timedelta(days=1)
    clock.set(after)
    engine.tick()


def expected_cell(fig: dict[str, Any], column: str) -> Any:
    """What the oracle's figures say a CSV column holds."""
    if column.startswith("outcome_"):
        return fig["outcomes"].get(column.removeprefix("outcome_"), 0)
    if column.startswith("channel_"):
        return fig["channels"].get(column.removeprefix("channel_"), 0)
    if column.startswith("taps_"):
        which = column.removeprefix("taps_")
        return fig["taps"].get(int(which), 0) if which.isdigit() else fig["taps_by_channel"].get(which, 0)
    if column == "referrals_by_kind":
        return ";".join(f"{k}={v}" for k, v in sorted(fig["referrals_by_kind"].items()))
    return fig[column]


def same(cell: str, value: Any) -> bool:
    if value is None:
        return cell == ""
    if isinstance(value, str):
        return cell == value
    return abs(float(cell) - float(value)) < 1e-3


def test_the_csv_export_equals_the_figures_computed_from_the_events(
    app: Any, client: Any, engine: Any, clock: Clock
) -> None:
    """Every column of every row against the figures engineer's oracle (tests/figures_oracle.py: computed from
    the log without the tally)."""
    simulate(engine, clock)
    manager(app, client)
    r = client.get(f"/manage/history.csv?from={DAYS[0]}&to={DAYS[-1]}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert f"figures-{DAYS[0]}-{DAYS[-1]}.csv" in r.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert tuple(table[0]) == CSV_COLUMNS
    rows = [dict(zip(table[0], line, strict=True)) for line in table[1:]]
    site = app.extensions["contactpoint"].site
    figures = oracle(
        list(app.extensions["contactpoint"].store.events()),
        BRUSSELS,
        {n.id: 60.0 * n.service_level_minutes for n in site.needs},
        {o.id: o.kind for o in site.organisations},
    )
    assert {(x["day"], x["need"]) for x in rows} == {(d, n) for d, n, _ in figures}
    assert {x["day"] for x in rows if x["need"] == "all"} == set(DAYS)  # an `all` row per day
    assert [x["need"] for x in rows if x["day"] == DAYS[0]][0] == "all"  # first in its day
    for x in rows:
        fig = figures[(x["day"], x["need"], None)]
        for column in CSV_COLUMNS[3:]:
            assert same(x[column], expected_cell(fig, column)), (x["day"], x["need"], column, x[column])
    assert sum(int(x["issued"]) for x in rows if x["need"] == "all") >= 100  # enough visits to mean something
    assert sum(int(x["outcome_referred"]) for x in rows) > 0 and sum(int(x["no_shows"]) for x in rows) > 0


def test_the_history_page_shows_the_same_rows_with_charts_and_tables(
    app: Any, client: Any, engine: Any, clock: Clock
) -> None:
    simulate(engine, clock)
    manager(app, client)
    page = client.get(f"/manage/history?from={DAYS[0]}&to={DAYS[-1]}&lang=en").get_data(as_text=True)
    found = set(re.findall(r'<tr data-day="([^"]+)" data-need="([^"]+)"', page))
    csv_rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/manage/history.csv?from={DAYS[0]}&to={DAYS[-1]}").get_data(as_text=True))
        )
    )
    assert found == {(x["day"], x["need"]) for x in csv_rows}
    charts = {
        k: json.loads(unescape(v))
        for k, v in re.findall(r'id="chart-(\w+)" aria-hidden="true" data-chart="([^"]+)"', page)
    }
    assert set(charts) == {"waits", "level", "outcomes", "referrals", "satisfaction"}
    assert len(charts["level"]["x"]) == len(DAYS)
    assert sum(charts["outcomes"]["series"][0]["values"]) == sum(
        int(x["served"]) for x in csv_rows if x["need"] == "all"
    )
    assert "Social welfare (CPAS/OCMW)" in charts["referrals"]["categories"]
    for table in ("t-waits", "t-outcomes", "t-referrals", "t-satisfaction", "t-figures"):
        assert f'id="{table}"' in page  # every chart has its text table


@pytest.mark.parametrize(
    "query, key",
    [
        ("from=2026-13-01&to=2026-11-25", "bad"),
        ("from=yesterday", "bad"),
        ("from=2026-11-25&to=2026-11-01", "reversed"),
        ("from=2024-01-01&to=2026-11-25", "long"),
    ],
)
def test_a_wrong_range_is_a_clear_400_in_the_managers_language(app: Any, client: Any, query: str, key: str) -> None:
    manager(app, client)
    words = {
        "bad": ("Give the days as dates", "Indiquez les jours"),
        "reversed": ("must not come after", "ne peut pas venir après"),
        "long": ("at most 366 days", "366 jours au plus"),
    }[key]
    for lang, text in zip(("en", "fr"), words, strict=True):
        page = client.get(f"/manage/history?{query}&lang={lang}")
        assert page.status_code == 400 and text in page.get_data(as_text=True), (lang, query)
        export = client.get(f"/manage/history.csv?{query}&lang={lang}")
        assert export.status_code == 400 and text in export.get_data(as_text=True), (lang, query)


def test_no_range_is_today_and_one_day_alone_is_that_day(app: Any, client: Any, clock: Clock) -> None:
    manager(app, client)
    page = client.get("/manage/history").get_data(as_text=True)
    assert 'name="from" value="2026-11-25"' in page and 'name="to" value="2026-11-25"' in page
    page = client.get("/manage/history?from=2026-11-20").get_data(as_text=True)
    assert 'name="from" value="2026-11-20"' in page and 'name="to" value="2026-11-20"' in page
    week = (datetime(2026, 11, 25) - timedelta(days=6)).date().isoformat()
    assert f"from={week}&amp;to=2026-11-25" in page  # the last 7 days' link
