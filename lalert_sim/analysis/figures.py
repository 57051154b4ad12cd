"""Figures as results report them: rounding, quantile labels, the time until a share is reached."""

from __future__ import annotations

import math

QUANTILES = (0.50, 0.90, 0.95, 0.99)


def rounded(value: float | None, digits: int) -> float | None:
    """``value`` rounded to ``digits`` decimals; None stays None (a figure never reached)."""
    return None if value is None else round(value, digits)


def quantile_label(fraction: float) -> str:
    """The label of a quantile in results: ``0.9`` -> ``"90%"``."""
    return f"{round(fraction * 100)}%"


def quantile_name(label: str) -> str:
    """A quantile label as part of a column name: ``"90%"`` -> ``"90pct"``."""
    return f"{label.rstrip('%')}pct"


def time_to_fraction(delays_s: list[float], total: int, fraction: float) -> float | None:
    """Time by which ``fraction`` of ``total`` targets were reached; None if never."""
    needed = math.ceil(fraction * total - 1e-9)
    if total == 0 or needed > len(delays_s):
        return None
    return sorted(delays_s)[needed - 1] if needed > 0 else 0.0


def or_nan(value: float | None) -> float:
    """A figure as a float for tables of numbers: NaN where it was never reached."""
    return math.nan if value is None else float(value)
