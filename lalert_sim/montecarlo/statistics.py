"""Statistics of replications: means with 95 % confidence intervals, percentiles, paired differences."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from lalert_sim.analysis.results import Record

_NORMAL = NormalDist()
PERCENTILES = (5, 50, 95)


@dataclass(frozen=True, slots=True)
class Description(Record):
    """One KPI over the replications: how many, how many reached (finite), mean with 95 % CI, spread."""

    n: int
    finite: int
    mean: float
    ci95_low: float
    ci95_high: float
    sd: float
    p5: float
    p50: float
    p95: float


@dataclass(frozen=True, slots=True)
class PairedDifference(Record):
    """plan − base on common seeds, and how many times fewer replications pairing needs.

    ``variance_reduction`` = (var(base) + var(plan)) / var(plan − base): how many
    times more replications independent runs would need for the same precision.
    """

    pairs: int
    mean_difference: float
    ci95_low: float
    ci95_high: float
    independent_variance: float
    paired_variance: float
    variance_reduction: float

    @property
    def significant(self) -> bool:
        """True when the 95 % interval excludes zero."""
        return self.ci95_low > 0 or self.ci95_high < 0


def _t_cdf_small(x: float, df: int) -> float:
    """Closed-form Student-t CDF for 3 and 4 degrees of freedom."""
    if df == 3:
        u = x / math.sqrt(3)
        return 0.5 + (u / (1 + u * u) + math.atan(u)) / math.pi
    v = x * x / (4 + x * x)
    return 0.5 + math.copysign(0.5 * math.sqrt(v) * (1.5 - 0.5 * v), x)


def t_quantile(p: float, df: int) -> float:
    """Student-t quantile: exact for 1-4 degrees of freedom, Cornish-Fisher beyond (relative error < 2e-4)."""
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    if df in (3, 4):
        low, high = -1e3, 1e3
        for _ in range(200):
            middle = (low + high) / 2
            low, high = (middle, high) if _t_cdf_small(middle, df) < p else (low, middle)
        return (low + high) / 2
    z = _NORMAL.inv_cdf(p)
    n = float(df)
    return (
        z
        + (z**3 + z) / (4 * n)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * n**4)
    )


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the mean's confidence interval; NaN bounds with fewer than two values."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan, math.nan
    half = t_quantile(0.5 + level / 2, values.size - 1) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return mean, mean - half, mean + half


def describe(values: np.ndarray) -> Description:
    """Count, how many were reached (finite), mean with 95 % CI, s.d. and percentiles."""
    finite = values[np.isfinite(values)]
    mean, low, high = mean_ci(values)
    p5, p50, p95 = (float(p) for p in np.percentile(finite, PERCENTILES)) if finite.size else (math.nan,) * 3
    return Description(
        n=int(values.size),
        finite=int(finite.size),
        mean=mean,
        ci95_low=low,
        ci95_high=high,
        sd=float(finite.std(ddof=1)) if finite.size > 1 else math.nan,
        p5=p5,
        p50=p50,
        p95=p95,
    )


def paired(base: np.ndarray, plan: np.ndarray) -> PairedDifference:
    """Paired difference plan − base over common seeds (see ``PairedDifference``)."""
    both = np.isfinite(base) & np.isfinite(plan)
    difference = plan[both] - base[both]
    mean, low, high = mean_ci(difference)
    independent = float(base[both].var(ddof=1) + plan[both].var(ddof=1)) if both.sum() > 1 else math.nan
    paired_var = float(difference.var(ddof=1)) if both.sum() > 1 else math.nan
    if paired_var == 0:
        reduction = math.inf if independent > 0 else math.nan
    else:
        reduction = independent / paired_var
    return PairedDifference(
        pairs=int(both.sum()),
        mean_difference=mean,
        ci95_low=low,
        ci95_high=high,
        independent_variance=independent,
        paired_variance=paired_var,
        variance_reduction=reduction,
    )
