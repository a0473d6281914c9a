"""The hub's merged figures: percentiles merged across sites equal the pooled raw values' within one bucket; the
definitions; cells under 5 visits suppressed, and a second cell when the first could be recovered."""

from __future__ import annotations

import bisect
import math
from datetime import date
from typing import Any

from contactpoint.hub.figures import SUPPRESSED, group_rows, percentile_bucket, shown
from hypothesis import given, settings
from hypothesis import strategies as st

from contactpoint import report_format as rf
from tests.hub_support import EDGES


def hist(values: list[int]) -> list[int]:
    h = [0] * (len(EDGES) + 1)
    for v in values:
        h[bisect.bisect_right(EDGES, v)] += 1  # bucket i: edges[i-1] <= v < edges[i]
    return h


def row(site: str, waits: list[int], code: str = "housing", **counts: int) -> dict[str, Any]:
    return {
        "site_id": site, "code": code, "hour": 10, "day": date(2026, 12, 7),
        **dict.fromkeys(rf.COUNT_KEYS, 0), "issued": len(waits), "called": len(waits), **counts,
        "sl_within": sum(w <= 900 for w in waits), "sl_of": len(waits), "bucket_edges_s": EDGES,
        "wait_hist": hist(waits), "service_hist": hist(waits), "outcomes": {}, "referrals": {}, "taps": {},
    }  # fmt: skip


def nearest_rank(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 5000), min_size=0, max_size=40), min_size=1, max_size=6).filter(
        lambda sites: sum(map(len, sites)) > 0
    ),
    st.sampled_from([0.5, 0.9]),
)
def test_merged_percentiles_equal_the_pooled_raw_ones_within_one_bucket(sites: list[list[int]], q: float) -> None:
    rows = [row(f"s{i}", waits) for i, waits in enumerate(sites)]
    (group,) = group_rows(rows, "need")
    pooled = [w for waits in sites for w in waits]
    low, high = group.total["wait_p50" if q == 0.5 else "wait_p90"]
    true = nearest_rank(pooled, q)
    assert low <= true and (high is None or true < high)
    assert (low, high) == percentile_bucket(hist(pooled), EDGES, q)


def test_the_figures_follow_the_definitions() -> None:
    r = row("a", [10, 40, 100, 700, 1000, 4000], no_show=2, called=8, served=6, contacts=2)
    r["outcomes"] = {"resolved": 3, "referred": 1}
    r["referrals"] = {"housing": 1}
    r["taps"] = {"tablet": {"1": 1, "2": 0, "3": 1, "4": 2}, "phone": {"1": 0, "2": 1, "3": 0, "4": 1}}
    (g,) = group_rows([r], "hour")
    f = g.sites["a"]
    assert g.slot == 10 and f["visits"] == 8 and not f["suppressed"]
    assert f["no_show_rate"] == 2 / 8 and f["service_level"] == 4 / 6
    assert f["first_line_resolution"] == 3 / 4 and f["referrals"] == {"housing": 1}
    assert f["csat"] == 4 / 6 and f["happy_index"] == round(100 * (3 + 1 - 1 - 1) / 6)
    assert f["response_rate"] == 6 / 8  # taps / (served + contacts)
    assert f["wait_p50"] == (60, 120) and f["wait_p90"] == (3600, None)


def test_a_cell_under_five_visits_is_suppressed_and_so_is_the_next_smallest() -> None:
    rows = [row("small", [1, 2, 3]), row("mid", [1] * 10), row("big", [1] * 20), row("other", [5] * 2, code="energy")]
    housing, energy = sorted(group_rows(rows, "day"), key=lambda g: g.code != "housing")
    assert housing.code == "housing" and housing.slot == "2026-12-07"
    assert housing.sites["small"]["suppressed"] and housing.sites["mid"]["suppressed"]  # 33 - 20 would give 13
    assert not housing.sites["big"]["suppressed"] and housing.total["visits"] == 33
    assert shown(housing.sites["small"])["wait_p50"] == SUPPRESSED
    assert shown(housing.sites["mid"])["visits"] == SUPPRESSED
    assert energy.total["suppressed"] and shown(energy.total) == dict.fromkeys(shown(energy.total), SUPPRESSED)


def test_windows_of_other_bucket_edges_are_not_merged_into_a_wrong_percentile() -> None:
    a, b = row("a", [10] * 6), row("b", [10] * 6)
    b["bucket_edges_s"] = [15, 45]
    b["wait_hist"] = b["service_hist"] = [6, 0, 0]
    (g,) = group_rows([a, b], "need")
    assert g.total["wait_p50"] is None and g.sites["a"]["wait_p50"] == (0, 30)


def test_weeks_and_months_group_days() -> None:
    from contactpoint.hub.figures import slot_of

    monday, sunday = {"day": date(2026, 11, 30), "hour": 9}, {"day": date(2026, 12, 6), "hour": 9}
    assert slot_of(monday, "week") == slot_of(sunday, "week") == "2026-W49"
    assert slot_of(monday, "month") == "2026-11" and slot_of(sunday, "month") == "2026-12"
    assert slot_of(sunday, "day") == "2026-12-06" and slot_of(sunday, "hour") == 9 and slot_of(sunday, "need") is None
