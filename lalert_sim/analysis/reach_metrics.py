"""Key figures of resident reach: time until X % are warned, who is left unwarned."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lalert_sim.analysis.figures import QUANTILES, quantile_label, rounded
from lalert_sim.analysis.results import (
    ChannelShares,
    MunicipalityUnwarned,
    ResidentsReach,
    SmartphoneSplit,
    WarnedFigures,
)
from lalert_sim.reach.interpolation import values_at
from lalert_sim.reach.model import ATTRIBUTED, COHORT_GROUPS, Reach
from lalert_sim.reach.parameters import AGE_BANDS

WORST_SHOWN = 10


def time_to_warned(times_s: np.ndarray, curve: np.ndarray, fraction: float) -> float | None:
    """First time the curve reaches ``fraction`` (linear between grid points); None if never."""
    return times_to_warned(times_s, curve[np.newaxis, :], (fraction,))[0][0]


def times_to_warned(times_s: np.ndarray, curves: np.ndarray, fractions: Sequence[float]) -> list[list[float | None]]:
    """For each curve (the rows of ``curves``), the first time it reaches each of ``fractions`` (linear between
    grid points; None if never): one comparison for all curves and fractions, then a few Python floats each."""
    if not curves.shape[-1]:
        return [[None] * len(fractions) for _ in curves]
    thresholds = np.array(fractions, dtype=np.float64) - 1e-12
    reached = curves[:, np.newaxis, :] >= thresholds[np.newaxis, :, np.newaxis]  # (K, F, T)
    firsts: list[list[int]] = reached.argmax(axis=2).tolist()
    founds: list[list[bool]] = np.any(reached, axis=2).tolist()
    times = times_s.tolist()
    rows: list[list[float | None]] = []
    for curve, first, found in zip(curves, firsts, founds, strict=True):
        row: list[float | None] = []
        for fraction, i, ok in zip(fractions, first, found, strict=True):
            if not ok:
                row.append(None)
            elif i == 0:
                row.append(times[0])
            else:
                t0, t1, w0, w1 = times[i - 1], times[i], float(curve[i - 1]), float(curve[i])
                row.append(t0 + (fraction - w0) * (t1 - t0) / (w1 - w0))
        rows.append(row)
    return rows


def value_at(times_s: np.ndarray, curve: np.ndarray, t: float) -> float:
    """The curve's value at ``t`` seconds (linear between grid points)."""
    return float(np.interp(t, times_s, curve))


def warned_groups(times_s: np.ndarray, curves: np.ndarray, deadline_s: float) -> list[WarnedFigures]:
    """For each group's curve (the rows of ``curves``): time until each quantile is warned, and the share
    unwarned at the deadline."""
    at_deadline = values_at(times_s, curves, deadline_s).tolist()
    return [
        WarnedFigures(
            time_to_warned_s={quantile_label(q): rounded(t, 1) for q, t in zip(QUANTILES, row, strict=True)},
            unwarned_at_deadline=round(1.0 - value, 4),
        )
        for row, value in zip(times_to_warned(times_s, curves, QUANTILES), at_deadline, strict=True)
    ]


def reach_summary(reach: Reach, deadline_s: float) -> ResidentsReach:
    """Residents' KPIs of one alert."""
    times = reach.times_s
    unwarned = 1.0 - values_at(times, reach.by_municipality, deadline_s)
    worst = np.lexsort((-reach.population, -np.round(unwarned, 6)))[:WORST_SHOWN]  # most unwarned, then largest
    bands = len(AGE_BANDS)
    overall, *by_age, smartphone, no_smartphone = warned_groups(
        times, np.vstack([reach.overall[np.newaxis, :], reach.by_age[:bands], reach.by_smartphone[:2]]), deadline_s
    )
    return ResidentsReach(
        residents=int(reach.population.sum()),
        municipalities=len(reach.municipalities),
        local_hour=round(reach.hour, 2),
        day_type=reach.day_type.value,
        deadline_s=deadline_s,
        time_to_warned_s=overall.time_to_warned_s,
        unwarned_at_deadline=overall.unwarned_at_deadline,
        by_age=dict(zip(AGE_BANDS, by_age, strict=True)),
        by_smartphone=SmartphoneSplit(smartphone=smartphone, no_smartphone=no_smartphone),
        worst_municipalities=tuple(
            MunicipalityUnwarned(
                code=reach.municipalities[i].code,
                name=reach.municipalities[i].name,
                population=int(reach.population[i]),
                unwarned_at_deadline=round(float(unwarned[i]), 4),
            )
            for i in worst
        ),
        channel_shares=channel_shares(reach, deadline_s),
    )


