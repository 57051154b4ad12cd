"""Battery life of many stations behind one node: a distribution, so they run out one by one.

A node that stands for a municipality's loudspeakers or one carrier's base
stations holds a count of stations and how long their batteries last. In a
long blackout the share of them still on air then declines over hours or days
instead of dropping all at once.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from pydantic import Field, model_validator

from lalert_sim.model.base import Frozen, Share

MAX_BATTERY_H = 87_600.0
"""Longest battery life a scenario may state (ten years, in hours)."""
_STANDARD_NORMAL = NormalDist()
_TINY = 2.0**-60


class BatteryLife(Frozen):
    """Hours a station runs on battery: a share of hardened sites at a fixed life, the rest log-normal, clipped."""

    median_h: float = Field(gt=0, le=MAX_BATTERY_H)
    """Median battery life in hours of the ordinary stations."""
    sigma: float = Field(default=0.5, ge=0, le=5)
    """Spread: standard deviation of the log of the life (0: every ordinary station lasts the median)."""
    low_h: float = Field(default=0.0, ge=0, le=MAX_BATTERY_H)
    """Shortest life in hours: shorter draws are raised to it; default 0."""
    high_h: float = Field(default=MAX_BATTERY_H, ge=0, le=MAX_BATTERY_H)
    """Longest life in hours of the ordinary stations: longer draws are cut to it; default ten years."""
    hardened_share: Share = 0.0
    """Share (0–1) of hardened stations with a larger battery or own generator; default none."""
    hardened_h: float = Field(default=24.0, ge=0, le=MAX_BATTERY_H)
    """Battery life in hours of the hardened stations; default 24."""

    @model_validator(mode="after")
    def _range(self) -> BatteryLife:
        if self.low_h > self.high_h:
            raise ValueError(f"low_h ({self.low_h:g}) must not exceed high_h ({self.high_h:g})")
        return self

    def _ordinary_cdf(self, hours: float) -> float:
        if hours < self.low_h:
            return 0.0
        if hours >= self.high_h:
            return 1.0
        if self.sigma == 0 or hours <= 0:
            return 1.0 if hours >= self.median_h else 0.0
        z = (math.log(hours) - math.log(self.median_h)) / self.sigma
        return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))

    def _ordinary_quantile(self, u: float) -> float:
        life = self.median_h * math.exp(self.sigma * _STANDARD_NORMAL.inv_cdf(min(max(u, _TINY), 1 - _TINY)))
        return min(max(life, self.low_h), self.high_h)

    def cdf(self, hours: float) -> float:
        """Share of stations whose battery is empty ``hours`` after mains power was lost."""
        hardened = self.hardened_share if hours >= self.hardened_h else 0.0
        return hardened + (1.0 - self.hardened_share) * self._ordinary_cdf(hours)

    def cdf_array(self, hours: np.ndarray) -> np.ndarray:
        """``cdf`` at each of ``hours``."""
        return np.array([self.cdf(float(h)) for h in np.ravel(hours)], dtype=np.float64).reshape(np.shape(hours))

    def quantile(self, u: float) -> float:
        """Battery life in hours at cumulative share ``u`` (0–1): the inverse of ``cdf``."""
        share = self.hardened_share
        if share >= 1.0:
            return self.hardened_h
        below = (1.0 - share) * self._ordinary_cdf(self.hardened_h - 1e-9)
        if u <= below:
            return self._ordinary_quantile(u / (1.0 - share))
        if u <= below + share:
            return self.hardened_h
        return self._ordinary_quantile((u - share) / (1.0 - share))


def stations_empty(stations: int, offset: float, share_empty: np.ndarray) -> np.ndarray:
    """Stations (of ``stations``) with an empty battery when a share ``share_empty`` of lives is over.

    Station k of n runs out at the quantile (k + offset) / n of the battery-life
    distribution, ``offset`` one uniform draw per node and outage: the n lives are a
    stratified sample, so the count follows the distribution closely with one draw.
    """
    empty: np.ndarray = np.clip(np.floor(stations * share_empty - offset) + 1, 0, stations).astype(np.int64)
    return empty


def last_empty_h(battery: BatteryLife, stations: int, offset: float) -> float:
    """Hours after the mains loss when the last of ``stations`` runs out (see ``stations_empty``)."""
    return battery.quantile((stations - 1 + offset) / stations)
