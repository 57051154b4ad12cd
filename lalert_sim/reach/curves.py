"""Expected warned fraction over time: W(t) = 1 - prod_c (1 - p_c F_c(t - e_c)), vectorised.

Residents are not simulated one by one: for every municipality and cohort the
chance of still being unwarned at time t is the product over channels of the
chance that the channel has not warned them, on a time grid, with numpy arrays
over all municipalities at once. Exact for the expectation under independent
channels.

Attribution (``attribute``): on each grid step the drop of the survival S = prod_c S_c
is split among the channels in proportion to their hazard increments
-Δ log S_c, so the shares first warned through each channel sum to the warned
share at every time; the share a channel would have warned on its own is
1 - S_c. Both are summed over municipalities with the people weights as they
are computed: no (municipality × cohort × time × channel) array is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import TypeAdapter

from lalert_sim.model.distributions import Distribution, _AnyDistribution
from lalert_sim.reach.scratch import Scratch

_FINE_UNTIL_S = 120.0  # reaction delays change fastest in the first minutes


@lru_cache(maxsize=256)
def _cdf_table(delay_json: str, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
    delay = TypeAdapter(Distribution).validate_json(delay_json)
    fine = np.linspace(0.0, min(_FINE_UNTIL_S, horizon_s), 2401)  # every 0.05 s
    coarse = np.geomspace(_FINE_UNTIL_S, max(horizon_s, _FINE_UNTIL_S * 1.01), 1024)
    table_x = np.unique(np.concatenate([fine, coarse]))
    return table_x, np.array([delay.cdf(x) for x in table_x])


def default_grid(horizon_s: float) -> np.ndarray:
    """Seconds after issue: every 2 s to 2 min, every 10 s to 10 min, then every minute."""
    parts = [
        np.arange(0, min(120, horizon_s), 2.0),
        np.arange(120, min(600, horizon_s), 10.0),
        np.arange(600, horizon_s, 60.0),
        np.array([horizon_s]),
    ]
    return np.unique(np.concatenate(parts))


def cdf_on(delay: _AnyDistribution, offsets: np.ndarray, horizon_s: float) -> np.ndarray:
    """F(offsets) for any array shape (finite offsets), through a fine table (cached) and linear interpolation.

    As ``np.interp(offsets, table_x, table_f, left=0, right=table_f[-1])``, with the table
    interval of each offset found through equal-width buckets (``_CdfTable``) instead of a
    binary search: a few array passes, about twice as fast on the reach grids.
    """
    table = _lookup(delay.model_dump_json(), horizon_s)
    x = np.asarray(offsets, dtype=np.float64)
    bucket = x * table.per_bucket
    np.clip(bucket, 0.0, table.first.size - 1, out=bucket)
    j = table.first[bucket.astype(np.intp)]
    for _ in range(table.refine):  # the bucket's first interval may end before x
        j += x >= table.ends[j]
    values: np.ndarray = np.subtract(x, table.x[j])
    values *= table.slope[j]
    values += table.f[j]
    np.copyto(values, 0.0, where=x < table.x[0])
    np.copyto(values, table.f[-1], where=x >= table.x[-1])
    return values


@dataclass(frozen=True)
class _CdfTable:
    """A CDF table with equal-width buckets over its range: an x in bucket b lies in the table's
    interval ``first[b]`` (between points i and i + 1) or at most ``refine`` intervals further."""

    x: np.ndarray  # (n,) table points
    f: np.ndarray  # (n,) F there
    slope: np.ndarray  # (n - 1,) per interval
    ends: np.ndarray  # (n - 1,) where each interval ends; inf for the last (x beyond is set apart)
    first: np.ndarray  # (B,) lowest interval of an x in each bucket
    per_bucket: float  # buckets per second
    refine: int


_BUCKETS = 1 << 16


@lru_cache(maxsize=256)
def _lookup(delay_json: str, horizon_s: float) -> _CdfTable:
    table_x, table_f = _cdf_table(delay_json, horizon_s)
    width = float(table_x[-1]) / _BUCKETS
    edges = np.arange(_BUCKETS + 1) * width
    guard = width * 1e-6  # x * per_bucket may round into a neighbouring bucket: widen each bucket a little

    def interval(at: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(table_x, at, side="right") - 1, 0, table_x.size - 2)

    lowest, highest = interval(edges[:-1] - guard), interval(edges[1:] + guard)
    return _CdfTable(
        x=table_x,
        f=table_f,
        slope=np.diff(table_f) / np.diff(table_x),
        ends=np.append(table_x[1:-1], np.inf),
        first=lowest,
        per_bucket=1.0 / width,
        refine=int(np.max(highest - lowest)),
    )


@dataclass(frozen=True)
class ReachInputs:
    """Everything the formula needs, for M municipalities, K cohorts, C channels, J carriers."""

    times_s: np.ndarray  # (T,) seconds after issue
    emission_s: np.ndarray  # (M, C) first emission per channel, inf if none
    carrier_emission_s: np.ndarray  # (M, J) cell broadcast per carrier, inf if none
    carrier_shares: np.ndarray  # (J,)
    cell_broadcast: int  # column of cell broadcast among the C channels
    reception: np.ndarray  # (K, C) per cohort
    local_factor: np.ndarray  # (M, C) per municipality (receiver ownership, rain)
    delays: tuple[_AnyDistribution, ...]  # (C,) reaction delay per channel
    reception_groups: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None  # cohort_groups per column, if known


def unwarned(inputs: ReachInputs) -> np.ndarray:
    """(M, K, T) probability that a resident of a cohort is still unwarned at each time."""
    return unwarned_by_channel(inputs)[0]


@dataclass(frozen=True)
class LogSurvival:
    """One channel's log chance of not having warned a resident, for groups of cohorts that share it.

    ``values[u, m, i]`` is log S_c at time step ``start + i`` for the cohorts ``k`` with
    ``group[k] == u`` (-1: the channel cannot reach cohort k, S_c = 1). Before ``start`` it is 0;
    from the window's last step on it stays as there. With ``rows``, municipalities that share
    their emission and local factor share a row: municipality m's values are ``values[u, rows[m]]``
    (a prefecture's broadcaster: one row for all its towns), and so are ``steps`` and ``reached``.
    """

    values: np.ndarray  # (U, M, W) float32, <= 0, non-increasing along the window; (U, D, W) with ``rows``
    group: np.ndarray  # (K,) int
    start: int
    chance: np.ndarray | None = None  # (U, M): for a channel, 1 - S_c = chance[u, m] * reached[m, i]
    reached: np.ndarray | None = None  # (M, W), or (D, W) with ``rows``; both None: 1 - S_c from ``values``
    steps: np.ndarray | None = None  # as ``values``: ``increments()``, when computed with the values
    rows: np.ndarray | None = None  # (M,) each municipality's row of ``values``; None: row m

    @classmethod
    def none(cls, m_count: int, k_count: int) -> LogSurvival:
        """A channel that warns nobody."""
        return cls(np.zeros((0, m_count, 0), dtype=np.float32), np.full(k_count, -1), 0)

    @property
    def stop(self) -> int:
        """One past the window's last time step."""
        return self.start + int(self.values.shape[2])

    @property
    def m_count(self) -> int:
        """Municipalities (M)."""
        return int(self.values.shape[1] if self.rows is None else self.rows.size)

    def municipal(self, values: np.ndarray) -> np.ndarray:
        """``values`` (or ``steps``, ``reached``) with one row per municipality: (…, M, W)."""
        return values if self.rows is None else values[..., self.rows, :]

    def add_into(self, total: np.ndarray, scratch: Scratch) -> None:
        """Add each cohort's log survival into ``total`` (K, M, T), in place (0 for the cohorts it cannot reach)."""
        for chunk in cohort_chunks(len(self.group), self.m_count * int(self.values.shape[2])):
            rows = self.by_cohort(self.values, scratch, cohorts=chunk)
            if rows is None:
                continue
            total[chunk, :, self.start : self.stop] += rows
            if self.stop < total.shape[2]:
                total[chunk, :, self.stop :] += rows[:, :, -1:]

    def by_cohort(
        self,
        values: np.ndarray,
        scratch: Scratch,
        name: str = "by_cohort",
        fill: float = 0.0,
        cohorts: slice = slice(None),
    ) -> np.ndarray | None:
        """(K', M, W) ``values`` (U, M, W), or (U, D, W) with ``rows``, of the group of each cohort in
        ``cohorts``, ``fill`` for those it cannot reach, in ``scratch`` (for a single cohort without ``rows``,
        a view of ``values``); None when it reaches none of them."""
        group = self.group[cohorts]
        if self.values.shape[2] == 0 or not (group >= 0).any():
            return None
        if self.rows is None and len(group) == 1:
            return values[group[0] : group[0] + 1]
        gathered = scratch.array(name, (len(group), self.m_count, values.shape[2]))
        if self.rows is None:
            np.take(values, np.maximum(group, 0), axis=0, out=gathered, mode="clip")
        else:  # row (k, m) of the result is row (group[k], rows[m]) of the values: one gather
            which = np.maximum(group, 0)[:, None] * values.shape[1] + self.rows[None, :]
            flat = values.reshape(-1, values.shape[2])
            np.take(flat, which.ravel(), axis=0, out=gathered.reshape(-1, values.shape[2]), mode="clip")
        gathered[group < 0] = fill
        return gathered

    def increments(self) -> np.ndarray:
        """(U, M, W) hazard increments -Δ log S_c over the window, the first from S_c = 1."""
        if self.steps is not None:
            return self.steps
        h = np.empty(self.values.shape, dtype=self.values.dtype)  # C order: gathered by cohort
        _steps(self.values, h)
        return h


def _steps(values: np.ndarray, out: np.ndarray) -> None:
    """-Δ of log survivals along the last (time) axis into ``out``, the first step from 0."""
    np.negative(values[..., :1], out=out[..., :1])
    np.subtract(values[..., :-1], values[..., 1:], out=out[..., 1:])


def cohort_groups(rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct positive values of a (K,) array and each cohort's index among them (-1 where not positive)."""
    values, group = np.unique(rates, return_inverse=True)
    keep = values > 0
    group = np.where(values[group] > 0, (np.cumsum(keep) - 1)[group], -1)
    return values[keep], group


def unwarned_by_channel(inputs: ReachInputs) -> tuple[np.ndarray, list[LogSurvival]]:
    """``unwarned(inputs)`` and, per channel (``REACH_CHANNELS`` order), its log survival."""
    log_total, logs = log_unwarned(inputs)
    return np.exp(log_total), logs


def log_unwarned(inputs: ReachInputs, scratch: Scratch | None = None) -> tuple[np.ndarray, list[LogSurvival]]:
    """(M, K, T) log chance of being still unwarned, log S = Σ_c log S_c, and each channel's log S_c.

    Each channel's log(1 - local_m reception_k reached_mt) is computed once per distinct
    reception value (``_log_survival``) and added into the (M, T) slices of the cohorts that
    share it, channel after channel. The result is a view of a (K, M, T) array, so that those
    slices are contiguous: the attribution and word of mouth read it by cohort (as does
    ``np.exp`` of it, which keeps the layout). With ``scratch`` the result lies in it.
    """
    scratch = Scratch() if scratch is None else scratch
    horizon = float(inputs.times_s[-1]) + 1.0
    m_count, k_count, t_count = inputs.emission_s.shape[0], inputs.reception.shape[0], len(inputs.times_s)
    logs = [LogSurvival.none(m_count, k_count) for _ in inputs.delays]
    for c, delay in enumerate(inputs.delays):
        if not inputs.reception[:, c].any():
            continue
        found = _channel_reached(inputs, c, delay, horizon)  # emitted and noticed, given reception
        if found is None:
            continue
        groups = (
            cohort_groups(inputs.reception[:, c]) if inputs.reception_groups is None else inputs.reception_groups[c]
        )
        logs[c] = _log_survival(inputs.local_factor[:, c], groups, *found)
    total = scratch.zeros("log_unwarned", (k_count, m_count, t_count))
    for log in logs:
        log.add_into(total, scratch)
    return total.transpose(1, 0, 2), logs


def _log_survival(
    local: np.ndarray, groups: tuple[np.ndarray, np.ndarray], reached: np.ndarray, rows: np.ndarray
) -> LogSurvival:
    """log(1 - local_m reception_k reached_mt), once per distinct reception value (``groups``: the
    reception's ``cohort_groups``) and per distinct row of (``reached``, local factor), where it changes.
    ``reached`` (D, T) holds the distinct rows, ``rows`` (M,) each municipality's."""
    values, group = groups
    chance = (local[None, :] * values[:, None]).astype(np.float32)  # (U, M)
    shared, reached, row_local = _distinct(rows, reached, local)
    changes = np.flatnonzero((reached[:, 1:] != reached[:, :-1]).any(axis=0)) + 1
    first = np.flatnonzero(reached.any(axis=0))
    if first.size == 0 or not chance.any():
        return LogSurvival.none(len(local), len(group))
    start = int(first[0])
    stop = max(int(changes[-1]) + 1 if changes.size else start + 1, start + 1)
    window = reached[:, start:stop]
    per_row = (row_local[None, :] * values[:, None]).astype(np.float32)  # (U, D): chance of each row
    logs = np.multiply(per_row[:, :, None], window[None, :, :])  # (U, D, W)
    np.subtract(1.0, logs, out=logs)
    if float(per_row.max()) * float(window.max()) > 0.999:  # 1 - chance x reached may round to 0
        np.maximum(logs, np.float32(1e-30), out=logs)  # survival 0 somewhere: its log kept finite
    np.log(logs, out=logs)
    steps = np.empty_like(logs)
    _steps(logs, steps)
    return LogSurvival(logs, group, start, chance, window, steps, shared)


def _distinct(
    rows: np.ndarray, reached: np.ndarray, local: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Each municipality's row among the distinct (reached row, local factor) pairs, those rows of ``reached``
    and their local factors; None and one row per municipality when no two share one. ``rows`` index
    ``reached``, each of whose rows some municipality has (``np.unique``'s inverse)."""
    if len(reached) == rows.size:  # no two alike: one row each, in municipality order
        return None, reached[rows], local
    if (local == local[0]).all():  # one factor everywhere (most channels): the rows as they are
        return rows, reached, np.full(len(reached), local[0])
    factors, factor_of = np.unique(local, return_inverse=True)
    pairs, row_of = np.unique(rows * factors.size + factor_of, return_inverse=True)
    if pairs.size == rows.size:
        return None, reached[rows], local
    return row_of.reshape(-1), reached[pairs // factors.size], factors[pairs % factors.size]


@dataclass(frozen=True)
class Attribution:
    """Residents per cohort and time: first warned through each channel, and reached by each channel.

    Counts of residents (people weights), channels in the order of the log survivals given.
    """

    first_via: np.ndarray  # (K, N, T): first warned through channel n by t
    reached_by: np.ndarray  # (K, N, T): channel n alone would have warned by t (at ``reached_steps`` if given)
    people: np.ndarray  # (K,) residents per cohort
    still: np.ndarray  # (K, T) residents still unwarned


def attribute(survival: np.ndarray, people: np.ndarray, logs: list[LogSurvival]) -> Attribution:
    """Split each step's drop of ``survival`` (M, K, T) among channels by their hazard increments.

    ``people`` (M, K) are the residents per cohort; ``logs`` the channels' log survivals, whose
    sum is log ``survival``. Two passes over the channels: the total hazard, then the shares.
    """
    return attribute_residents(survival * people[:, :, None], people, logs)


def attribute_residents(
    unwarned: np.ndarray,
    people: np.ndarray,
    logs: list[LogSurvival],
    scratch: Scratch | None = None,
    steps: int | None = None,
    reached_steps: slice | None = None,
) -> Attribution:
    """``attribute`` given the residents still unwarned, ``unwarned`` = people × survival (M, K, T).

    On a step the residents warned are the drop of ``unwarned``; they are split among the
    channels as drop × increment_c / hazard, summed over municipalities (``_split_drops``, for
    a chunk of cohorts at a time, so that memory stays bounded).
    The hazard is the sum of the channels' increments, not the step of log S: with a horizon
    of hours log S reaches tens, where float32 keeps too few digits of a small step.
    ``steps``: only the first ``steps`` time steps of ``first_via`` (the shares at an early time, such as a
    deadline, without the steps after it); ``reached_steps``: the steps of ``reached_by`` (default: those of
    ``first_via``). Each step's value is the same to the bit as with all of them; ``still`` always covers
    every step. With ``scratch`` the arrays of the result lie in it.
    """
    scratch = Scratch() if scratch is None else scratch
    m_count, k_count, t_count = unwarned.shape
    shown = t_count if steps is None else max(1, min(steps, t_count))
    # The step's drop summed in float64 scales the split below; on the steps before the first drop
    # anywhere every share is 0 times that scale, so the split starts at the first drop.
    still = unwarned.sum(axis=0, dtype=np.float64)  # (K, T)
    drops = np.diff(still[:, :shown], axis=1, prepend=people.sum(axis=0, dtype=np.float64)[:, None])
    dropping = np.flatnonzero(drops.any(axis=0))
    active = int(dropping[0]) if dropping.size else shown
    increments = [log.increments() for log in logs]
    first = scratch.zeros("first", (k_count, len(logs), shown), np.float64)
    by_cohort = unwarned.transpose(1, 0, 2)[:, :, :shown]  # (K, M, T')
    for chunk in cohort_chunks(k_count if active < shown else 0, m_count * (shown - active)):
        _split_drops(by_cohort[chunk], people[:, chunk], logs, increments, chunk, active, first[chunk], scratch)
    # Summed in float32 above: scale each step's split to the step's drop summed in float64, so the
    # first-via shares add up to the warned share to float64 precision (the split itself is good to ~1e-5).
    split = first.sum(axis=1)
    np.multiply(first, np.divide(-drops, split, out=np.zeros_like(split), where=split > 0)[:, None, :], out=first)
    asked = slice(0, shown) if reached_steps is None else reached_steps
    reached = scratch.zeros("reached", (k_count, len(logs), asked.stop - asked.start), np.float64)
    reached_alone(people, logs, asked, reached)
    cumulative = np.cumsum(first, axis=2, out=scratch.array("first_via", first.shape, np.float64))
    return Attribution(cumulative, reached, people.sum(axis=0, dtype=np.float64), still)


def reached_alone(people: np.ndarray, logs: list[LogSurvival], steps: slice, out: np.ndarray) -> np.ndarray:
    """Residents each channel alone would have warned (K, N, len(steps)), at the time steps ``steps`` (a slice
    of step 1), into ``out`` (zeros): ``people`` (M, K) times 1 - S_c, summed over municipalities. A step's
    value does not depend on which others are asked for."""
    low, high = steps.start, steps.stop
    for n, log in enumerate(logs):
        if log.values.shape[2] == 0:
            continue
        within = slice(max(log.start, low), min(log.stop, high))  # the window's steps asked for
        if within.start < within.stop:
            out[:, n, within.start - low : within.stop - low] = _alone(people, log, within)
        if high > log.stop:  # after the window: as on its last step (just computed, if it was asked for)
            last_step = log.stop - 1
            if within.start <= last_step < within.stop:
                last = out[:, n, last_step - low : last_step - low + 1]
            else:
                last = _alone(people, log, slice(last_step, log.stop))
            out[:, n, max(log.stop, low) - low :] = last
    return out


def _by_municipality(log: LogSurvival, reached: np.ndarray) -> np.ndarray:
    """``log``'s ``reached`` (D, W) with one row per municipality (M, W).

    Without ``rows`` the window is a strided view of the channel's (M, T) curve. np.einsum sums a
    contiguous single column over municipalities in another order than a strided one, so rows gathered
    for shared rows are laid out strided too (one spare column): both give the same sums to the bit.
    """
    if log.rows is None:
        return reached
    gathered = np.empty((log.rows.size, reached.shape[1] + 1), dtype=reached.dtype)[:, :-1]
    gathered[...] = reached[log.rows]
    return gathered


def _alone(people: np.ndarray, log: LogSurvival, steps: slice) -> np.ndarray:
    """(K, len(steps)) residents ``log``'s channel alone would have warned at ``steps``, inside its window."""
    members = np.flatnonzero(log.group >= 0)
    window = slice(steps.start - log.start, steps.stop - log.start)
    counts = np.zeros((len(log.group), steps.stop - steps.start))
    if log.chance is not None and log.reached is not None:  # a channel: sum chance x reached directly
        weights = people[:, members] * log.chance[log.group[members]].T  # (M, K')
        counts[members] = np.einsum("mk,mt->kt", weights, _by_municipality(log, log.reached)[:, window])  # float32
        return counts
    alone = np.exp(log.values[:, :, window])  # (U, M, W'), then 1 - that: warned by this channel alone
    np.subtract(1.0, alone, out=alone)
    for u, warned_alone in enumerate(alone):
        in_group = members[log.group[members] == u]
        counts[in_group] = np.einsum("mk,mt->kt", people[:, in_group], warned_alone)  # float32
    return counts


_CHUNK_ELEMENTS = 1 << 20
"""Cohorts × municipalities × steps worked on at once: about 4 MiB per float32 array (all cohorts of a
small scenario; a few at a time nationwide, so that memory stays bounded)."""


_ONE_BY_ONE = 1 << 16
"""Elements of a cohort's slice from which cohorts are worked on one at a time: the numpy calls cost little
beside the arithmetic there, and a single cohort's values are read in place instead of gathered."""


def cohort_chunks(k_count: int, per_cohort: int) -> Iterator[slice]:
    """Slices of the ``k_count`` cohorts, each of at most ``_CHUNK_ELEMENTS`` for ``per_cohort`` elements a
    cohort, or of one cohort from ``_ONE_BY_ONE`` elements a cohort on."""
    size = 1 if per_cohort >= _ONE_BY_ONE else max(1, _CHUNK_ELEMENTS // max(per_cohort, 1))
    for low in range(0, k_count, size):
        yield slice(low, min(low + size, k_count))


def _split_drops(
    still: np.ndarray,
    people: np.ndarray,
    logs: list[LogSurvival],
    increments: list[np.ndarray],
    cohorts: slice,
    active: int,
    first: np.ndarray,
    scratch: Scratch,
) -> None:
    """Residents first warned through each channel on each step from ``active`` on, for ``cohorts``, into ``first``.

    ``still`` (K', M, T) residents unwarned and ``people`` (M, K') of those cohorts; ``first`` (K', N, T). The
    channels' windows are cut at ``still``'s T.
    The same float32 operations, in the same order per element, as cohort by cohort: the hazard is
    0 plus each channel's increment in channel order (0 for the cohorts a channel cannot reach: no
    change), and the sum over municipalities of ``np.einsum`` runs over m in order for every
    (cohort, step) alike.
    """
    t_count = still.shape[2]
    shape = (still.shape[0], still.shape[1], t_count - active)  # steps from ``active`` on
    hazard = scratch.zeros("hazard", shape)
    present = []
    for n, log in enumerate(logs):
        low, high = max(log.start, active), min(log.stop, t_count)
        window = slice(low - log.start, high - log.start)
        part = LogSurvival(log.values[:, :, window], log.group[cohorts], low, rows=log.rows)
        if low < high and (part.group >= 0).any():  # in the window, and reaching a cohort of the chunk
            steps = increments[n][:, :, window]
            present.append((n, part, steps, slice(low - active, high - active)))
    for _, part, steps, window in present:
        rows = part.by_cohort(steps, scratch)
        assert rows is not None  # present: it reaches some cohort
        hazard[:, :, window] += rows
    per_hazard = scratch.array("per_hazard", shape)
    np.subtract(people.T if active == 0 else still[:, :, active - 1], still[:, :, active], out=per_hazard[:, :, 0])
    np.subtract(still[:, :, active:-1], still[:, :, active + 1 :], out=per_hazard[:, :, 1:])
    # No hazard on a step: no factor of the survival changed, so it did not drop either.
    np.maximum(hazard, np.float32(1e-30), out=hazard)
    per_hazard /= hazard  # residents warned per unit of hazard
    for n, part, steps, window in present:
        members, rows = np.flatnonzero(part.group >= 0), part.by_cohort(steps, scratch)
        assert rows is not None
        split = np.einsum("kmt,kmt->kt", per_hazard[:, :, window], rows)
        first[members, n, window.start + active : window.stop + active] = split[members]


def _channel_reached(
    inputs: ReachInputs, c: int, delay: _AnyDistribution, horizon: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Chance that channel c has reached a resident by each time, given reception: distinct rows (D, T) and
    each municipality's row (M,); None if it emits nowhere."""
    if c == inputs.cell_broadcast:
        emission = inputs.carrier_emission_s
        if not np.isfinite(emission).any():
            return None
        # Every carrier's phones react alike: the CDF looked up once for all carriers' emission times.
        m_count, j_count = emission.shape
        noticed, row_of = _noticed(delay, inputs.times_s, emission.T.ravel(), horizon)
        combos, rows = np.unique(row_of.reshape(j_count, m_count).T, axis=0, return_inverse=True)  # (D, J), (M,)
        reached = np.zeros((len(combos), len(inputs.times_s)))
        for j, share in enumerate(inputs.carrier_shares):  # each carrier's share of the phones
            reached += share * noticed[combos[:, j]]
        return reached.astype(np.float32), rows.reshape(-1)
    emission = inputs.emission_s[:, c]
    if not np.isfinite(emission).any():
        return None
    noticed, rows = _noticed(delay, inputs.times_s, emission, horizon)
    return noticed.astype(np.float32), rows


def _noticed(
    delay: _AnyDistribution, times_s: np.ndarray, emission_s: np.ndarray, horizon: float
) -> tuple[np.ndarray, np.ndarray]:
    """F(t - e) for each distinct emission time of ``emission_s`` (E,): the reaction delay's CDF since then
    (D, T) (0 for none, inf), and each emission's row (E,).

    Before the first emission every offset is negative, where F is 0: only the steps from there on are looked
    up, and once per distinct emission time (a prefecture's broadcaster emits at one time for all its towns).
    """
    distinct, row_of = np.unique(emission_s, return_inverse=True)  # inf, for none, sorts last
    noticed = np.zeros((distinct.size, times_s.size))
    emitted = np.isfinite(distinct)
    if emitted.any():
        after = times_s[int(np.searchsorted(times_s, distinct[0])) :]
        noticed[emitted, times_s.size - after.size :] = cdf_on(delay, after[None, :] - distinct[emitted, None], horizon)
    return noticed, row_of.reshape(-1)
