"""How sure an error rate measured on n examples is, and whether a gap between two is noise.

An error of k mistakes in n examples has the 95% Wilson score interval::

    center = (p + z^2 / 2n) / (1 + z^2 / n)
    half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)        p = k / n, z = 1.96

(unlike p +- z sqrt(p (1 - p) / n) it stays inside [0, 1] and is not empty at k = 0).  A gap
``d = p2 - p1`` between two independent sets gets Newcombe's hybrid score interval, built
from the two Wilson intervals [l1, u1] and [l2, u2]::

    [d - sqrt((p2 - l2)^2 + (u1 - p1)^2),  d + sqrt((u2 - p2)^2 + (p1 - l1)^2)]

A gap whose interval holds 0 is within noise: the sets are too small to tell it from no gap.
The human-level error is taken as exact (l = u = p).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the normal quantile of a two-sided 95% interval
Z95 = 1.959963984540054


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of an error rate ``p`` measured on ``n`` examples."""
    if n <= 0:
        raise ValueError(f"an error rate needs n > 0 examples, got n = {n}")
    z2 = z * z
    center = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(max(0.0, p * (1 - p) / n + z2 / (4 * n * n)))
    return max(0.0, center - half), min(1.0, center + half)


@dataclass(frozen=True)
class MeasuredError:
    """An error rate with the number of examples it was measured on (None: exact or unknown)."""

    rate: float
    n: int | None = None

    @property
    def errors(self) -> int | None:
        """k, the number of mistakes (the rate times n, rounded)."""
        return None if self.n is None else int(round(self.rate * self.n))

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% Wilson interval; ``(rate, rate)`` without a count."""
        return (self.rate, self.rate) if self.n is None else wilson_interval(self.rate, self.n)

    def describe(self) -> str:
        """``2 errors of 19, 95% CI 2.9% .. 31.4%`` (empty without a count)."""
        if self.n is None:
            return ""
        low, high = self.interval
        k = self.errors
        return f"{k} error{'' if k == 1 else 's'} of {self.n}, 95% CI {low:.1%} .. {high:.1%}"


def gap_interval(upper: MeasuredError, lower: MeasuredError) -> tuple[float, float]:
    """Newcombe's 95% interval of ``lower.rate - upper.rate`` (the gap down the table)."""
    p1, p2 = upper.rate, lower.rate
    l1, u1 = upper.interval
    l2, u2 = lower.interval
    d = p2 - p1
    return d - math.hypot(p2 - l2, u1 - p1), d + math.hypot(u2 - p2, p1 - l1)


def within_noise(upper: MeasuredError, lower: MeasuredError) -> bool | None:
    """Whether the gap between the two errors could be zero (None: no count to judge by)."""
    if upper.n is None and lower.n is None:
        return None
    low, high = gap_interval(upper, lower)
    return low <= 0.0 <= high


def examples_to_tell(upper: MeasuredError, lower: MeasuredError) -> int:
    """About how many examples in each set would make a gap of this size stand out of the
    noise (the difference's 95% half-width equal to the gap)."""
    gap = abs(lower.rate - upper.rate)
    p = (lower.rate + upper.rate) / 2
    variance = max(p * (1 - p), 1e-4)
    if gap == 0:
        return 0
    sets = 2 if (upper.n is not None and lower.n is not None) else 1
    return int(math.ceil(sets * Z95 * Z95 * variance / (gap * gap)))
