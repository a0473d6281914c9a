"""`contactpoint figures`: the history table, read from the box's database beside the running service."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from contactpoint.provisioning.cli import main

from contactpoint.domain import commands as c
from contactpoint.domain.rows import CSV_COLUMNS
from contactpoint.domain.tally import row_csv
from tests.conftest import BRUSSELS, Clock
from tests.figures_oracle import oracle
from tests.test_figures_service import DAY, _a_morning


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["figures", *args], catch_exceptions=False)


def _two_days(app: Any, clock: Clock) -> Any:
    box = app.extensions["contactpoint"]
    _a_morning(box.engine, clock)
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=BRUSSELS))
    box.engine.tick()
    box.engine.run(c.open_counter, counter="2",
                   agent="bob", needs=["money"])
    box.engine.issue(need="money", lang="fr")
    return box


def test_the_csv_is_the_history_table_and_equals_a_direct_computation(app: Any, clock: Clock, tmp_path: Path,
                                                                      monkeypatch: Any) -> None:
    box = _two_days(app, clock)
    monkeypatch.setattr("time.time", lambda: clock.now)
    r = _run("--data", str(tmp_path), "--from", DAY, "--to", "2026-11-26")
    assert r.exit_code == 0, r.output
    table = list(csv.reader(io.StringIO(r.output)))
    assert tuple(table[0]) == CSV_COLUMNS
    assert [(x[0], x[1]) for x in table[1:]] == [(DAY, "all"), (DAY, "documents"), (DAY, "moving"),
                                                 ("2026-11-26", "all"), ("2026-11-26", "money")]
    history = box.figures.history(DAY, "2026-11-26")
    assert table[1:] == [row_csv(x) for x in history]
    # and against the figures computed apart from the tally, from the events of the log
    sl = {n.id: 60.0 * n.service_level_minutes for n in box.site.needs}
    expected = oracle(list(box.store.events()), BRUSSELS, sl, {o.id: o.kind for o in box.site.organisations},
                      now=clock.now)
    cells = {(x[0], x[1]): dict(zip(CSV_COLUMNS, x, strict=True)) for x in table[1:]}
    for (day, need, _), fig in expected.items():
        row = cells[(day, need)]
        assert int(row["issued"]) == fig["issued"] and int(row["served"]) == fig["served"]
        assert int(row["abandoned"]) == fig["abandoned"] and int(row["no_shows"]) == fig["no_shows"]
        assert row["wait_max_s"] == ("" if fig["wait_max_s"] is None else f"{fig['wait_max_s']:g}")
    assert len(expected) == len(cells)


def test_json_and_by_hour(app: Any, clock: Clock, tmp_path: Path) -> None:
    _two_days(app, clock)
    r = _run("--data", str(tmp_path), "--from", DAY, "--to", DAY, "--format", "json", "--by", "hour")
    rows = json.loads(r.output)
    assert {(x["need"], x["hour"]) for x in rows} == {("all", 10), ("moving", 10), ("documents", 10)}
    assert next(x for x in rows if x["need"] == "all")["abandoned"] == 2


def test_bad_input_is_refused_clearly(tmp_path: Path) -> None:
    r = _run("--data", str(tmp_path), "--from", "yesterday")
    assert r.exit_code == 2 and "'yesterday' is not a day (YYYY-MM-DD)" in r.output
    r = _run("--data", str(tmp_path), "--from", "2026-11-26", "--to", "2026-11-25")
    assert r.exit_code == 2 and "is after --to" in r.output
    r = _run("--data", str(tmp_path / "nowhere"), "--to", "2026-11-25")
    assert r.exit_code == 1 and "no database in" in r.output


def test_a_database_from_before_the_frozen_tallies_is_read_from_its_log(app: Any, clock: Clock, tmp_path: Path,
                                                                       monkeypatch: Any) -> None:
    box = _two_days(app, clock)
    monkeypatch.setattr("time.time", lambda: clock.now)
    expected = _run("--data", str(tmp_path), "--from", DAY, "--to", "2026-11-26").output
    box.store.db.execute("DROP TABLE day_tallies")  # as a box of the previous release left it
    r = _run("--data", str(tmp_path), "--from", DAY, "--to", "2026-11-26")
    assert r.exit_code == 0 and r.output == expected
