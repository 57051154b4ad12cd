"""The reach model's fast paths against the straightforward computations they replace, to the bit.

Each reference below is the plain loop (cohort by cohort, step by step) written out here; the
model's vectorised, chunked and cached versions must give the same numbers.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from lalert_sim import load, run, summarise
from lalert_sim.analysis.summary import run_summary
from lalert_sim.model.residents import WordOfMouth
from lalert_sim.prepare import prepare
from lalert_sim.reach import compute_reach, curves
from lalert_sim.reach.cohorts import Cohorts
from lalert_sim.reach.curves import LogSurvival, attribute_residents, cohort_groups, log_unwarned
from lalert_sim.reach.diffusion import Telling, _delay_matrix, apply, cohort_rates
from lalert_sim.reach.emissions import EmitterMap, emission_times
from lalert_sim.reach.interpolation import values_at
from lalert_sim.reach.model import COHORT_GROUPS
from lalert_sim.reach.scratch import Scratch
from lalert_sim.reach.setting import _SETTINGS, AlertSetting, alert_setting
from lalert_sim.runner import reaches
from tests.conftest import SCENARIOS
from tests.validation.test_reach_against_residents import one_town_inputs

FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"
REACH_FIELDS = ("overall", "by_age", "by_smartphone", "by_municipality", "first_via", "reached_by", "population")


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _reference_exposure(
    times_s: np.ndarray, unwarned: np.ndarray, rates: np.ndarray, settings: WordOfMouth
) -> np.ndarray:
    """Word of mouth's Λ (M, T), stepped along the whole grid as the model describes (no reuse)."""
    m_count, _, t_count = unwarned.shape
    values, group = cohort_groups(rates)
    by_group = np.zeros((values.size + 1, m_count, t_count), dtype=np.float32)
    for k, u in enumerate(group):
        by_group[u] += unwarned[:, k, :]
    by_step = by_group.transpose(0, 2, 1).astype(np.float64, order="C")
    population = unwarned[:, :, 0].sum(axis=1, dtype=np.float64)  # nobody warned at t = 0 in these cases
    delay_cdf = _delay_matrix(times_s, settings)
    exposure, rises, before = np.zeros((t_count, m_count)), np.zeros((t_count, m_count)), np.zeros(m_count)
    for i in range(t_count):
        if i:
            exposure[i] = np.einsum("j,jm->m", delay_cdf[:i, i], rises[:i])
        still = np.einsum("um,um->m", by_step[:-1, i], np.exp(-values[:, None] * exposure[i])) + by_step[-1, i]
        warned = 1.0 - still / population
        rises[i] = np.maximum(warned - before, 0.0)
        before = np.maximum(warned, before)
    return exposure.T


