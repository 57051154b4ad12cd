"""Latency figures of the field-node report and bench: seconds to milliseconds, and percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload


@overload
def ms(seconds: float) -> float: ...
@overload
def ms(seconds: None) -> None: ...
def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds to the microsecond (None stays None)."""
    return None if seconds is None else round(seconds * 1000, 3)


@dataclass(frozen=True)
class Percentiles:
    """The median, p90 and p99 (nearest rank) and the maximum of some latencies, in their unit."""

    p50: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Percentiles | None:
        """The figures of ``values``; None for no values."""
        if not values:
            return None
        ordered = sorted(values)

        def at(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return cls(round(statistics.median(ordered), 3), at(0.9), at(0.99), ordered[-1])
