"""One alert's receipts and emissions as arrays over nodes.

The one place the analysis reads the engine's per-alert records of who had an alert
(``AlertState.first``: node index -> (time, sender, link); ``AlertState.emitted``:
node index -> time; both arrays over node indices, engine/receipts.py); everything
else works on the arrays made here.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from lalert_sim.engine.receipts import NEVER
from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState


@dataclass(frozen=True)
class AlertNodes:
    """One alert's fate at every node as arrays in topology order (NaN / -1 where none).

    Times are kept both as simulated seconds (``*_at_s``: what deadlines are compared with, as the engine
    recorded them) and as seconds after the alert's issue (what summaries report).
    """

    expected: np.ndarray  # (N,) bool: reachable from the origin in the alert's area if nothing failed
    received_at_s: np.ndarray  # (N,) first receipt, simulated seconds
    sender: np.ndarray  # (N,) node index it first came from
    via: np.ndarray  # (N,) link index it first came over
    emitted_at_s: np.ndarray  # (N,) emitted, simulated seconds (emitters only)
    receipt_s: np.ndarray  # (N,) first receipt, seconds after issue
    emitted_s: np.ndarray  # (N,) emitted, seconds after issue (emitters only)

    @classmethod
    def of(cls, result: RunResult, alert: AlertState) -> AlertNodes:
        """From the alert's receipts and emissions (a few array fills, no object per node)."""
        topology = result.topology
        n = len(topology.nodes)
        issue = alert.spec.issue_s
        # the engine's arrays over node indices (engine/receipts.py), NEVER (inf) where none: NaN here
        first = alert.first
        received = _nan_where_never(first.times(), n)
        sender = _indices(first.sender, n)
        via = _indices(first.link, n)
        emitted = _nan_where_never(alert.emitted.times(), n)
        expected = topology.reachable_mask(alert.origin, tuple(alert.areas), alert.spec.category)
        return cls(expected, received, sender, via, emitted, received - issue, emitted - issue)

    @property
    def received(self) -> np.ndarray:
        """(N,) bool: the node had the alert."""
        received: np.ndarray = ~np.isnan(self.received_at_s)
        return received

    def done_at_s(self, emitter: np.ndarray) -> np.ndarray:
        """(N,) when each node did its job, in simulated seconds (NaN: never): emitted where ``emitter``
        (a mask over nodes) says it is an emitter, else first received."""
        done: np.ndarray = np.where(emitter, self.emitted_at_s, self.received_at_s)
        return done


def _nan_where_never(times: np.ndarray, n: int) -> np.ndarray:
    """(n,) a copy of an engine time array, NaN where it holds NEVER (a node the alert never reached)."""
    out = np.full(n, np.nan)
    out[: times.size] = times
    out[out == NEVER] = np.nan
    return out


def _indices(values: array[int], n: int) -> np.ndarray:
    """(n,) an engine index array (-1: none) as int64."""
    out = np.full(n, -1, dtype=np.int64)
    out[: len(values)] = np.frombuffer(values, dtype=np.intc)
    return out


def emissions(alert: AlertState) -> list[tuple[int, float]]:
    """(node index, simulated time) of each emission of the alert, in node order."""
    return list(alert.emitted.items())


def receipt_at(alert: AlertState, node: int) -> tuple[float, int, int] | None:
    """The alert's first receipt at node index ``node``: (time, sender index, link index); None if it never came."""
    return alert.first.get(node)
