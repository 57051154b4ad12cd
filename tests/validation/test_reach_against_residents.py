"""The vectorised warned-fraction formula against an independent Monte Carlo of
individual residents: draw each person's cohort, channels and reaction delays."""

from __future__ import annotations

import numpy as np
import pytest

from lalert_sim.model.calendar import DayType
from lalert_sim.model.network import Channel
from lalert_sim.reach.cohorts import Cohorts
from lalert_sim.reach.curves import ReachInputs, default_grid, unwarned
from lalert_sim.reach.parameters import REACH_CHANNELS, REACTION_DELAY, carrier_shares

PEOPLE = 200_000
CARRIERS = ["docomo", "kddi", "softbank", "rakuten"]


def one_town_inputs(hour: float = 7.0, day: DayType = DayType.WEEKDAY) -> tuple[ReachInputs, np.ndarray]:
    """A town where loudspeakers, indoor receivers, TV and cell broadcast emit at staggered times."""
    emission = np.full((1, len(REACH_CHANNELS)), np.inf)
    emitted = {
        Channel.OUTDOOR_LOUDSPEAKER: 12.0,
        Channel.INDOOR_RECEIVER: 11.0,
        Channel.TV: 95.0,
        Channel.DOOR_TO_DOOR: 300.0,
    }
    for channel, time in emitted.items():
        emission[0, REACH_CHANNELS.index(channel)] = time
    carrier_emission = np.array([[4.0, 6.5, 9.0, np.inf]])  # rakuten never broadcast
    cohorts = Cohorts.all()
    local = np.ones((1, len(REACH_CHANNELS)))
    local[0, REACH_CHANNELS.index(Channel.INDOOR_RECEIVER)] = 0.4
    inputs = ReachInputs(
        times_s=default_grid(3600),
        emission_s=emission,
        carrier_emission_s=carrier_emission,
        carrier_shares=carrier_shares(CARRIERS),
        cell_broadcast=REACH_CHANNELS.index(Channel.CELL_BROADCAST),
        reception=cohorts.reception(hour, day),
        local_factor=local,
        delays=tuple(REACTION_DELAY[c] for c in REACH_CHANNELS),
    )
    weights = cohorts.shares(np.array([[0.6, 0.15, 0.25]]), hour, day)[0]
    return inputs, weights


def sample_delay(channel: Channel, rng: np.random.Generator, n: int) -> np.ndarray:
    """Reaction delays drawn with numpy's own samplers (not the model's)."""
    spec = REACTION_DELAY[channel]
    if spec.kind == "lognormal":
        return rng.lognormal(np.log(spec.median), spec.sigma, n)
    return rng.uniform(spec.low, spec.high, n)


def residents_one_by_one(inputs: ReachInputs, weights: np.ndarray, seed: int = 1) -> np.ndarray:
    """Warned time of each of PEOPLE residents (inf if never)."""
    rng = np.random.default_rng(seed)
    cohort = rng.choice(len(weights), size=PEOPLE, p=weights / weights.sum())
    warned = np.full(PEOPLE, np.inf)
    for c, channel in enumerate(REACH_CHANNELS):
        chance = inputs.reception[cohort, c] * inputs.local_factor[0, c]
        if c == inputs.cell_broadcast:
            carrier = rng.choice(len(CARRIERS), size=PEOPLE, p=inputs.carrier_shares)
            start = inputs.carrier_emission_s[0, carrier]
        else:
            start = np.full(PEOPLE, inputs.emission_s[0, c])
        gets = (rng.random(PEOPLE) < chance) & np.isfinite(start)
        when = start + sample_delay(channel, rng, PEOPLE)
        warned = np.where(gets, np.minimum(warned, when), warned)
    return warned


@pytest.mark.parametrize("hour", [7.0, 2.0], ids=["morning", "night"])
def test_formula_matches_residents_drawn_one_by_one(hour: float) -> None:
    inputs, weights = one_town_inputs(hour)
    formula = 1.0 - (weights[:, None] * unwarned(inputs)[0]).sum(axis=0) / weights.sum()
    warned_at = residents_one_by_one(inputs, weights)
    empirical = (warned_at[None, :] <= inputs.times_s[:, None]).mean(axis=1)
    sampling_sd = np.sqrt(np.maximum(formula * (1 - formula), 1e-6) / PEOPLE)
    # Within 4.5 sampling standard deviations everywhere, plus the CDF table's interpolation error.
    assert np.all(np.abs(empirical - formula) <= 4.5 * sampling_sd + 2e-4), np.max(np.abs(empirical - formula))
    assert formula[-1] > 0.5  # the comparison covers a curve that actually rises
