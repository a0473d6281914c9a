"""Percentiles and small summaries (nearest-rank, like contactpoint.domain.figures.percentile)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def ms(values_s: Sequence[float], p: float) -> float | None:
    v = percentile(values_s, p)
    return None if v is None else round(v * 1000, 2)


def ratio(ours: float | None, floor: float | None, digits: int = 2) -> float | None:
    if ours is None or floor is None or floor == 0:
        return None
    return round(ours / floor, digits)
