"""Where and when an alert falls, and what its resident reach needs that no run changes.

The municipalities it concerns, the local hour and day type, the incidents under way at its
issue, and from them the cohorts' weights and reception, the time grid, the emitter map and
word of mouth's groups and delays (``AlertSetting``). ``alert_setting`` keeps them per prepared
scenario, so that the replications of a sweep compute them once.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta, timezone

import numpy as np

from lalert_sim.engine.state import AlertState
from lalert_sim.model.areas import in_any
from lalert_sim.model.calendar import DayType, day_type_of
from lalert_sim.model.distributions import _AnyDistribution
from lalert_sim.model.incidents import HeavyRain, Incident, PowerOutage
from lalert_sim.model.network import Channel
from lalert_sim.model.residents import Residents
from lalert_sim.prepare import Prepared
from lalert_sim.reach.cohorts import Cohorts
from lalert_sim.reach.curves import cohort_groups, default_grid
from lalert_sim.reach.diffusion import Telling, cohort_rates
from lalert_sim.reach.emissions import EmitterMap
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


@dataclass(frozen=True)
class AlertSetting:
    """One alert's municipalities (M), cohorts (K), time grid (T) and what follows from them alone."""

    municipalities: list[Municipality]
    hour: float
    day_type: DayType
    cohorts: Cohorts
    times_s: np.ndarray  # (T,)
    population: np.ndarray  # (M,) float64
    people: np.ndarray  # (M, K) float32: residents per cohort
    reception: np.ndarray  # (K, C)
    reception_groups: tuple[tuple[np.ndarray, np.ndarray], ...]  # (C,) cohort_groups of each column
    carrier_shares: np.ndarray  # (J,)
    delays: tuple[_AnyDistribution, ...]  # (C,) reaction delay per channel
    local_factor: np.ndarray  # (M, C) local_factors: receivers, rain, dark homes
    dark: np.ndarray  # (M,) homes without mains power
    emitters: EmitterMap
    telling: Telling | None  # word of mouth, None when it is off
    groups: list[np.ndarray]  # (K,) bool per COHORT_GROUPS group


def alert_setting(prepared: Prepared, alert: AlertState) -> AlertSetting | None:
    """The alert's setting, or None when it concerns no municipality's residents; kept per prepared scenario.

    Safe to keep: it depends only on the prepared scenario (scenario, residents settings and incidents
    are frozen; the topology and municipality table are not changed once prepared) and on the alert's
    areas and issue time, which are the key. The entry goes with the prepared scenario (``weakref``);
    at most ``_KEPT`` alerts' settings are kept per scenario, the least recently used dropped.
    """
    key = (alert.areas, alert.spec.issue_s)
    with _LOCK:  # a live console computes reaches beside the engine's thread
        kept = _SETTINGS.get(id(prepared))
        if kept is None:
            kept = _SETTINGS[id(prepared)] = OrderedDict()
            weakref.finalize(prepared, _SETTINGS.pop, id(prepared), None)
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
        setting = kept[key] = _setting(prepared, alert)
        if len(kept) > _KEPT:
            kept.popitem(last=False)
        return setting


_KEPT = 8
_LOCK = threading.Lock()
_SETTINGS: dict[int, OrderedDict[tuple[tuple[str, ...], float], AlertSetting | None]] = {}


def _setting(prepared: Prepared, alert: AlertState) -> AlertSetting | None:
    municipalities = concerned_municipalities(prepared, alert)
    if not municipalities:
        return None
    residents = prepared.scenario.residents
    carriers = prepared.topology.cell_broadcast_carriers
    hour, day = local_time(prepared, alert)
    cohorts = Cohorts.all()
    age_shares = np.array([m.age_shares or NATIONAL_AGE_SHARES for m in municipalities])
    weights = cohorts.shares(age_shares, hour, day, residents.felt_quake)  # (M, K)
    times = default_grid(residents.horizon_s)
    population = np.array([m.population for m in municipalities], dtype=np.float64)
    people = (population[:, None] * weights).astype(np.float32)  # (M, K) residents per cohort
    power = power_at(prepared, alert)
    reception = cohorts.reception(hour, day, residents.felt_quake, residents.reception_factor)
    spread = residents.word_of_mouth
    setting = AlertSetting(
        municipalities=municipalities,
        hour=hour,
        day_type=day,
        cohorts=cohorts,
        times_s=times,
        population=population,
        people=people,
        reception=reception,
        reception_groups=tuple(cohort_groups(reception[:, c]) for c in range(reception.shape[1])),
        carrier_shares=carrier_shares(carriers),
        delays=tuple(REACTION_DELAY[c] for c in REACH_CHANNELS),
        local_factor=local_factors(municipalities, residents, rain_at(prepared, alert), power),
        dark=homes_dark(municipalities, power),
        emitters=EmitterMap.of(prepared.topology, municipalities, carriers),
        telling=Telling(times, people, cohort_rates(spread, cohorts.where), spread) if spread.enabled else None,
        groups=[
            np.ones(len(cohorts), dtype=bool),
            *(cohorts.age == a for a in range(len(AGE_BANDS))),
            cohorts.smartphone,
            ~cohorts.smartphone,
        ],
    )
    for array in (times, population, people, reception, setting.local_factor, setting.dark, setting.carrier_shares):
        array.setflags(write=False)  # shared by every replication's reach
    return setting


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


def _under_way(prepared: Prepared, alert: AlertState) -> list[Incident]:
    """The scenario's incidents under way when the alert is issued."""
    issue = alert.spec.issue_s
    return [i for i in prepared.scenario.incidents if i.start_s <= issue < i.end_s]


def rain_at(prepared: Prepared, alert: AlertState) -> list[HeavyRain]:
    """The heavy-rain incidents under way when the alert is issued."""
    return [i for i in _under_way(prepared, alert) if isinstance(i, HeavyRain)]


def power_at(prepared: Prepared, alert: AlertState) -> list[PowerOutage]:
    """The area-wide power outages under way when the alert is issued (homes without mains: TV sets are
    dark); one limited to some nodes leaves homes lit."""
    return [i for i in _under_way(prepared, alert) if isinstance(i, PowerOutage) and i.nodes is None]


def homes_dark(municipalities: list[Municipality], power: list[PowerOutage] | None) -> np.ndarray:
    """(M,) whether each municipality lies in a power outage under way (homes without mains)."""
    return np.array([any(m.code.startswith(o.area) for o in power or ()) for m in municipalities], dtype=bool)


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
