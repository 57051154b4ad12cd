"""Stations behind one node running down their batteries one by one in a power outage.

The engine keeps one run-time node per emitter; its stations are counts: each
power outage records, per node, when mains went and came back and one uniform
draw that places the node's stations on the battery-life distribution. The node
itself goes down only when its last station is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lalert_sim.model.stations import BatteryLife, stations_empty


@dataclass(frozen=True, slots=True)
class StationOutage:
    """One node's stations on battery in one power outage, from ``start_s`` until the grid is back."""

    node: int
    """Index of the node in the topology."""
    stations: int
    """Stations the node stands for."""
    battery: BatteryLife
    """Their battery lives."""
    start_s: float
    """Simulated second mains power was lost."""
    end_s: float
    """Simulated second it came back (inf: not within the run)."""
    offset: float
    """The node's uniform draw placing its stations on the distribution (see ``stations_empty``)."""

    def empty(self, times_s: np.ndarray) -> np.ndarray:
        """Stations with an empty battery at each of ``times_s`` (0 before the outage and after it)."""
        times_s = np.asarray(times_s, dtype=np.float64)
        during = (times_s >= self.start_s) & (times_s < self.end_s)
        out = np.zeros(times_s.shape, dtype=np.int64)
        if during.any():
            share = self.battery.cdf_array((times_s[during] - self.start_s) / 3600.0)
            out[during] = stations_empty(self.stations, self.offset, share)
        return out
