"""Word of mouth: warned residents tell others in their municipality, a mean-field diffusion.

Model (DOMAIN, "Warning from person to person": Rogers & Sorensen's logistic
diffusion; NL-Alert, 70 % of recipients inform others). In municipality m let
w(t) be the share of residents warned, by any channel or by word of mouth. Each
newly warned resident tells, with chance ``a`` (``share_who_tell``), ``c``
(``contacts``) residents of the municipality picked at random, each after a
delay D with CDF F. The tellings that have landed by t on one resident are then
Poisson (many tellers, each picking any one resident with chance 1/N) with mean
a·c·Λ(t), where

    Λ(t) = ∫ F(t - s) dw(s)

counts the newly warned of every earlier instant, weighted by the chance that
their telling has happened by t. A told resident of cohort k takes it in with
chance q_k (``reachability`` by whereabouts: asleep people are woken by their
household, drivers are hard to reach), so, independently of the channels:

    P(not told by t) = exp(-q_k·a·c·Λ(t)),   S_k(t) = S_k^channels(t) · exp(-q_k·a·c·Λ(t)).

w depends on Λ and Λ on the earlier w (it is self-exciting, logistic at first),
so the curve is stepped along the time grid: Λ at t_i sums the rises of w over
the earlier steps j < i, each placed at its step's midpoint (the current step's
own term, F of half a step, is left out: small for delays of minutes). Word of
mouth is then one more channel with log survival -q_k·a·c·Λ(t) for the attribution.
"""

from __future__ import annotations

import numpy as np

from lalert_sim.model.residents import WordOfMouth
from lalert_sim.reach.curves import LogSurvival, cdf_on, cohort_groups
from lalert_sim.reach.parameters import WHEREABOUTS


def cohort_rates(settings: WordOfMouth, where: np.ndarray) -> np.ndarray:
    """(K,) q_k·a·c per cohort: people told per newly warned resident who take it in, by whereabouts."""
    reachability = np.array([getattr(settings.reachability, name) for name in WHEREABOUTS])
    return np.asarray(reachability[where] * settings.share_who_tell * settings.contacts, dtype=np.float64)


def told_exposure(
    times_s: np.ndarray, survival: np.ndarray, people: np.ndarray, rates: np.ndarray, settings: WordOfMouth
) -> LogSurvival:
    """Word of mouth's log survival -rate_k·Λ_m(t), given the channels' ``survival`` (M, K, T).

    ``people`` (M, K) are residents per cohort, ``rates`` (K,) from ``cohort_rates``.
    """
    unwarned = survival * people[:, :, None]
    return exposure_of(times_s, unwarned, people.sum(axis=1, dtype=np.float64), rates, settings)


def exposure_of(
    times_s: np.ndarray, unwarned: np.ndarray, population: np.ndarray, rates: np.ndarray, settings: WordOfMouth
) -> LogSurvival:
    """``told_exposure`` given the residents ``unwarned`` by the channels (M, K, T) and ``population`` (M,)."""
    m_count, _, t_count = unwarned.shape
    values, group = cohort_groups(rates)
    if values.size == 0:
        return LogSurvival.none(m_count, len(rates))

    # Residents still unwarned by the channels, per group of equal rate (the last: those nobody can tell).
    by_group = np.zeros((values.size + 1, m_count, t_count), dtype=np.float32)
    for k, u in enumerate(group):
        by_group[u] += unwarned[:, k, :]
    by_step = by_group.transpose(0, 2, 1).astype(np.float64, order="C")  # time before municipality: steps
    inhabited = population > 0  # a municipality nobody lives in (Futaba, 2020) tells nobody
    population = np.where(inhabited, population, 1.0)
    delay_cdf = _delay_matrix(times_s, settings)
    exposure = np.zeros((t_count, m_count))  # Λ_m(t_i)
    rises = np.zeros((t_count, m_count))  # w_m(t_j) - w_m(t_j-1)
    before = np.zeros(m_count)
    rates_by_group = -values[:, None]
    for i in range(t_count):
        if i:
            exposure[i] = np.einsum("j,jm->m", delay_cdf[:i, i], rises[:i])  # not BLAS: slow on shared cores
        still = np.einsum("um,um->m", by_step[:-1, i], np.exp(rates_by_group * exposure[i])) + by_step[-1, i]
        warned = np.where(inhabited, 1.0 - still / population, 0.0)
        rises[i] = np.maximum(warned - before, 0.0)
        before = np.maximum(warned, before)
    exposure = exposure.T
    start = int(np.argmax(exposure.any(axis=0))) if exposure.any() else t_count - 1
    logs = (-values[:, None, None] * exposure[None, :, start:]).astype(np.float32)
    return LogSurvival(logs, group, start)


def _delay_matrix(times_s: np.ndarray, settings: WordOfMouth) -> np.ndarray:
    """F(t_i - mid_j) for the rise of step j told by t_i, j < i (zero on and above the diagonal)."""
    mids = np.concatenate([times_s[:1], (times_s[:-1] + times_s[1:]) / 2])
    offsets = times_s[None, :] - mids[:, None]  # [j, i]
    matrix = cdf_on(settings.delay, np.maximum(offsets, -1.0), float(times_s[-1]) + 1.0)
    return np.asarray(np.triu(matrix, k=1), dtype=np.float64)


def apply(survival: np.ndarray, told: LogSurvival) -> None:
    """Multiply word of mouth's survival into the channels' ``survival`` (M, K, T), in place."""
    not_told = np.exp(told.values)
    for k in np.flatnonzero(told.group >= 0):
        survival[:, k, told.start :] *= not_told[told.group[k]]
