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

import math
import threading

import numpy as np

from lalert_sim.model.residents import WordOfMouth
from lalert_sim.reach.curves import LogSurvival, cdf_on, cohort_chunks, cohort_groups
from lalert_sim.reach.parameters import WHEREABOUTS
from lalert_sim.reach.scratch import Scratch


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
    return Telling(times_s, people, rates, settings).exposure(survival * people[:, :, None])


class Telling:
    """Word of mouth in one alert's municipalities, what no run changes: groups of equal rate, the delay
    matrix, and the first steps of the diffusion while nobody has been warned by any channel.

    Until a channel warns somebody every run has the same residents unwarned (the people of each
    cohort), so those steps (a diffusion of float32 rounding noise: Λ below 1e-7) are the same too;
    they are stepped once and reused (``exposure`` starts from the first step where a run's residents
    differ). Every step is the same numpy calls on the same values, so the result is the same to the bit.
    """

    def __init__(self, times_s: np.ndarray, people: np.ndarray, rates: np.ndarray, settings: WordOfMouth) -> None:
        self.values, self.group = cohort_groups(rates)
        self.k_count = len(rates)
        self.population = people.sum(axis=1, dtype=np.float64)
        self.inhabited = self.population > 0  # a municipality nobody lives in (Futaba, 2020) tells nobody
        self.everywhere = bool(self.inhabited.all())
        self.population = np.where(self.inhabited, self.population, 1.0)
        if self.values.size == 0:
            return
        self.told_by = np.ascontiguousarray(_delay_matrix(times_s, settings).T)  # [i, j]: F(t_i - mid_j), by row
        self.rates_by_group = -self.values[:, None]
        self.quiet = _by_group(people[:, :, None], self.group, self.values.size)[:, 0, :]  # (U + 1, M)
        self._lock = threading.Lock()  # for the quiet steps, shared by the runs of every thread
        self._steps_done = 0
        m_count = people.shape[0]
        self._exposure = np.zeros((0, m_count))  # Λ, rises and running warned share of the quiet steps
        self._rises = np.zeros((0, m_count))
        self._before = np.zeros((0, m_count))

    def exposure(self, unwarned: np.ndarray) -> LogSurvival:
        """Word of mouth's log survival given the residents ``unwarned`` by the channels (M, K, T)."""
        m_count, _, t_count = unwarned.shape
        if self.values.size == 0:
            return LogSurvival.none(m_count, self.k_count)
        # Residents still unwarned by the channels, per group of equal rate (the last: those nobody can tell).
        by_step = _by_group(unwarned, self.group, self.values.size)  # time before municipality: steps
        differs = np.flatnonzero((by_step != self.quiet[:, None, :]).any(axis=(0, 2)))
        quiet = int(differs[0]) if differs.size else t_count
        exposure = np.zeros((t_count, m_count))  # Λ_m(t_i)
        rises = np.zeros((t_count, m_count))  # w_m(t_j) - w_m(t_j-1)
        before = np.zeros(m_count)
        not_told = np.ones((self.values.size + 1, m_count))  # per group; the last row (nobody tells) stays 1
        warned = np.empty(m_count)
        if quiet:
            with self._lock:
                self._step_quiet(quiet, not_told, warned)
                exposure[:quiet] = self._exposure[:quiet]
                rises[:quiet] = self._rises[:quiet]
                before[:] = self._before[quiet - 1]
        for i in range(quiet, t_count):
            self._step(i, by_step[:, i], exposure, rises, before, not_told, warned)
        exposure = exposure.T
        start = int(np.argmax(exposure.any(axis=0))) if exposure.any() else t_count - 1
        logs = (-self.values[:, None, None] * exposure[None, :, start:]).astype(np.float32)
        return LogSurvival(logs, self.group, start, None, None, None)

    def _step(
        self,
        i: int,
        unwarned: np.ndarray,
        exposure: np.ndarray,
        rises: np.ndarray,
        before: np.ndarray,
        not_told: np.ndarray,
        warned: np.ndarray,
    ) -> None:
        """Step i of the diffusion: Λ at t_i from the earlier rises, then the warned share's rise; ``unwarned``
        (U + 1, M) by group. ``before`` (M,), the largest warned share so far, is updated in place;
        ``not_told`` (U + 1, M), whose last row is 1, and ``warned`` (M,) are work space: a step writes only into
        arrays it is given (it is a few microseconds of arithmetic, which allocations would double)."""
        here = exposure[i]
        if i:
            np.einsum("j,jm->m", self.told_by[i, :i], rises[:i], out=here)  # not BLAS: slow on shared cores
        # exp(-rate_u Λ), then 1 for those nobody can tell: the same sum as adding them after
        telling = not_told[:-1]
        np.exp(np.multiply(self.rates_by_group, here, out=telling), out=telling)
        np.einsum("um,um->m", unwarned, not_told, out=warned)  # still unwarned
        np.divide(warned, self.population, out=warned)
        np.subtract(1.0, warned, out=warned)
        if not self.everywhere:
            np.copyto(warned, 0.0, where=~self.inhabited)
        np.maximum(np.subtract(warned, before, out=rises[i]), 0.0, out=rises[i])
        np.maximum(warned, before, out=before)

    def _step_quiet(self, steps: int, not_told: np.ndarray, warned: np.ndarray) -> None:
        """Step the diffusion on the quiet residents until ``steps`` steps are known."""
        done = self._steps_done
        if steps <= done:
            return
        m_count = self.quiet.shape[1]
        exposure, rises, before = (np.zeros((steps, m_count)) for _ in range(3))
        exposure[:done], rises[:done], before[:done] = self._exposure, self._rises, self._before
        state = before[done - 1].copy() if done else np.zeros(m_count)
        for i in range(done, steps):
            self._step(i, self.quiet, exposure, rises, state, not_told, warned)
            before[i] = state
        self._exposure, self._rises, self._before, self._steps_done = exposure, rises, before, steps


def _by_group(unwarned: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """(U + 1, T, M) float64 sums of ``unwarned`` (M, K, T) over the cohorts of each group (the last: group -1),
    added in float32 in cohort order."""
    m_count, _, t_count = unwarned.shape
    by_group = np.zeros((groups + 1, m_count, t_count), dtype=np.float32)
    for k, u in enumerate(group):
        by_group[u] += unwarned[:, k, :]
    return by_group.transpose(0, 2, 1).astype(np.float64, order="C")


def _delay_matrix(times_s: np.ndarray, settings: WordOfMouth) -> np.ndarray:
    """F(t_i - mid_j) for the rise of step j told by t_i, j < i (zero on and above the diagonal)."""
    mids = np.concatenate([times_s[:1], (times_s[:-1] + times_s[1:]) / 2])
    offsets = times_s[None, :] - mids[:, None]  # [j, i]
    matrix = cdf_on(settings.delay, np.maximum(offsets, -1.0), float(times_s[-1]) + 1.0)
    return np.asarray(np.triu(matrix, k=1), dtype=np.float64)


def apply(survival: np.ndarray, told: LogSurvival, scratch: Scratch | None = None) -> None:
    """Multiply word of mouth's survival into the channels' ``survival`` (M, K, T), in place (times 1 for
    the cohorts nobody can tell)."""
    not_told, scratch = np.exp(told.values), Scratch() if scratch is None else scratch
    by_cohort = survival.transpose(1, 0, 2)  # (K, M, T)
    for chunk in cohort_chunks(len(told.group), math.prod(not_told.shape[1:])):
        rows = told.by_cohort(not_told, scratch, fill=1.0, cohorts=chunk)
        if rows is not None:
            by_cohort[chunk, :, told.start :] *= rows
