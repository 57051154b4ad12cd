"""How figures read in every view (terminal, HTML): durations, shares, plain numbers."""

from __future__ import annotations

import math

NOT_YET = "—"


def seconds(value: float | None, missing: str = "never") -> str:
    """A duration as a person reads it: ``12.3 s`` under two minutes, else ``4.5 min``.

    ``missing`` stands for None (never reached, or not yet); an infinite time reads ``never``.
    """
    if value is None:
        return missing
    if not math.isfinite(value):
        return "never"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def percent(share: float) -> str:
    """A share (0-1) as a percentage with one decimal: ``12.3 %``."""
    return f"{100 * share:.1f} %"


def number(value: float | None) -> str:
    """A statistic in four significant digits; a dash where there is none (None or NaN)."""
    if value is None or math.isnan(value):
        return NOT_YET
    return f"{value:,.4g}"
