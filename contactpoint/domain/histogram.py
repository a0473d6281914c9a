"""Fixed-bucket histograms of waiting and service times (pure): the same edges on every box and on the hub, so
that histograms merge by adding their counts and a percentile read from them is exact within one bucket.

Edges (seconds, upper bounds; a bucket holds the values v with lower < v <= upper, the first one 0 <= v <= 60):
1-minute buckets up to 60 minutes, 5-minute buckets up to 120 minutes, 15-minute buckets up to 240 minutes, then
one open bucket. A percentile is reported as the upper edge of the bucket holding it, capped by the largest value
seen (the open bucket reports that largest value), so the true percentile lies in the bucket that ends at the
reported value. See docs/figures.md.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

BUCKET_EDGES_S: tuple[float, ...] = (
    tuple(60.0 * m for m in range(1, 61))
    + tuple(3600.0 + 300.0 * k for k in range(1, 13))
    + tuple(7200.0 + 900.0 * k for k in range(1, 9))
)
BUCKETS = len(BUCKET_EDGES_S) + 1  # the last one is open


def bucket_of(value: float) -> int:
    """The index of the bucket holding `value` (negative values count as 0)."""
    return bisect_left(BUCKET_EDGES_S, max(0.0, value))


def bucket_bounds(index: int) -> tuple[float, float]:
    """(lower, upper) of a bucket; the open bucket's upper bound is infinity."""
    lower = 0.0 if index == 0 else BUCKET_EDGES_S[index - 1]
    upper = BUCKET_EDGES_S[index] if index < len(BUCKET_EDGES_S) else math.inf
    return lower, upper


@dataclass(slots=True)
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * BUCKETS)
    n: int = 0
    largest: float | None = None

    def add(self, value: float) -> None:
        v = max(0.0, value)
        self.counts[bucket_of(v)] += 1
        self.n += 1
        if self.largest is None or v > self.largest:
            self.largest = v

    def count(self) -> int:
        return self.n

    def max(self) -> float | None:
        return self.largest

    def merge(self, other: Histogram) -> Histogram:
        """A new histogram holding both."""
        largest = [x for x in (self.largest, other.largest) if x is not None]
        return Histogram(
            [a + b for a, b in zip(self.counts, other.counts, strict=True)],
            self.n + other.n,
            max(largest) if largest else None,
        )

    def bucket(self, p: float) -> int | None:
        """The bucket holding the nearest-rank p-th percentile (p in 0..100); None when empty."""
        if self.n == 0:
            return None
        rank = max(1, math.ceil(p / 100 * self.n))
        seen = 0
        for i, c in enumerate(self.counts):
            seen += c
            if seen >= rank:
                return i
        return len(self.counts) - 1  # unreachable while counts add up to n

    def bounds(self, p: float) -> tuple[float, float] | None:
        """The bucket (lower, upper] that holds the p-th percentile."""
        i = self.bucket(p)
        return None if i is None else bucket_bounds(i)

    def percentile(self, p: float) -> float | None:
        """The reported p-th percentile: the upper edge of its bucket, never above the largest value seen."""
        b = self.bounds(p)
        if b is None or self.largest is None:
            return None
        return min(b[1], self.largest)

    def to_dict(self) -> dict[str, Any]:
        # sparse: most of the 81 buckets of a need's day are empty
        return {"n": self.n, "max": self.largest, "counts": {str(i): c for i, c in enumerate(self.counts) if c}}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Histogram:
        counts = [0] * BUCKETS
        for i, c in d.get("counts", {}).items():
            counts[int(i)] = int(c)
        largest = d.get("max")
        return Histogram(counts, int(d.get("n", sum(counts))), None if largest is None else float(largest))
