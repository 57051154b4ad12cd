"""The resident reach of one alert: who is warned by when, by age and device, per municipality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

import numpy as np

from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.areas import in_any
from lalert_sim.model.calendar import DayType, day_type_of
from lalert_sim.model.incidents import HeavyRain, Incident, PowerOutage
from lalert_sim.model.network import Channel
from lalert_sim.model.residents import Residents
from lalert_sim.prepare import Prepared
from lalert_sim.reach.cohorts import Cohorts
from lalert_sim.reach.curves import LogSurvival, ReachInputs, attribute_residents, default_grid, log_unwarned
from lalert_sim.reach.diffusion import apply, cohort_rates, exposure_of
from lalert_sim.reach.emissions import emission_times
from lalert_sim.reach.equipment import station_factors
from lalert_sim.reach.headends import headend_factors
from lalert_sim.reach.parameters import (
    AGE_BANDS,
    NATIONAL_AGE_SHARES,
    REACH_CHANNELS,
    REACTION_DELAY,
    TV_WITHOUT_MAINS,
    carrier_shares,
)
from lalert_sim.topology.reference import Municipality

JST = timezone(timedelta(hours=9))
WORD_OF_MOUTH = "word_of_mouth"
"""The attribution name of warning from person to person (beside the ``Channel`` values)."""
ATTRIBUTED: tuple[str, ...] = (*(c.value for c in REACH_CHANNELS), WORD_OF_MOUTH)
"""What residents can be warned through, in the order of ``Reach.first_via``'s channel axis."""
COHORT_GROUPS: tuple[str, ...] = ("overall", *AGE_BANDS, "smartphone", "no_smartphone")
"""Groups of residents the attribution is reported for, in the order of ``Reach.first_via``'s first axis."""


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
    first_via: np.ndarray  # (G, N, T): share of each COHORT_GROUPS group first warned through each ATTRIBUTED
    reached_by: np.ndarray  # (G, N, T): share each ATTRIBUTED would have warned by t on its own


def concerned_municipalities(prepared: Prepared, alert: AlertState) -> list[Municipality]:
    """Municipalities of the topology (nodes with a municipal area) that the alert targets and where
    somebody lives (Futaba counted nobody in the 2020 census: it has no residents to warn)."""
    table = prepared.municipalities
    codes = prepared.topology.municipal_areas
    return [table[c] for c in codes if c in table and in_any(c, alert.areas) and table[c].population > 0]


def local_time(prepared: Prepared, alert: AlertState) -> tuple[float, DayType]:
    """Hour of day and day type in Japan when the alert is issued (or the scenario's fixed ones)."""
    residents = prepared.scenario.residents
    epoch = prepared.scenario.metadata.epoch
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=JST)
    moment = (epoch + timedelta(seconds=alert.spec.issue_s)).astimezone(JST)
    hour = moment.hour + moment.minute / 60 if residents.hour is None else residents.hour
    day = day_type_of(moment.date()) if residents.day_type is None else residents.day_type
    return hour, day


def compute_reach(prepared: Prepared, result: RunResult, alert: AlertState) -> Reach | None:
    """The alert's reach, or None when it concerns no municipality's residents."""
    municipalities = concerned_municipalities(prepared, alert)
    if not municipalities:
        return None
    residents = prepared.scenario.residents
    carriers = prepared.topology.cell_broadcast_carriers
    emission, by_carrier = emission_times(result, alert, municipalities, carriers)
    hour, day = local_time(prepared, alert)
    cohorts = Cohorts.all()
    age_shares = np.array([m.age_shares or NATIONAL_AGE_SHARES for m in municipalities])
    weights = cohorts.shares(age_shares, hour, day, residents.felt_quake)  # (M, K)
    times = default_grid(residents.horizon_s)
    inputs = ReachInputs(
        times_s=times,
        emission_s=emission,
        carrier_emission_s=by_carrier,
        carrier_shares=carrier_shares(carriers),
        cell_broadcast=REACH_CHANNELS.index(Channel.CELL_BROADCAST),
        reception=cohorts.reception(hour, day, residents.felt_quake, residents.reception_factor),
        local_factor=municipal_factors(prepared, result, alert, municipalities),
        delays=tuple(REACTION_DELAY[c] for c in REACH_CHANNELS),
    )
    log_survival, logs = log_unwarned(inputs)  # (M, K, T), float32: curves are good to about 1e-6
    population = np.array([m.population for m in municipalities], dtype=np.float64)
    people = (population[:, None] * weights).astype(np.float32)  # (M, K) residents per cohort
    unwarned = np.exp(log_survival)
    unwarned *= people[:, :, None]  # (M, K, T) residents still unwarned
    spread = residents.word_of_mouth
    if spread.enabled:
        told = exposure_of(
            times, unwarned, people.sum(axis=1, dtype=np.float64), cohort_rates(spread, cohorts.where), spread
        )
        apply(unwarned, told)
    else:
        told = LogSurvival.none(len(municipalities), len(cohorts))
    attribution = attribute_residents(unwarned, people, [*logs, told])

    still_by_cohort = attribution.still  # (K, T)
    people_by_cohort = attribution.people

    def warned_share(members: np.ndarray) -> np.ndarray:
        total = float(people_by_cohort[members].sum())
        still = still_by_cohort[members].sum(axis=0)
        return np.clip(1.0 - still / total, 0.0, 1.0) if total > 0 else np.zeros(len(times))

    everyone = np.ones(len(cohorts), dtype=bool)
    groups = [everyone, *(cohorts.age == a for a in range(len(AGE_BANDS))), cohorts.smartphone, ~cohorts.smartphone]

    def group_shares(counts: np.ndarray) -> np.ndarray:  # (K, N, T) residents -> (G, N, T) shares
        totals = [float(attribution.people[g].sum()) for g in groups]
        return np.array(
            [
                counts[g].sum(axis=0) / t if t > 0 else np.zeros(counts.shape[1:])
                for g, t in zip(groups, totals, strict=True)
            ]
        )

    still_by_municipality = unwarned.sum(axis=1, dtype=np.float64)
    return Reach(
        alert_id=alert.spec.id,
        times_s=times,
        municipalities=municipalities,
        population=population,
        overall=warned_share(everyone),
        by_age=np.array([warned_share(cohorts.age == a) for a in range(len(AGE_BANDS))]),
        by_smartphone=np.array([warned_share(cohorts.smartphone), warned_share(~cohorts.smartphone)]),
        by_municipality=np.clip(1.0 - still_by_municipality / np.maximum(population, 1.0)[:, None], 0.0, 1.0),
        hour=hour,
        day_type=day,
        first_via=group_shares(attribution.first_via),
        reached_by=group_shares(attribution.reached_by),
    )


