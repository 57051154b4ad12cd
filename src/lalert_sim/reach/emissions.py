"""From the engine's emissions to (municipality × channel) emission times, seconds after issue."""

from __future__ import annotations

import numpy as np

from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.network import Channel, NodeKind
from lalert_sim.reach.parameters import REACH_CHANNELS
from lalert_sim.topology.reference import Municipality

_COLUMN = {channel: c for c, channel in enumerate(REACH_CHANNELS)}


def emission_times(result: RunResult, alert: AlertState, municipalities: list[Municipality],
                   carriers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(M, C) first emission per channel and (M, J) cell broadcast per carrier; inf where none.

    An emitter serves the municipality of its area, every municipality of its
    prefecture (a prefecture broadcaster) or all of them (a national portal).
    """
    row = {m.code: i for i, m in enumerate(municipalities)}
    prefecture_rows: dict[str, list[int]] = {}
    for i, m in enumerate(municipalities):
        prefecture_rows.setdefault(m.prefecture_code, []).append(i)
    everyone = list(range(len(municipalities)))
    emission = np.full((len(municipalities), len(REACH_CHANNELS)), np.inf)
    by_carrier = np.full((len(municipalities), len(carriers)), np.inf)
    carrier_column = {c: j for j, c in enumerate(carriers)}
    nodes = list(result.topology.nodes.values())
    issue = alert.spec.issue_s
    for index, time in alert.emitted.items():
        node = nodes[index]
        if node.kind is not NodeKind.EMITTER or node.channel not in _COLUMN:
            continue
        area = node.area
        rows = everyone if area is None else prefecture_rows.get(area, []) if len(area) == 2 else (
            [row[area]] if area in row else [])
        if not rows:
            continue
        delay = time - issue
        column = _COLUMN[node.channel]
        emission[rows, column] = np.minimum(emission[rows, column], delay)
        if node.channel is Channel.CELL_BROADCAST and node.carrier in carrier_column:
            j = carrier_column[node.carrier]
            by_carrier[rows, j] = np.minimum(by_carrier[rows, j], delay)
    return emission, by_carrier
