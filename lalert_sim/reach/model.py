"""The resident reach of one alert: who is warned by when, by age and device, per municipality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.calendar import DayType
from lalert_sim.model.network import Channel
from lalert_sim.prepare import Prepared
from lalert_sim.reach.curves import LogSurvival, ReachInputs, attribute_residents, log_unwarned, reached_alone
from lalert_sim.reach.diffusion import apply
from lalert_sim.reach.emissions import EmitterMap
from lalert_sim.reach.equipment import station_factors
from lalert_sim.reach.headends import headend_factors
from lalert_sim.reach.interpolation import values_at
from lalert_sim.reach.parameters import AGE_BANDS, REACH_CHANNELS
from lalert_sim.reach.scratch import Scratch, scratch
from lalert_sim.reach.setting import (
    AlertSetting,
    alert_setting,
    concerned_municipalities,
    local_factors,
    local_time,
    rain_at,
)
from lalert_sim.topology.reference import Municipality

__all__ = [
    "ATTRIBUTED",
    "COHORT_GROUPS",
    "WORD_OF_MOUTH",
    "Reach",
    "compute_reach",
    "concerned_municipalities",
    "local_factors",
    "local_time",
    "municipal_factors",
    "rain_at",
]

WORD_OF_MOUTH = "word_of_mouth"
"""The attribution name of warning from person to person (beside the ``Channel`` values)."""
ATTRIBUTED: tuple[str, ...] = (*(c.value for c in REACH_CHANNELS), WORD_OF_MOUTH)
"""What residents can be warned through, in the order of ``Reach.first_via``'s channel axis."""
COHORT_GROUPS: tuple[str, ...] = ("overall", *AGE_BANDS, "smartphone", "no_smartphone")
"""Groups of residents the attribution is reported for, in the order of ``Reach.first_via``'s first axis."""


@dataclass(frozen=True)
class AttributionAt:
    """Shares of each COHORT_GROUPS group (rows) first warned through, and reached by, each ATTRIBUTED channel
    (columns) at one time; ``reaching`` marks the channels that reach anyone by the horizon."""

    time_s: float
    first_via: np.ndarray  # (G, N)
    reached_by: np.ndarray  # (G, N)
    reaching: np.ndarray  # (N,) bool


@dataclass(frozen=True)
class Reach:
    """Expected warned fractions on a time grid (seconds after issue)."""

    alert_id: str
    times_s: np.ndarray  # (T,)
    municipalities: list[Municipality]
    population: np.ndarray  # (M,)
    overall: np.ndarray  # (T,)
    by_age: np.ndarray  # (3, T), AGE_BANDS order
    by_smartphone: np.ndarray  # (2, T): uses one, does not
    by_municipality: np.ndarray  # (M, T)
    hour: float
    day_type: DayType
    at_deadline: AttributionAt  # at the residents' deadline
    first_via: np.ndarray | None  # (G, N, T): share of each COHORT_GROUPS group first warned through each ATTRIBUTED
    reached_by: np.ndarray | None  # (G, N, T): share each ATTRIBUTED would have warned by t on its own; both None
    # when computed without curves (a summary reads the shares at the deadline only)


def compute_reach(prepared: Prepared, result: RunResult, alert: AlertState, curves: bool = True) -> Reach | None:
    """The alert's reach, or None when it concerns no municipality's residents.

    What does not depend on the run (municipalities, cohorts, grid, word of mouth's set-up) comes
    from ``alert_setting``, computed once per prepared scenario and alert. Without ``curves`` the
    attribution to channels is worked out only up to the residents' deadline (``Reach.at_deadline``,
    the same to the bit), which is all a summary reads.
    """
    setting = alert_setting(prepared, alert)
    if setting is None:
        return None
    emitters = setting.emitters
    if result.topology is not prepared.topology:  # a run on another topology: map its emitters afresh
        emitters = EmitterMap.of(result.topology, setting.municipalities, prepared.topology.cell_broadcast_carriers)
    emission, by_carrier = emitters.emission_times(result, alert)
    inputs = ReachInputs(
        times_s=setting.times_s,
        emission_s=emission,
        carrier_emission_s=by_carrier,
        carrier_shares=setting.carrier_shares,
        cell_broadcast=REACH_CHANNELS.index(Channel.CELL_BROADCAST),
        reception=setting.reception,
        local_factor=municipal_factors(setting, prepared, result, alert, emission),
        delays=setting.delays,
        reception_groups=setting.reception_groups,
    )
    with scratch() as work:  # the arrays below lie in ``work`` until the end of the block
        return _reach(setting, alert, inputs, work, prepared.scenario.residents.deadline_s, curves)


