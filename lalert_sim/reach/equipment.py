"""Per-municipality reach factors from equipment: the share of a channel's stations still on air.

A loudspeaker node or a carrier's base-station node stands for many stations; in
a power outage they run out one by one, and residents near a silent station are
not reached. The factor is the share of stations working among the channel's
nodes that are still up (a node that is wholly down does not emit at all).
"""

from __future__ import annotations

import numpy as np

from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.network import NodeKind
from lalert_sim.prepare import Prepared
from lalert_sim.reach.parameters import REACH_CHANNELS
from lalert_sim.topology.reference import Municipality

_COLUMN = {channel: c for c, channel in enumerate(REACH_CHANNELS)}


def station_factors(
    prepared: Prepared, result: RunResult, alert: AlertState, municipalities: list[Municipality]
) -> np.ndarray:
    """(M, C) share of each channel's stations working in each municipality when the alert is issued
    (emissions follow within seconds to minutes; batteries run for hours); 1 where no station runs down."""
    factors = np.ones((len(municipalities), len(REACH_CHANNELS)))
    if not result.stations:
        return factors
    at = np.array([alert.spec.issue_s])
    empty: dict[int, int] = {}
    for outage in result.stations:
        count = int(outage.empty(at)[0])
        if count:
            empty[outage.node] = min(empty.get(outage.node, 0) + count, outage.stations)
    if not empty:
        return factors
    row_of = {m.code: i for i, m in enumerate(municipalities)}
    nodes = list(prepared.topology.nodes.values())
    cells = set()
    for index in empty:
        node = nodes[index]
        if node.area in row_of and node.channel is not None:
            cells.add((row_of[node.area], _COLUMN[node.channel]))
    if not cells:
        return factors
    working = np.zeros_like(factors)
    total = np.zeros_like(factors)
    for index, node in enumerate(nodes):
        if node.kind is not NodeKind.EMITTER or node.area not in row_of or node.channel is None:
            continue
        cell = (row_of[node.area], _COLUMN[node.channel])
        out = empty.get(index, 0)
        if cell not in cells or out >= node.stations:
            continue
        total[cell] += node.stations
        working[cell] += node.stations - out
    share = np.divide(working, total, out=np.ones_like(factors), where=total > 0)
    return factors * share
