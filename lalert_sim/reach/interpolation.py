"""Values of curves on a time grid at any time, linear between grid points (``np.interp``'s arithmetic)."""

from __future__ import annotations

import numpy as np


def values_at(times_s: np.ndarray, curves: np.ndarray, t: float) -> np.ndarray:
    """Each curve's value at ``t`` seconds (curves along the last axis, on the grid ``times_s``), exactly as
    ``value_at`` gives it for each: ``np.interp``'s own arithmetic for one point, done for all curves at once
    (a summary reads a hundred or more curves at its deadline)."""
    if not t > times_s[0]:  # before the grid, or on its first point (np.interp: the first value)
        return np.array(curves[..., 0], dtype=np.float64)
    if not t < times_s[-1]:  # on or after its last point
        return np.array(curves[..., -1], dtype=np.float64)
    j = int(np.searchsorted(times_s, t, side="right")) - 1  # times_s[j] <= t < times_s[j + 1]
    low, high = curves[..., j], curves[..., j + 1]
    if times_s[j] == t:
        return np.array(low, dtype=np.float64)
    slope = (high - low) / (times_s[j + 1] - times_s[j])
    values: np.ndarray = slope * (t - times_s[j]) + low
    if np.isnan(values).any():  # as np.interp: from the other end, else the flat value
        other = slope * (t - times_s[j + 1]) + high
        values = np.where(np.isnan(values), np.where(np.isnan(other) & (low == high), low, other), values)
    return values
