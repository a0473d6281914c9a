"""The dashboard's figures, merged from stored windows: counts add up, histograms add bucket by bucket (so a
percentile over many sites is exact within one bucket, never an average of percentiles), and every cell built from
fewer than 5 visits is suppressed, with a second cell when the first could be recovered from a total.

The definitions are the box's (docs/figures.md, /work DESIGN's "Figures"): no-show rate = no-shows / called;
service level = called within the need's threshold / called; first-line resolution = visits resolved at first line
/ visits finished with an outcome (target 60%); CSAT = share of the top two scores; Happy Index = (very happy +
happy - unhappy - very unhappy) / all taps, in -100..100; response rate = taps / visits finished."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from contactpoint.report_format import COUNT_KEYS, SCORES

MIN_VISITS = 5
FLR_TARGET = 0.60
SUPPRESSED = "< 5"


@dataclass
class Merged:
    """One cell's windows added together."""

    counts: Counter[str] = field(default_factory=Counter)
    sl_within: int = 0
    sl_of: int = 0
    edges: tuple[int, ...] | None = None
    mixed_edges: bool = False  # windows with different bucket edges: their histograms cannot be merged
    wait: list[int] = field(default_factory=list)
    service: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    referrals: Counter[str] = field(default_factory=Counter)
    taps: Counter[str] = field(default_factory=Counter)

    def add(self, row: Mapping[str, Any]) -> None:
        for k in COUNT_KEYS:
            self.counts[k] += int(row[k])
        self.sl_within += int(row["sl_within"])
        self.sl_of += int(row["sl_of"])
        edges = tuple(row["bucket_edges_s"])
        if self.edges is None:
            self.edges, self.wait, self.service = edges, list(row["wait_hist"]), list(row["service_hist"])
        elif edges != self.edges:
            self.mixed_edges = True
        else:
            self.wait = [a + b for a, b in zip(self.wait, row["wait_hist"], strict=True)]
            self.service = [a + b for a, b in zip(self.service, row["service_hist"], strict=True)]
        self.outcomes.update(row["outcomes"])
        self.referrals.update(row["referrals"])
        for scores in row["taps"].values():
            self.taps.update(scores)

    def add_sums(self, row: Mapping[str, Any]) -> None:
        """A rollup row summed in SQL (hub/rollup.py): `edges` "30,60,…" (or "mixed"), buckets w0…, s0…."""
        for k in COUNT_KEYS:
            self.counts[k] += int(row[k])
        self.sl_within += int(row["sl_within"])
        self.sl_of += int(row["sl_of"])
        if row["edges"] == "mixed":
            self.mixed_edges = True
            return
        edges = tuple(int(e) for e in row["edges"].split(","))
        n = len(edges) + 1
        wait = [int(row[f"w{i}"]) for i in range(n)]
        service = [int(row[f"s{i}"]) for i in range(n)]
        if self.edges is None:
            self.edges, self.wait, self.service = edges, wait, service
        elif edges != self.edges:
            self.mixed_edges = True
        else:
            self.wait = [a + b for a, b in zip(self.wait, wait, strict=True)]
            self.service = [a + b for a, b in zip(self.service, service, strict=True)]

    def add_value(self, key: str, n: int) -> None:
        kind, _, name = key.partition(":")
        target = {"o": self.outcomes, "r": self.referrals, "t": self.taps}.get(kind)
        if target is not None:
            target[name] += int(n)

    @property
    def visits(self) -> int:
        return self.counts["issued"] + self.counts["contacts"]


