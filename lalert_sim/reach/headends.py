"""TV that depends on a headend: community reception facilities and cable TV.

Some residents see terrestrial TV only through a community reception facility
(valleys, islands) or a cable operator's headend (topology/broadcasters.py). A
headend node says the share of its municipality's residents who depend on it
(``headend_share``); while it is down when the alert is first on TV there, they
see nothing.
"""

from __future__ import annotations

import numpy as np

from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.network import Channel
from lalert_sim.prepare import Prepared
from lalert_sim.reach.emissions import emission_times
from lalert_sim.reach.parameters import REACH_CHANNELS
from lalert_sim.topology.reference import Municipality

_TV = REACH_CHANNELS.index(Channel.TV)


def _changes(result: RunResult, node_ids: set[str]) -> dict[str, list[tuple[float, bool, str]]]:
    """Each listed node's ups and downs during the run, in order: (time, went down, cause)."""
    changes: dict[str, list[tuple[float, bool, str]]] = {}
    for when, kind, name, went_down, cause in result.availability.rows:
        if kind == "node" and name in node_ids:
            changes.setdefault(name, []).append((when, went_down, cause))
    return changes


def _down_at(changes: list[tuple[float, bool, str]], time_s: float) -> bool:
    """True when some cause holds the node down at ``time_s``."""
    causes: set[str] = set()
    for when, went_down, cause in changes:
        if when > time_s:
            break
        if went_down:
            causes.add(cause)
        else:
            causes.discard(cause)
    return bool(causes)


def headend_factors(
    prepared: Prepared,
    result: RunResult,
    alert: AlertState,
    municipalities: list[Municipality],
    *,
    emission: np.ndarray | None = None,
) -> np.ndarray:
    """(M, C) factors, columns in ``REACH_CHANNELS`` order: TV is 1 − the share of residents depending
    on headends that are down when the alert is first on TV in the municipality; 1 everywhere else.
    ``emission``: the run's (M, C) ``emission_times``, when the caller has them."""
    factors = np.ones((len(municipalities), len(REACH_CHANNELS)))
    if not result.availability.rows:  # nothing went down
        return factors
    row_of = {m.code: i for i, m in enumerate(municipalities)}
    headends = {
        node_id: (row_of[area], share)
        for node_id, (area, share) in prepared.topology.headends.items()
        if area in row_of
    }
    changes = _changes(result, set(headends))
    if not changes:  # no headend went down: nothing to take away
        return factors
    if emission is None:
        emission = emission_times(result, alert, municipalities, prepared.topology.cell_broadcast_carriers)[0]
    tv = emission[:, _TV]
    for node_id, history in changes.items():
        row, share = headends[node_id]
        on_air = float(tv[row])
        if np.isfinite(on_air) and _down_at(history, alert.spec.issue_s + on_air):
            factors[row, _TV] -= share
    np.clip(factors, 0.0, 1.0, out=factors)
    return factors