def reaching_channels(reach: Reach) -> list[int]:
    """Indices into ATTRIBUTED of the channels that reach anyone by the horizon (the others are left out)."""
    return [int(n) for n in np.flatnonzero(reach.at_deadline.reaching)]


def channel_shares(reach: Reach, deadline_s: float) -> dict[str, ChannelShares]:
    """Per cohort group: first-via and reached-by shares at the deadline, of the channels that reach anyone."""
    shown = reaching_channels(reach)
    if deadline_s == reach.at_deadline.time_s:
        first_via = reach.at_deadline.first_via[:, shown].tolist()  # (G, shown)
        reached_by = reach.at_deadline.reached_by[:, shown].tolist()
    else:
        first_curves, reached_curves = _curves(reach)
        first_via = values_at(reach.times_s, first_curves[:, shown], deadline_s).tolist()
        reached_by = values_at(reach.times_s, reached_curves[:, shown], deadline_s).tolist()
    return {
        group: ChannelShares(
            first_via={ATTRIBUTED[n]: round(first_via[g][k], 4) for k, n in enumerate(shown)},
            reached_by={ATTRIBUTED[n]: round(reached_by[g][k], 4) for k, n in enumerate(shown)},
        )
        for g, group in enumerate(COHORT_GROUPS)
    }


def _curves(reach: Reach) -> tuple[np.ndarray, np.ndarray]:
    """The reach's first-via and reached-by curves (G, N, T); a reach computed without them cannot give them."""
    if reach.first_via is None or reach.reached_by is None:
        raise ValueError(f"the reach of {reach.alert_id} was computed without its attribution curves")
    return reach.first_via, reach.reached_by


def channel_rows(reach: Reach) -> list[tuple[object, ...]]:
    """Attribution over time: alert, time, cohort group, channel, first-via share, reached-by share."""
    shown = reaching_channels(reach)
    first_via, reached_by = _curves(reach)
    return [
        (
            reach.alert_id,
            float(t),
            group,
            ATTRIBUTED[n],
            round(float(first_via[g, n, i]), 5),
            round(float(reached_by[g, n, i]), 5),
        )
        for i, t in enumerate(reach.times_s)
        for g, group in enumerate(COHORT_GROUPS)
        for n in shown
    ]


def municipality_rows(reach: Reach, deadline_s: float) -> list[tuple[object, ...]]:
    """Per municipality: code, name, prefecture, population, coastal, time to 50/90 % (None: never), unwarned."""
    rows: list[tuple[object, ...]] = []
    at_deadline = values_at(reach.times_s, reach.by_municipality, deadline_s).tolist()
    halves = times_to_warned(reach.times_s, reach.by_municipality, (0.5, 0.9))
    for i, m in enumerate(reach.municipalities):
        rows.append(
            (
                reach.alert_id,
                m.code,
                m.name,
                m.prefecture_code,
                int(reach.population[i]),
                int(m.coastal),
                rounded(halves[i][0], 1),
                rounded(halves[i][1], 1),
                round(1.0 - at_deadline[i], 4),
            )
        )
    return rows


def curve_rows(reach: Reach) -> list[tuple[object, ...]]:
    """The warned curves as a table: alert, time, overall, per age band, with and without smartphone."""
    return [
        (
            reach.alert_id,
            float(t),
            *(round(float(v), 5) for v in (reach.overall[i], *reach.by_age[:, i], *reach.by_smartphone[:, i])),
        )
        for i, t in enumerate(reach.times_s)
    ]
