"""The warned-residents curves the console shows: each alert's curve by cohort and by municipality,
from the reach model (a live run) or from a finished run's warned files (a replay)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lalert_sim.console.protocol import WarnedPoint
from lalert_sim.reach.model import Reach
from lalert_sim.reach.parameters import AGE_BANDS

COHORTS = ("overall", *AGE_BANDS)
"""The curves the stream carries: everyone, then each age band (the layout's ``cohorts``)."""


@dataclass(frozen=True)
class WarnedCurve:
    """One alert's warned shares over seconds after its issue, by cohort and by municipality."""

    issue_s: float
    times_s: np.ndarray  # (T,) seconds after issue
    by_cohort: dict[str, np.ndarray]  # cohort -> (T,)
    by_municipality: dict[str, tuple[np.ndarray, np.ndarray]]  # code -> (seconds after issue, shares)

    @classmethod
    def of_reach(cls, reach: Reach, issue_s: float) -> WarnedCurve:
        """The curve of a reach (the reach model on the trace so far)."""
        curves = [reach.overall, *reach.by_age]
        return cls(
            issue_s,
            reach.times_s,
            dict(zip(COHORTS, curves, strict=True)),
            {m.code: (reach.times_s, row) for m, row in zip(reach.municipalities, reach.by_municipality, strict=True)},
        )


def warned_now(curves: Sequence[WarnedCurve], now_s: float) -> WarnedPoint:
    """Each cohort's warned share at ``now_s``: the most any alert has warned by then."""
    shares = dict.fromkeys(COHORTS, 0.0)
    for curve in curves:
        if now_s < curve.issue_s:
            continue
        since = now_s - curve.issue_s
        for cohort, values in curve.by_cohort.items():
            if cohort in shares:
                shares[cohort] = max(shares[cohort], round(float(np.interp(since, curve.times_s, values)), 6))
    return {"t": round(now_s, 3), "by_cohort": shares}


def municipal_warned(curves: Sequence[WarnedCurve], now_s: float) -> dict[str, float]:
    """Each concerned municipality's warned share at ``now_s`` (the most any alert has warned there)."""
    shares: dict[str, float] = {}
    for curve in curves:
        if now_s < curve.issue_s:
            continue
        since = now_s - curve.issue_s
        for code, (times_s, values) in curve.by_municipality.items():
            shares[code] = max(shares.get(code, 0.0), round(float(np.interp(since, times_s, values)), 4))
    return shares
