"""The resident reach of one alert: who is warned by when, by age and device, per municipality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

import numpy as np

from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.areas import in_any
from lalert_sim.model.network import Channel
from lalert_sim.model.residents import Residents
from lalert_sim.prepare import Prepared
from lalert_sim.reach.cohorts import Cohorts
from lalert_sim.reach.curves import ReachInputs, default_grid, unwarned
from lalert_sim.reach.emissions import emission_times
from lalert_sim.reach.parameters import (
    AGE_BANDS,
    NATIONAL_AGE_SHARES,
    REACH_CHANNELS,
    REACTION_DELAY,
    carrier_shares,
)
from lalert_sim.topology.reference import Municipality

JST = timezone(timedelta(hours=9))


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


def concerned_municipalities(prepared: Prepared, alert: AlertState) -> list[Municipality]:
    """Municipalities of the topology (nodes with a municipal area) that the alert targets."""
    table = prepared.municipalities
    codes = sorted({n.area for n in prepared.topology.nodes.values() if n.area and len(n.area) == 5})
    return [table[c] for c in codes if c in table and in_any(c, alert.areas)]


def local_hour(prepared: Prepared, alert: AlertState) -> float:
    """Hour of day in Japan when the alert is issued (or the scenario's fixed hour)."""
    residents = prepared.scenario.residents
    if residents.hour is not None:
        return residents.hour
    epoch = prepared.scenario.metadata.epoch
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=JST)
    moment = (epoch + timedelta(seconds=alert.spec.issue_s)).astimezone(JST)
    return moment.hour + moment.minute / 60


def compute_reach(prepared: Prepared, result: RunResult, alert: AlertState) -> Reach | None:
    """The alert's reach, or None when it concerns no municipality's residents."""
    municipalities = concerned_municipalities(prepared, alert)
    if not municipalities:
        return None
    residents = prepared.scenario.residents
    carriers = sorted({n.carrier for n in prepared.topology.nodes.values()
                       if n.channel is Channel.CELL_BROADCAST and n.carrier})
    emission, by_carrier = emission_times(result, alert, municipalities, carriers)
    hour = local_hour(prepared, alert)
    cohorts = Cohorts.all()
    age_shares = np.array([m.age_shares or NATIONAL_AGE_SHARES for m in municipalities])
    weights = cohorts.shares(age_shares, hour)  # (M, K)
    times = default_grid(residents.horizon_s)
    inputs = ReachInputs(
        times_s=times,
        emission_s=emission,
        carrier_emission_s=by_carrier,
        carrier_shares=carrier_shares(carriers),
        cell_broadcast=REACH_CHANNELS.index(Channel.CELL_BROADCAST),
        reception=cohorts.reception(),
        local_factor=local_factors(municipalities, residents),
        delays=tuple(REACTION_DELAY[c] for c in REACH_CHANNELS),
    )
    survival = unwarned(inputs)  # (M, K, T)
    population = np.array([m.population for m in municipalities], dtype=np.float64)
    people = population[:, None] * weights  # (M, K) residents per cohort
    warned_people = people[:, :, None] * (1.0 - survival)  # (M, K, T)
    by_municipality = warned_people.sum(axis=1) / np.maximum(population, 1.0)[:, None]
    return Reach(
        alert_id=alert.spec.id,
        times_s=times,
        municipalities=municipalities,
        population=population,
        overall=warned_people.sum(axis=(0, 1)) / population.sum(),
        by_age=_grouped(warned_people, people, cohorts.age, len(AGE_BANDS)),
        by_smartphone=_grouped(warned_people, people, (~cohorts.smartphone).astype(int), 2),
        by_municipality=by_municipality,
        hour=hour,
    )


def _grouped(warned_people: np.ndarray, people: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    curves = np.zeros((groups, warned_people.shape[2]))
    for g in range(groups):
        members = group == g
        total = people[:, members].sum()
        if total > 0:
            curves[g] = warned_people[:, members, :].sum(axis=(0, 1)) / total
    return curves


def local_factors(municipalities: list[Municipality], residents: Residents) -> np.ndarray:
    """(M, C) municipality factors: indoor-receiver ownership and rain on loudspeakers."""
    factors = np.ones((len(municipalities), len(REACH_CHANNELS)))
    indoor = REACH_CHANNELS.index(Channel.INDOOR_RECEIVER)
    loudspeaker = REACH_CHANNELS.index(Channel.OUTDOOR_LOUDSPEAKER)
    for i, m in enumerate(municipalities):
        share = m.indoor_receiver_share
        factors[i, indoor] = residents.indoor_receiver_share if share is None else share
        for rain in residents.rain:
            if m.code.startswith(rain.area):
                factors[i, loudspeaker] *= rain.loudspeaker_factor
    return factors