def _town(emission_shift_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, people (1, K) float32, residents unwarned by the channels (1, K, T)) of the test town,
    its channels emitting ``emission_shift_s`` later than in ``one_town_inputs``."""
    inputs, weights = one_town_inputs()
    shifted = type(inputs)(**{**inputs.__dict__, "emission_s": inputs.emission_s + emission_shift_s})
    shifted = type(inputs)(**{**shifted.__dict__, "carrier_emission_s": inputs.carrier_emission_s + emission_shift_s})
    log_total, _ = log_unwarned(shifted)
    people = (50_000 * weights[None, :]).astype(np.float32)
    return inputs.times_s, people, np.exp(log_total) * people[:, :, None]


def test_word_of_mouth_reuses_its_quiet_steps_without_changing_a_bit() -> None:
    settings = WordOfMouth()
    rates = cohort_rates(settings, Cohorts.all().where)
    times, people, late = _town(emission_shift_s=400.0)  # many quiet steps before anyone is warned
    _, _, early = _town(emission_shift_s=0.0)
    telling = Telling(times, people, rates, settings)
    for unwarned in (late, early, late):  # the quiet steps computed for the first are reused by the third
        told = telling.exposure(unwarned)
        reference = _reference_exposure(times, unwarned, rates, settings)
        values, _ = cohort_groups(rates)
        expected = (-values[:, None, None] * reference[None, :, told.start :]).astype(np.float32)
        assert _same_bits(told.values, expected)
    assert telling._steps_done > 0  # the late run's quiet steps were kept


def _reference_attribution_first(unwarned: np.ndarray, people: np.ndarray, logs: list[LogSurvival]) -> np.ndarray:
    """Residents first warned through each channel on each step (K, N, T), cohort by cohort, before scaling."""
    m_count, k_count, t_count = unwarned.shape
    increments = [log.municipal(log.increments()) for log in logs]  # one row per municipality
    first = np.zeros((k_count, len(logs), t_count))
    for k in range(k_count):
        present = [
            (n, int(log.group[k]), slice(log.start, log.stop)) for n, log in enumerate(logs) if log.group[k] >= 0
        ]
        hazard = np.zeros((m_count, t_count), dtype=np.float32)
        for n, u, window in present:
            hazard[:, window] += increments[n][u]
        still = unwarned[:, k, :]
        per_hazard = np.empty((m_count, t_count), dtype=np.float32)
        np.subtract(people[:, k], still[:, 0], out=per_hazard[:, 0])
        np.subtract(still[:, :-1], still[:, 1:], out=per_hazard[:, 1:])
        np.maximum(hazard, np.float32(1e-30), out=hazard)
        per_hazard /= hazard
        for n, u, window in present:
            first[k, n, window] = np.einsum("mt,mt->t", per_hazard[:, window], increments[n][u])
    return first


def _flagship_inputs() -> tuple[curves.ReachInputs, AlertSetting]:
    """The reach formula's inputs for one flagship replication, and its alert's setting."""
    prepared = load(FLAGSHIP)
    result = run(prepared, 3)
    alert = result.alerts[0]
    setting = alert_setting(prepared, alert)
    assert setting is not None and setting.telling is not None
    emission, by_carrier = setting.emitters.emission_times(result, alert)
    inputs = curves.ReachInputs(
        times_s=setting.times_s,
        emission_s=emission,
        carrier_emission_s=by_carrier,
        carrier_shares=setting.carrier_shares,
        cell_broadcast=2,
        reception=setting.reception,
        local_factor=setting.local_factor,
        delays=setting.delays,
    )
    return inputs, setting


def _flagship_pieces() -> tuple[np.ndarray, np.ndarray, list[LogSurvival]]:
    """Residents unwarned (M, K, T), people (M, K) and the channels' and word of mouth's log survivals of
    one flagship replication, taken from the model's own steps."""
    inputs, setting = _flagship_inputs()
    assert setting.telling is not None
    log_total, logs = log_unwarned(inputs)
    unwarned = np.exp(log_total) * setting.people[:, :, None]
    told = setting.telling.exposure(unwarned)
    apply(unwarned, told)
    return unwarned, setting.people, [*logs, told]


# All cohorts at once (the flagship's 40 municipalities), chunks of 3 cohorts, and one by one (as nationwide).
CHUNKINGS = [(1 << 20, 1 << 16), (3 * 40 * 159, 1 << 16), (1 << 20, 1)]


@pytest.mark.parametrize(("chunk_elements", "one_by_one"), CHUNKINGS)
def test_attribution_over_all_cohorts_matches_cohort_by_cohort(
    monkeypatch: pytest.MonkeyPatch, chunk_elements: int, one_by_one: int
) -> None:
    monkeypatch.setattr(curves, "_CHUNK_ELEMENTS", chunk_elements)
    monkeypatch.setattr(curves, "_ONE_BY_ONE", one_by_one)
    unwarned, people, logs = _flagship_pieces()
    first = _reference_attribution_first(unwarned, people, logs)
    still = unwarned.sum(axis=0, dtype=np.float64)
    drops = np.diff(still, axis=1, prepend=people.sum(axis=0, dtype=np.float64)[:, None])
    split = first.sum(axis=1)
    first *= np.divide(-drops, split, out=np.zeros_like(split), where=split > 0)[:, None, :]
    attribution = attribute_residents(unwarned, people, logs)
    assert _same_bits(attribution.first_via, np.cumsum(first, axis=2))
    assert attribution.first_via[:, :, -1].sum() > 0  # somebody was warned: the comparison is not of zeros


