"""Small summaries for the bench; percentiles are the nearest-rank ones of contactpoint.domain.figures."""

from __future__ import annotations

from collections.abc import Sequence

from contactpoint.domain.figures import percentile  # one definition for the figures and the bench


def ms(values_s: Sequence[float], p: float) -> float | None:
    v = percentile(values_s, p)
    return None if v is None else round(v * 1000, 2)


def ratio(ours: float | None, floor: float | None, digits: int = 2) -> float | None:
    if ours is None or floor is None or floor == 0:
        return None
    return round(ours / floor, digits)
