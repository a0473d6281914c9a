"""docs/figures.md's worked example: its events, fed to the tally, give its table; its bucket table and CSV
columns are the code's."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from contactpoint.config import SAMPLE_SITE, load_site
from contactpoint.domain.facts import Event
from contactpoint.domain.histogram import BUCKET_EDGES_S
from contactpoint.domain.rows import CSV_COLUMNS
from contactpoint.domain.tally import DayTally, FigureSettings, row_csv
from tests.conftest import BRUSSELS

DOC = (Path(__file__).resolve().parent.parent / "docs" / "figures.md").read_text(encoding="utf-8")


def _value(key: str, text: str) -> Any:
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if key.endswith("_at"):
        return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS).timestamp()
    return int(text) if text.isdigit() else text


def example_events() -> list[Event]:
    block = re.search(r"```events\n(.*?)```", DOC, re.S)
    assert block, "docs/figures.md has no ```events block"
    events = []
    for n, line in enumerate(block.group(1).splitlines(), start=1):
        day, clock, type_, *pairs = line.split()
        at = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BRUSSELS).timestamp()
        data = {k: _value(k, v) for k, v in (p.split("=", 1) for p in pairs)}
        events.append(Event(type_, at, data, n))
    return events


def example_table() -> dict[str, dict[str, str]]:
    part = DOC.split("| column | all | documents | moving |", 1)[1]
    table: dict[str, dict[str, str]] = {"all": {}, "documents": {}, "moving": {}}
    for line in part.splitlines()[2:]:
        if not line.startswith("|"):
            break
        name, *cells = (c.strip() for c in line.strip().strip("|").split("|"))
        for need, cell in zip(("all", "documents", "moving"), cells, strict=True):
            table[need][name] = cell
    return table


def test_the_worked_example_recomputes() -> None:
    events = example_events()
    assert len(events) == 23 and {e.type for e in events} >= {"contact_logged", "feedback_given", "day_closed"}
    tally = DayTally(FigureSettings.of(load_site(SAMPLE_SITE).site))
    for ev in events:
        tally.add(ev)
    got = {r.need: dict(zip(CSV_COLUMNS, row_csv(r), strict=True)) for r in tally.rows()}
    table = example_table()
    assert set(got) == set(table)
    for need, column in table.items():
        assert list(column) == list(CSV_COLUMNS[3:]), "the example lists every column but day, need, hour"
        for name, cell in column.items():
            assert got[need][name] == cell, (need, name)
    assert tally.open == {}  # every ticket was final or its day closed: nothing kept


def test_the_documented_buckets_and_columns_are_the_codes() -> None:
    rows = re.findall(r"^\| (\d+)(?: min)? \| (\d+ min|—) \| (\d+ minutes?|open) \| (\d+) \|$", DOC, re.M)
    assert sum(int(r[3]) for r in rows) == len(BUCKET_EDGES_S) + 1
    edges: list[float] = []
    for lower, upper, width, count in rows:
        if width == "open":
            continue
        step = 60.0 * int(width.split()[0])
        start = 60.0 * int(lower) if lower != "0" else 0.0
        edges += [start + step * (i + 1) for i in range(int(count))]
        assert edges[-1] == 60.0 * int(upper.split()[0])
    assert tuple(edges) == BUCKET_EDGES_S
    section = DOC.split("## The CSV columns", 1)[1].split("## A worked example", 1)[0]
    documented = re.findall(r"`([a-z0-9_]+)`", "\n".join(line.split("|")[1] for line in section.splitlines()
                                                          if line.startswith("| `")))
    assert documented == list(CSV_COLUMNS)