def percentile_bucket(hist: Sequence[int], edges: Sequence[int], q: float) -> tuple[int, int | None] | None:
    """The bucket [low, high) holding the q-th value (nearest rank) of the histogram; high None: the open bucket."""
    n = sum(hist)
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for i, count in enumerate(hist):
        seen += count
        if seen >= rank:
            return (edges[i - 1] if i > 0 else 0, edges[i] if i < len(edges) else None)
    raise AssertionError("unreachable: the ranks add up to n")


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def figures(m: Merged) -> dict[str, Any]:
    """A cell's figures (None: nothing to compute from); `suppressed` when under MIN_VISITS visits."""
    c = m.counts
    finished = c["served"] + c["contacts"]
    taps = sum(m.taps[s] for s in SCORES)
    edges = m.edges or ()
    merged = not m.mixed_edges
    out: dict[str, Any] = {
        "visits": m.visits,
        "issued": c["issued"],
        "served": c["served"],
        "contacts": c["contacts"],
        "wait_p50": percentile_bucket(m.wait, edges, 0.5) if merged else None,
        "wait_p90": percentile_bucket(m.wait, edges, 0.9) if merged else None,
        "service_p50": percentile_bucket(m.service, edges, 0.5) if merged else None,
        "service_p90": percentile_bucket(m.service, edges, 0.9) if merged else None,
        "service_level": _ratio(m.sl_within, m.sl_of),
        "no_show_rate": _ratio(c["no_show"], c["called"]),
        "first_line_resolution": _ratio(m.outcomes["resolved"], sum(m.outcomes.values())),
        "referrals": dict(sorted(m.referrals.items())),
        "csat": _ratio(m.taps["3"] + m.taps["4"], taps),
        "happy_index": (
            round(100 * (m.taps["4"] + m.taps["3"] - m.taps["2"] - m.taps["1"]) / taps) if taps else None
        ),
        "response_rate": _ratio(taps, finished),
        "suppressed": m.visits < MIN_VISITS,
    }
    return out


@dataclass
class Group:
    """One row group of the dashboard: a need code (and an hour or a day), each site's cell and the total."""

    code: str
    slot: str | int | None  # the hour (0-23) or the day (YYYY-MM-DD), None when grouped by need only
    sites: dict[str, dict[str, Any]]
    total: dict[str, Any]


def suppress(cells: dict[str, dict[str, Any]], total: dict[str, Any]) -> None:
    """Complementary suppression: a lone suppressed site could be recovered as the total minus the others, so
    the smallest other site is suppressed too (the total itself is suppressed under 5 visits)."""
    hidden = [s for s, f in cells.items() if f["suppressed"]]
    if len(hidden) == 1 and not total["suppressed"] and len(cells) > 1:
        shown = sorted((f["visits"], s) for s, f in cells.items() if not f["suppressed"])
        if shown:
            cells[shown[0][1]]["suppressed"] = True


def slot_of(row: Mapping[str, Any], by: str) -> str | int | None:
    """The row's slot: None per need, the hour (0-23), the day, the ISO week (2026-W49) or the month (2026-12)."""
    if by == "need":
        return None
    if by == "hour":
        return int(row["hour"])
    day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def group_rows(rows: Iterable[Mapping[str, Any]], by: str, key: str = "code") -> list[Group]:
    """Rows of the windows table into groups by (code[, slot]), each site's cell and the all-sites total
    (key="need": by the site's own need ids, for one site's own view)."""
    cells: dict[tuple[str, Any], dict[str, Merged]] = {}
    for row in rows:
        slot = slot_of(row, by)
        cells.setdefault((row[key], slot), {}).setdefault(row["site_id"], Merged()).add(row)
    return groups_of(cells)


def groups_of(cells: Mapping[tuple[str, Any], Mapping[str, Merged]]) -> list[Group]:
    """Each (code, slot)'s cells per site: their figures, the total's, suppression across them."""
    out: list[Group] = []
    for (code, slot), by_site in sorted(cells.items(), key=lambda kv: (kv[0][0], str(kv[0][1]).zfill(2))):
        total = Merged()
        for m in by_site.values():
            _merge_into(total, m)
        site_figs = {s: figures(m) for s, m in sorted(by_site.items())}
        total_figs = figures(total)
        suppress(site_figs, total_figs)
        out.append(Group(code, slot, site_figs, total_figs))
    return out


def _merge_into(total: Merged, m: Merged) -> None:
    total.counts.update(m.counts)
    total.sl_within += m.sl_within
    total.sl_of += m.sl_of
    if total.edges is None:
        total.edges, total.wait, total.service = m.edges, list(m.wait), list(m.service)
    elif m.edges != total.edges:
        total.mixed_edges = True
    else:
        total.wait = [a + b for a, b in zip(total.wait, m.wait, strict=True)]
        total.service = [a + b for a, b in zip(total.service, m.service, strict=True)]
    total.mixed_edges = total.mixed_edges or m.mixed_edges
    total.outcomes.update(m.outcomes)
    total.referrals.update(m.referrals)
    total.taps.update(m.taps)


def shown(f: Mapping[str, Any]) -> dict[str, Any]:
    """A cell as the page, the CSV and the API give it: a suppressed cell's every figure is "< 5"."""
    if not f["suppressed"]:
        return {k: v for k, v in f.items() if k != "suppressed"}
    return {k: SUPPRESSED for k in f if k != "suppressed"}