def _under_way(prepared: Prepared, alert: AlertState) -> list[Incident]:
    """The scenario's incidents under way when the alert is issued."""
    issue = alert.spec.issue_s
    return [i for i in prepared.scenario.incidents if i.start_s <= issue < i.end_s]


def rain_at(prepared: Prepared, alert: AlertState) -> list[HeavyRain]:
    """The heavy-rain incidents under way when the alert is issued."""
    return [i for i in _under_way(prepared, alert) if isinstance(i, HeavyRain)]


def municipal_factors(
    prepared: Prepared, result: RunResult, alert: AlertState, municipalities: list[Municipality]
) -> np.ndarray:
    """(M, C) factors on the chance of being warned: receiver ownership, rain, dark homes (local_factors),
    stations still on air (station_factors), TV headends down (headend_factors). Where homes have no mains
    power, TV is only what sets on batteries receive directly, so a headend's state no longer matters."""
    power = power_at(prepared, alert)
    factors = local_factors(municipalities, prepared.scenario.residents, rain_at(prepared, alert), power)
    headends = headend_factors(prepared, result, alert, municipalities)
    tv = REACH_CHANNELS.index(Channel.TV)
    headends[homes_dark(municipalities, power), tv] = 1.0
    result_factors: np.ndarray = factors * station_factors(prepared, result, alert, municipalities) * headends
    return result_factors


def homes_dark(municipalities: list[Municipality], power: list[PowerOutage] | None) -> np.ndarray:
    """(M,) whether each municipality lies in a power outage under way (homes without mains)."""
    return np.array([any(m.code.startswith(o.area) for o in power or ()) for m in municipalities], dtype=bool)


def power_at(prepared: Prepared, alert: AlertState) -> list[PowerOutage]:
    """The area-wide power outages under way when the alert is issued (homes without mains: TV sets are
    dark); one limited to some nodes leaves homes lit."""
    return [i for i in _under_way(prepared, alert) if isinstance(i, PowerOutage) and i.nodes is None]


def local_factors(
    municipalities: list[Municipality],
    residents: Residents,
    rain: list[HeavyRain],
    power: list[PowerOutage] | None = None,
) -> np.ndarray:
    """(M, C) municipality factors: indoor-receiver ownership, rain on loudspeakers, and TV where homes
    have lost mains power (only sets on batteries work: TV_WITHOUT_MAINS)."""
    factors = np.ones((len(municipalities), len(REACH_CHANNELS)))
    indoor = REACH_CHANNELS.index(Channel.INDOOR_RECEIVER)
    loudspeaker = REACH_CHANNELS.index(Channel.OUTDOOR_LOUDSPEAKER)
    factors[homes_dark(municipalities, power), REACH_CHANNELS.index(Channel.TV)] = TV_WITHOUT_MAINS
    for i, m in enumerate(municipalities):
        share = m.indoor_receiver_share
        factors[i, indoor] = residents.indoor_receiver_share if share is None else share
        for shower in rain:
            if m.code.startswith(shower.area):
                factors[i, loudspeaker] *= shower.loudspeaker_factor
    return factors