@pytest.mark.parametrize(("chunk_elements", "one_by_one"), CHUNKINGS)
def test_log_survival_over_all_cohorts_matches_cohort_by_cohort(
    monkeypatch: pytest.MonkeyPatch, chunk_elements: int, one_by_one: int
) -> None:
    monkeypatch.setattr(curves, "_CHUNK_ELEMENTS", chunk_elements)
    monkeypatch.setattr(curves, "_ONE_BY_ONE", one_by_one)
    inputs, _ = one_town_inputs()
    total, logs = log_unwarned(inputs)
    expected = np.zeros((inputs.reception.shape[0], 1, len(inputs.times_s)), dtype=np.float32)
    for k in range(inputs.reception.shape[0]):
        for log in logs:
            u = int(log.group[k])
            if u < 0 or log.values.shape[2] == 0:
                continue
            values = log.municipal(log.values)  # one row per municipality
            expected[k][:, log.start : log.stop] += values[u]
            expected[k][:, log.stop :] += values[u, :, -1:]
    assert _same_bits(np.ascontiguousarray(total.transpose(1, 0, 2)), expected)
    assert expected.min() < 0


def test_reach_is_the_same_with_its_setting_and_work_arrays_reused() -> None:
    prepared = load(FLAGSHIP)
    results = [run(prepared, seed) for seed in (1, 2)]
    first = [compute_reach(prepared, r, r.alerts[0]) for r in results]
    again = [compute_reach(prepared, r, r.alerts[0]) for r in reversed(results)][::-1]  # warm, other order
    fresh = [compute_reach(load(FLAGSHIP), r, r.alerts[0]) for r in results]  # a new prepared: nothing kept
    for a, b, c in zip(first, again, fresh, strict=True):
        assert a is not None and b is not None and c is not None
        for field in REACH_FIELDS:
            assert _same_bits(getattr(a, field), getattr(b, field)), field
            assert _same_bits(getattr(a, field), getattr(c, field)), field
    assert not _same_bits(first[0].first_via, first[1].first_via)  # two runs that differ


def test_a_kept_setting_goes_with_its_prepared_scenario() -> None:
    prepared = load(FLAGSHIP)
    result = run(prepared, 1)
    assert compute_reach(prepared, result, result.alerts[0]) is not None
    key = id(prepared)
    assert key in _SETTINGS
    del prepared, result
    gc.collect()
    assert key not in _SETTINGS


def test_emitter_map_gives_the_emission_times() -> None:
    prepared = load(FLAGSHIP)
    result = run(prepared, 2)
    alert = result.alerts[0]
    setting = alert_setting(prepared, alert)
    assert setting is not None
    carriers = prepared.topology.cell_broadcast_carriers
    kept = setting.emitters.emission_times(result, alert)
    mapped = EmitterMap.of(result.topology, setting.municipalities, carriers).emission_times(result, alert)
    direct = emission_times(result, alert, setting.municipalities, carriers)
    for a, b, c in zip(kept, mapped, direct, strict=True):
        assert _same_bits(a, b) and _same_bits(a, c)
    assert np.isfinite(kept[0]).any()