def _reach(
    setting: AlertSetting, alert: AlertState, inputs: ReachInputs, work: Scratch, deadline_s: float, curves: bool
) -> Reach:
    """``compute_reach`` from its inputs; the Reach's arrays are new, none in ``work``."""
    municipalities, cohorts, times, people = setting.municipalities, setting.cohorts, setting.times_s, setting.people
    log_survival, logs = log_unwarned(inputs, work)  # (M, K, T), float32: curves are good to about 1e-6
    unwarned = np.exp(log_survival, out=log_survival)
    unwarned *= people[:, :, None]  # (M, K, T) residents still unwarned
    if setting.telling is not None:
        told = setting.telling.exposure(unwarned)
        apply(unwarned, told, work)
    else:
        told = LogSurvival.none(len(municipalities), len(cohorts))
    channels = [*logs, told]
    groups = setting.groups  # COHORT_GROUPS order: everyone, each age band, smartphone, none
    first_via: np.ndarray | None = None  # the curves, when asked for
    reached_by: np.ndarray | None = None
    if curves:
        attribution = attribute_residents(unwarned, people, channels, work)
        first_via = _group_shares(attribution.first_via, attribution.people, groups)
        reached_by = _group_shares(attribution.reached_by, attribution.people, groups)
        at_deadline = AttributionAt(
            time_s=deadline_s,
            first_via=values_at(times, first_via, deadline_s),
            reached_by=values_at(times, reached_by, deadline_s),
            reaching=reached_by[0, :, -1] > 0,
        )
    else:  # only the steps a value at the deadline is read from, and what each channel reached at the end
        around = _around(times, deadline_s)
        attribution = attribute_residents(unwarned, people, channels, work, steps=around.stop, reached_steps=around)
        last = slice(len(times) - 1, len(times))
        at_end = reached_alone(people, channels, last, np.zeros((len(cohorts), len(channels), 1)))
        shares_around = _group_shares(attribution.first_via[:, :, around], attribution.people, groups)
        reached_around = _group_shares(attribution.reached_by, attribution.people, groups)
        at_deadline = AttributionAt(
            time_s=deadline_s,
            first_via=values_at(times[around], shares_around, deadline_s),
            reached_by=values_at(times[around], reached_around, deadline_s),
            reaching=_group_shares(at_end, attribution.people, groups)[0, :, 0] > 0,
        )

    still_by_cohort = attribution.still  # (K, T)
    people_by_cohort = attribution.people

    def warned_share(members: np.ndarray) -> np.ndarray:
        total = float(people_by_cohort[members].sum())
        still = still_by_cohort[members].sum(axis=0)
        return np.clip(1.0 - still / total, 0.0, 1.0) if total > 0 else np.zeros(len(times))

    population = setting.population
    still_by_municipality = unwarned.sum(axis=1, dtype=np.float64)
    return Reach(
        alert_id=alert.spec.id,
        times_s=times.copy(),  # the Reach's own: the setting's stay as they are whatever a reader does
        municipalities=list(municipalities),
        population=population.copy(),
        overall=warned_share(groups[0]),
        by_age=np.array([warned_share(groups[1 + a]) for a in range(len(AGE_BANDS))]),
        by_smartphone=np.array([warned_share(groups[-2]), warned_share(groups[-1])]),
        by_municipality=np.clip(1.0 - still_by_municipality / np.maximum(population, 1.0)[:, None], 0.0, 1.0),
        hour=setting.hour,
        day_type=setting.day_type,
        at_deadline=at_deadline,
        first_via=first_via,
        reached_by=reached_by,
    )


def _group_shares(counts: np.ndarray, people: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """(K, N, T') residents per cohort, ``people`` (K,) per cohort -> (G, N, T') shares of each group."""
    totals = [float(people[g].sum()) for g in groups]
    return np.array(
        [
            counts[g].sum(axis=0) / t if t > 0 else np.zeros(counts.shape[1:])
            for g, t in zip(groups, totals, strict=True)
        ]
    )


def _around(times_s: np.ndarray, t: float) -> slice:
    """The one or two grid steps that a value at ``t`` is interpolated from (``values_at``)."""
    j = int(np.searchsorted(times_s, t, side="right")) - 1  # times_s[j] <= t < times_s[j + 1]
    return slice(max(j, 0), min(j + 2, len(times_s)))


def municipal_factors(
    setting: AlertSetting, prepared: Prepared, result: RunResult, alert: AlertState, emission: np.ndarray
) -> np.ndarray:
    """(M, C) factors on the chance of being warned: receiver ownership, rain, dark homes (local_factors),
    stations still on air (station_factors), TV headends down (headend_factors, given the run's (M, C)
    ``emission`` times). Where homes have no mains power, TV is only what sets on batteries receive
    directly, so a headend's state no longer matters."""
    municipalities = setting.municipalities
    headends = headend_factors(prepared, result, alert, municipalities, emission=emission)
    tv = REACH_CHANNELS.index(Channel.TV)
    headends[setting.dark, tv] = 1.0
    result_factors: np.ndarray = (
        setting.local_factor * station_factors(prepared, result, alert, municipalities) * headends
    )
    return result_factors
