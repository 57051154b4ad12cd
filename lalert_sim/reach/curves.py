"""Expected warned fraction over time: W(t) = 1 - prod_c (1 - p_c F_c(t - e_c)), vectorised.

Residents are not simulated one by one: for every municipality and cohort the
chance of still being unwarned at time t is the product over channels of the
chance that the channel has not warned them, on a time grid, with numpy arrays
over all municipalities at once. Exact for the expectation under independent
channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import TypeAdapter

from lalert_sim.model.distributions import Distribution, _AnyDistribution

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
    """F(offsets) for any array shape, through a fine table (cached) and linear interpolation."""
    table_x, table_f = _cdf_table(delay.model_dump_json(), horizon_s)
    return np.asarray(np.interp(offsets, table_x, table_f, left=0.0, right=table_f[-1]))


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


def unwarned(inputs: ReachInputs) -> np.ndarray:
    """(M, K, T) probability that a resident of a cohort is still unwarned at each time."""
    horizon = float(inputs.times_s[-1]) + 1.0
    m_count = inputs.emission_s.shape[0]
    survival = np.ones((m_count, inputs.reception.shape[0], len(inputs.times_s)), dtype=np.float32)
    scratch = np.empty_like(survival)
    for c, delay in enumerate(inputs.delays):
        if not inputs.reception[:, c].any():
            continue
        reached = _channel_reached(inputs, c, delay, horizon)  # (M, T) emitted and noticed, given reception
        if reached is None:
            continue
        chance = (inputs.local_factor[:, c][:, None] * inputs.reception[:, c][None, :]).astype(np.float32)
        np.multiply(chance[:, :, None], reached[:, None, :], out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        survival *= scratch
    return survival


def _channel_reached(inputs: ReachInputs, c: int, delay: _AnyDistribution, horizon: float) -> np.ndarray | None:
    if c == inputs.cell_broadcast:
        emission = inputs.carrier_emission_s
        if not np.isfinite(emission).any():
            return None
        offsets = inputs.times_s[None, None, :] - emission[:, :, None]  # (M, J, T)
        per_carrier = cdf_on(delay, np.where(np.isfinite(offsets), offsets, -1.0), horizon)
        reached: np.ndarray = np.einsum("j,mjt->mt", inputs.carrier_shares, per_carrier)
        return reached.astype(np.float32)
    emission = inputs.emission_s[:, c]
    if not np.isfinite(emission).any():
        return None
    offsets = inputs.times_s[None, :] - emission[:, None]
    return cdf_on(delay, np.where(np.isfinite(offsets), offsets, -1.0), horizon).astype(np.float32)