def test_scratch_arrays_are_views_of_the_shape_asked_for() -> None:
    work = Scratch()
    big = work.zeros("a", (3, 4, 5))
    assert big.shape == (3, 4, 5) and big.flags.c_contiguous and not big.any()
    big.fill(7.0)
    small = work.array("a", (2, 3))
    assert small.shape == (2, 3) and np.shares_memory(small, big)  # the same memory, reused
    assert work.zeros("a", (2, 3)).sum() == 0
    assert work.array("b", (2,), np.float64).dtype == np.float64


# On a grid point (600 s), between two (601.3 s), before the first emission (1 s), on the horizon (3,600 s) and
# beyond it (5,000 s; the flagship's horizon is 3,600 s).
@pytest.mark.parametrize("deadline_s", [600.0, 601.3, 1.0, 3600.0, 5000.0])
def test_the_shares_at_the_deadline_without_curves_are_those_of_the_curves(deadline_s: float) -> None:
    prepared = load(FLAGSHIP)
    residents = prepared.scenario.residents.model_copy(update={"deadline_s": deadline_s})
    prepared = prepare(prepared.scenario.model_copy(update={"residents": residents}))
    result = run(prepared, 3)
    full, lean = (compute_reach(prepared, result, result.alerts[0], curves) for curves in (True, False))
    assert full is not None and lean is not None and full.first_via is not None and full.reached_by is not None
    assert lean.first_via is None and lean.reached_by is None  # nothing a summary does not read
    for field in ("first_via", "reached_by", "reaching"):
        assert _same_bits(getattr(full.at_deadline, field), getattr(lean.at_deadline, field)), field
    # Against the curves read at the deadline (np.interp's arithmetic), and their last step.
    assert _same_bits(lean.at_deadline.first_via, values_at(full.times_s, full.first_via, deadline_s))
    assert _same_bits(lean.at_deadline.reached_by, values_at(full.times_s, full.reached_by, deadline_s))
    assert _same_bits(lean.at_deadline.reaching, full.reached_by[0, :, -1] > 0)
    assert lean.at_deadline.first_via.shape == (len(COHORT_GROUPS), full.first_via.shape[1])
    if deadline_s > 1.0:  # somebody was warned by then: the comparison is not of zeros
        assert lean.at_deadline.first_via[0].sum() > 0.5


@pytest.mark.parametrize("name", ["jalert_missile_drill_aomori", "lalert_evacuation_order_kesennuma"])
def test_a_summary_is_the_same_with_the_reach_worked_out_to_its_deadline_only(name: str) -> None:
    prepared = load(SCENARIOS / f"{name}.yaml")
    result = run(prepared, 4)
    assert summarise(prepared, result).to_json() == run_summary(prepared, result, reaches(prepared, result)).to_json()


def test_municipalities_that_share_a_row_give_what_a_row_each_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, setting = _flagship_inputs()
    total, logs = log_unwarned(inputs)
    shared = [log for log in logs if log.rows is not None]
    assert shared and all(log.values.shape[1] < log.m_count for log in shared)  # broadcasters: a row for all towns
    with monkeypatch.context() as patch:  # every municipality its own row
        patch.setattr(curves, "_distinct", lambda rows, reached, local: (None, reached[rows], local))
        own_total, own_logs = log_unwarned(inputs)
    assert _same_bits(total, own_total)
    for log, own in zip(logs, own_logs, strict=True):
        assert own.rows is None and log.start == own.start and log.stop == own.stop
        assert _same_bits(log.municipal(log.values), own.values)
        assert _same_bits(log.municipal(log.increments()), own.increments())
        if log.reached is not None and own.reached is not None and log.chance is not None:
            assert _same_bits(log.municipal(log.reached), own.reached) and _same_bits(log.chance, own.chance)
    unwarned = np.exp(total) * setting.people[:, :, None]
    attributed, own_attributed = (attribute_residents(unwarned, setting.people, x) for x in (logs, own_logs))
    assert _same_bits(attributed.first_via, own_attributed.first_via)
    assert _same_bits(attributed.reached_by, own_attributed.reached_by)
