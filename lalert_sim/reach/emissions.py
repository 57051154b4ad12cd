"""From the engine's emissions to (municipality × channel) emission times, seconds after issue."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.model.network import Channel
from lalert_sim.reach.parameters import REACH_CHANNELS
from lalert_sim.topology.graph import Topology
from lalert_sim.topology.reference import Municipality

_COLUMN = {channel: c for c, channel in enumerate(REACH_CHANNELS)}


def emission_times(
    result: RunResult, alert: AlertState, municipalities: list[Municipality], carriers: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(M, C) first emission per channel and (M, J) cell broadcast per carrier; inf where none.

    An emitter serves the municipality of its area, every municipality of its
    prefecture (a prefecture broadcaster) or all of them (a national portal).
    """
    return EmitterMap.of(result.topology, municipalities, carriers).emission_times(result, alert)


@dataclass(frozen=True)
class EmitterMap:
    """Which municipalities (rows) and channel and carrier columns each emitter of a topology serves,
    found once for a list of municipalities; ``emission_times`` then only reads a run's emissions."""

    node: np.ndarray  # (E,) node index of each emitter
    rows: np.ndarray  # (E,) its municipality's row, -1 for wider areas, -2 for none here
    columns: np.ndarray  # (E,) its channel's column
    carrier_columns: np.ndarray  # (E,) its carrier's column for cell broadcast, else -1
    served: dict[int, slice | np.ndarray]  # rows served by each emitter of a wider area
    m_count: int
    j_count: int
    n_nodes: int

    @classmethod
    def of(cls, topology: Topology, municipalities: list[Municipality], carriers: list[str]) -> EmitterMap:
        """The map of ``topology``'s emitters onto ``municipalities`` and the cell-broadcast ``carriers``."""
        table = topology.emitter_table
        row_of = {m.code: i for i, m in enumerate(municipalities)}
        prefecture = np.array([m.prefecture_code for m in municipalities])
        rows = np.array([-1 if a is None or len(a) == 2 else row_of.get(a, -2) for a in table.area], dtype=np.int64)
        carrier_of = {c: j for j, c in enumerate(carriers)}
        carrier_columns = np.array(
            [
                carrier_of.get(c, -1) if ch is Channel.CELL_BROADCAST else -1  # type: ignore[arg-type]
                for c, ch in zip(table.carrier, table.channel, strict=True)
            ],
            dtype=np.int64,
        )
        areas: dict[str | None, slice | np.ndarray] = {}  # rows of each wide area, found once
        for e in np.flatnonzero(rows == -1):  # prefecture-wide and national emitters: few
            area = table.area[e]
            if area not in areas:
                areas[area] = slice(None) if area is None else np.flatnonzero(prefecture == area)
        return cls(
            node=table.node,
            rows=rows,
            columns=np.array([_COLUMN[c] for c in table.channel], dtype=np.int64),
            carrier_columns=carrier_columns,
            served={int(e): areas[table.area[e]] for e in np.flatnonzero(rows == -1)},
            m_count=len(municipalities),
            j_count=len(carriers),
            n_nodes=len(topology.nodes),
        )

    def emission_times(self, result: RunResult, alert: AlertState) -> tuple[np.ndarray, np.ndarray]:
        """``emission_times`` of the run's alert: (M, C) per channel and (M, J) per carrier, inf where none."""
        rows, columns, carrier_columns = self.rows, self.columns, self.carrier_columns
        times = _emitted_at(alert, self.n_nodes)[self.node] - alert.spec.issue_s
        emitted = np.isfinite(times)

        emission = np.full((self.m_count, len(REACH_CHANNELS)), np.inf)
        by_carrier = np.full((self.m_count, self.j_count), np.inf)
        local = emitted & (rows >= 0)
        np.minimum.at(emission, (rows[local], columns[local]), times[local])
        cell = local & (carrier_columns >= 0)
        np.minimum.at(by_carrier, (rows[cell], carrier_columns[cell]), times[cell])
        for e in np.flatnonzero(emitted & (rows == -1)):
            rows_served = self.served[int(e)]
            emission[rows_served, columns[e]] = np.minimum(emission[rows_served, columns[e]], times[e])
            if carrier_columns[e] >= 0:
                by_carrier[rows_served, carrier_columns[e]] = np.minimum(
                    by_carrier[rows_served, carrier_columns[e]], times[e]
                )
        return emission, by_carrier


def _emitted_at(alert: AlertState, n_nodes: int) -> np.ndarray:
    """(nodes,) when each node emitted the alert (seconds of the run), inf where it did not."""
    at = np.full(n_nodes, np.inf)
    times = alert.emitted.times()  # the engine's array over node indices, NEVER (inf) where it did not
    at[: times.size] = times
    return at
