"""The vectorised warned-fraction formula against an independent Monte Carlo of
individual residents: draw each person's cohort, channels and reaction delays.
The same residents check the attribution (first warned via, reached by), and an
agent-based word of mouth (each warned agent tells random others) checks the
mean-field diffusion."""

from __future__ import annotations

import numpy as np
import pytest

from lalert_sim.model.calendar import DayType
from lalert_sim.model.distributions import LogNormal
from lalert_sim.model.network import Channel
from lalert_sim.model.residents import WordOfMouth
from lalert_sim.reach.cohorts import Cohorts
from lalert_sim.reach.curves import LogSurvival, ReachInputs, attribute, default_grid, unwarned, unwarned_by_channel
from lalert_sim.reach.diffusion import apply, cohort_rates, told_exposure
from lalert_sim.reach.parameters import REACH_CHANNELS, REACTION_DELAY, WHEREABOUTS, carrier_shares

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


def channel_times(inputs: ReachInputs, weights: np.ndarray, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Each of PEOPLE residents' cohort, and the time each channel would warn them (C, PEOPLE; inf if never)."""
    rng = np.random.default_rng(seed)
    cohort = rng.choice(len(weights), size=PEOPLE, p=weights / weights.sum())
    times = np.full((len(REACH_CHANNELS), PEOPLE), np.inf)
    for c, channel in enumerate(REACH_CHANNELS):
        chance = inputs.reception[cohort, c] * inputs.local_factor[0, c]
        if c == inputs.cell_broadcast:
            carrier = rng.choice(len(CARRIERS), size=PEOPLE, p=inputs.carrier_shares)
            start = inputs.carrier_emission_s[0, carrier]
        else:
            start = np.full(PEOPLE, inputs.emission_s[0, c])
        gets = (rng.random(PEOPLE) < chance) & np.isfinite(start)
        when = start + sample_delay(channel, rng, PEOPLE)
        times[c] = np.where(gets, when, np.inf)
    return cohort, times


def residents_one_by_one(inputs: ReachInputs, weights: np.ndarray, seed: int = 1) -> np.ndarray:
    """Warned time of each of PEOPLE residents (inf if never): the earliest channel wins."""
    return channel_times(inputs, weights, seed)[1].min(axis=0)


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


def test_first_via_and_reached_by_match_residents_drawn_one_by_one() -> None:
    inputs, weights = one_town_inputs(7.0)
    survival, logs = unwarned_by_channel(inputs)
    shares = attribute(survival, weights[None, :], logs)
    first = shares.first_via.sum(axis=0) / weights.sum()  # (C, T)
    reached = shares.reached_by.sum(axis=0) / weights.sum()
    _, times = channel_times(inputs, weights)
    earliest = times.min(axis=0)
    winner = times.argmin(axis=0)
    grid = inputs.times_s
    for c in range(len(REACH_CHANNELS)):
        drawn_first = ((winner == c)[None, :] & (earliest[None, :] <= grid[:, None])).mean(axis=1)
        drawn_reached = (times[c][None, :] <= grid[:, None]).mean(axis=1)
        for formula, drawn in ((first[c], drawn_first), (reached[c], drawn_reached)):
            sd = np.sqrt(np.maximum(formula * (1 - formula), 1e-6) / PEOPLE)
            # Sampling error, the CDF table's interpolation, and the split of a step's drop among channels
            # that both warn within the step (exact to first order in the step).
            assert np.all(np.abs(drawn - formula) <= 4.5 * sd + 1e-3), (
                REACH_CHANNELS[c],
                np.abs(drawn - formula).max(),
            )
    names = [REACH_CHANNELS[c] for c in range(len(REACH_CHANNELS)) if first[c, -1] > 0.02]
    assert {Channel.CELL_BROADCAST, Channel.OUTDOOR_LOUDSPEAKER, Channel.TV} <= set(names)  # several compete


def test_first_via_sums_to_the_warned_share_and_never_exceeds_reached_by() -> None:
    inputs, weights = one_town_inputs(7.0)
    survival, logs = unwarned_by_channel(inputs)
    settings = WordOfMouth()
    people = weights[None, :].astype(np.float32) * 50_000
    told = told_exposure(inputs.times_s, survival, people, cohort_rates(settings, Cohorts.all().where), settings)
    apply(survival, told)
    shares = attribute(survival, people, [*logs, told])
    warned = 1.0 - (people[0][:, None] * survival[0]).sum(axis=0) / people.sum()
    first, reached = shares.first_via.sum(axis=0) / people.sum(), shares.reached_by.sum(axis=0) / people.sum()
    assert np.allclose(first.sum(axis=0), warned, rtol=0, atol=1e-6)
    assert np.all(reached >= first - 1e-6)
    assert first[-1, -1] > 0.01  # word of mouth takes part
    # Per cohort too: each cohort's first-via shares sum to its own warned share.
    per_cohort = shares.first_via.sum(axis=1) / people[0][:, None]
    assert np.allclose(per_cohort, 1.0 - survival[0], rtol=0, atol=1e-6)


WORD_OF_MOUTH_AGENTS = 200_000


def agents_with_word_of_mouth(
    inputs: ReachInputs, weights: np.ndarray, settings: WordOfMouth, contacts: int, seed: int = 2
) -> np.ndarray:
    """Warned time of each agent: its channels, or a warned agent telling it (random mixing in one town)."""
    cohort, times = channel_times(inputs, weights, seed)
    rng = np.random.default_rng([seed, 1])  # draws of their own: who tells is independent of the cohort
    warned = times.min(axis=0)
    n = warned.size
    tellers = np.flatnonzero(rng.random(n) < settings.share_who_tell)
    source = np.repeat(tellers, contacts)
    target = rng.integers(0, n, source.size)
    delay = settings.delay
    assert isinstance(delay, LogNormal)
    lag = rng.lognormal(np.log(delay.median), delay.sigma, source.size)
    reachability = np.array([getattr(settings.reachability, w) for w in WHEREABOUTS])
    taken = rng.random(source.size) < reachability[Cohorts.all().where[cohort[target]]]
    source, target, lag = source[taken], target[taken], lag[taken]
    for _ in range(200):  # earliest arrival over the telling graph: relax until nothing changes
        arrival = np.full(n, np.inf)
        np.minimum.at(arrival, target, warned[source] + lag)
        updated = np.minimum(warned, arrival)
        if np.array_equal(updated, warned):
            break
        warned = updated
    return warned


@pytest.mark.parametrize("hour", [7.0, 2.0], ids=["morning", "night"])
def test_word_of_mouth_mean_field_matches_agents_telling_random_others(hour: float) -> None:
    contacts = 3
    settings = WordOfMouth(contacts=contacts)
    inputs, weights = one_town_inputs(hour)
    survival, _ = unwarned_by_channel(inputs)
    channels_only = 1.0 - (weights[:, None] * survival[0]).sum(axis=0) / weights.sum()
    people = weights[None, :].astype(np.float32)
    told = told_exposure(inputs.times_s, survival, people, cohort_rates(settings, Cohorts.all().where), settings)
    apply(survival, told)
    formula = 1.0 - (weights[:, None] * survival[0]).sum(axis=0) / weights.sum()
    warned_at = agents_with_word_of_mouth(inputs, weights, settings, contacts)
    agents = (warned_at[None, :] <= inputs.times_s[:, None]).mean(axis=1)
    # Mean field against 200,000 agents within half a point (seen: at most 0.2): sampling (sd about 0.1 point),
    # the time grid, and the step's own term left out.
    assert np.max(np.abs(agents - formula)) <= 0.005, np.max(np.abs(agents - formula))
    assert formula[-1] > channels_only[-1] + 0.05  # word of mouth adds a visible share


def test_word_of_mouth_that_nobody_passes_on_changes_nothing() -> None:
    inputs, weights = one_town_inputs(7.0)
    survival, _ = unwarned_by_channel(inputs)
    quiet = WordOfMouth(share_who_tell=0)
    told = told_exposure(inputs.times_s, survival, weights[None, :], cohort_rates(quiet, Cohorts.all().where), quiet)
    assert told.values.size == 0 and isinstance(told, LogSurvival)
    before = survival.copy()
    apply(survival, told)
    assert np.array_equal(survival, before)
    assert np.array_equal(survival, unwarned(inputs))
