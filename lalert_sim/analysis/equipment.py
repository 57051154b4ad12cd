"""What equipment did in a run: municipalities left silent and why, stations off air over time.

A municipality is silent for an alert when it has at least one automatic output
the alert was expected to reach (loudspeakers, indoor receivers or IP terminals,
community FM, registered mail) and none of them emitted it. Its cause is the most
upstream broken component on the paths to those outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lalert_sim.analysis.receipts import AlertNodes
from lalert_sim.analysis.results import Silence, SilentMunicipality, StationsOffAir
from lalert_sim.analysis.topology_index import topology_index
from lalert_sim.engine.simulation import RunResult
from lalert_sim.model.stations import stations_empty
from lalert_sim.topology.failures import failure_class_of

MAX_PEAK_TIMES = 2_000
"""Most moments at which stations off air are counted to find the peak (beyond: an even grid)."""


@dataclass(frozen=True)
class EquipmentIndex:
    """What every alert's silence needs from one run, built once: links into each node, causes by component."""

    into: dict[str, list[int]]  # node id -> indices of the links that reach it (the topology's, shared)
    causes: dict[tuple[str, str], tuple[str, ...]]  # (node|link, id) -> causes it went down for, in order

    @staticmethod
    def of(result: RunResult) -> EquipmentIndex:
        """The index of ``result``."""
        causes: dict[tuple[str, str], list[str]] = {}
        for _, kind, name, down, cause in result.availability.rows:
            if down and cause not in causes.setdefault((kind, name), []):
                causes[(kind, name)].append(cause)
        return EquipmentIndex(
            topology_index(result.topology).into, {key: tuple(value) for key, value in causes.items()}
        )


def _label(kind: str, component_id: str) -> str:
    found = failure_class_of(kind, component_id)
    return found[0].value if found is not None else component_id


def silence(result: RunResult, nodes: AlertNodes, index: EquipmentIndex | None = None) -> Silence | None:
    """The alert's silent municipalities (``nodes``: its fate at every node, ``AlertNodes.of``);
    None when it was expected at no automatic output."""
    index = index or EquipmentIndex.of(result)
    outputs = topology_index(result.topology).outputs
    expected = nodes.expected[outputs.node]  # per automatic output, grouped by municipality
    if not expected.any():
        return None
    counted = len(outputs.codes)
    sounded = expected & ~np.isnan(nodes.emitted_s[outputs.node])
    has_outputs = np.bincount(outputs.code[expected], minlength=counted) > 0
    silent_codes = np.flatnonzero(has_outputs & (np.bincount(outputs.code[sounded], minlength=counted) == 0))
    starts = np.searchsorted(outputs.code, silent_codes, side="left")
    ends = np.searchsorted(outputs.code, silent_codes, side="right")
    node_ids = topology_index(result.topology).node_ids
    received = nodes.received
    silent = []
    for k, start, end in zip(silent_codes.tolist(), starts.tolist(), ends.tolist(), strict=True):
        members = outputs.node[start:end][expected[start:end]]
        silent.append(_silent(result, outputs.codes[k], [node_ids[i] for i in members.tolist()], received, index))
    downstream = [s.downstream for s in silent]
    municipalities = int(np.count_nonzero(has_outputs))
    return Silence(
        municipalities=municipalities,
        share=len(silent) / municipalities,
        downstream_share=sum(downstream) / len(downstream) if downstream else None,
        silent=tuple(silent),
    )


def _silent(
    result: RunResult, code: str, outputs: list[str], received: np.ndarray, index: EquipmentIndex
) -> SilentMunicipality:
    """Walk up from the outputs inside the municipality to the first components that failed
    (``received``: per node, whether the alert came there)."""
    topology = result.topology
    position = topology_index(topology).position
    links = topology.links
    found: list[tuple[float, str, str]] = []  # (steps up from the outputs, kind, id)
    reached_upstream = False
    seen: set[str] = set()

    def visit(node_id: str, depth: float) -> None:
        nonlocal reached_upstream
        if node_id in seen:
            return
        seen.add(node_id)
        if ("node", node_id) in index.causes:
            found.append((depth, "node", node_id))
        for k in index.into.get(node_id, ()):
            link = links[k]
            inside = topology.nodes[link.source].area == code
            if received[position[link.source]]:
                reached_upstream = reached_upstream or inside
                if ("link", link.id) in index.causes:
                    found.append((depth + 0.5, "link", link.id))
            elif inside:
                visit(link.source, depth + 1)

    for output in outputs:
        visit(output, 0)
    top = max((depth for depth, _, _ in found), default=0)
    broken = [(kind, component) for depth, kind, component in found if depth == top]
    if not broken:
        broken_ids: tuple[str, ...] = ()
        cause = "lost_in_transit" if reached_upstream else "upstream"
        reasons: tuple[str, ...] = ()
    else:
        broken_ids = tuple(dict.fromkeys(component for _, component in broken))
        labels = dict.fromkeys(_label(kind, component) for kind, component in broken)
        cause = " + ".join(labels)
        reasons = tuple(dict.fromkeys(c for key in broken for c in index.causes[key]))
    return SilentMunicipality(
        code=code, cause=cause, components=broken_ids, reasons=reasons, downstream=reached_upstream
    )


def stations_off_air(result: RunResult) -> dict[str, StationsOffAir]:
    """Per emitter channel: its stations, most off air at once and when, and the hourly count."""
    until = result.until_s
    hourly = np.arange(0.0, until + 1e-9, 3600.0)
    ends = [s.end_s - 1e-6 for s in result.stations if s.end_s <= until]
    emitters = topology_index(result.topology).by_channel
    ids = emitters.position
    changes = [t for t, kind, name, _, _ in result.availability.rows if kind == "node" and name in ids]
    moments = np.unique(np.concatenate([hourly, ends, changes, [until]]))
    if len(moments) > MAX_PEAK_TIMES:
        moments = np.unique(np.concatenate([hourly, ends, np.linspace(0.0, until, MAX_PEAK_TIMES), [until]]))
    moments = moments[(moments >= 0) & (moments <= until)]
    times = np.concatenate([hourly, moments])
    totals = [np.zeros(len(times), dtype=np.int64) for _ in emitters.channels]
    for i, off in _off_by_node(result, ids, times).items():  # whole stations: any order sums the same
        position = emitters.channel_of.get(i)
        if position is not None:
            totals[position] += off
    summary = {}
    for channel, stations, total in zip(emitters.channels, emitters.stations, totals, strict=True):
        at_moments = total[len(hourly) :]
        peak = int(at_moments.max()) if len(at_moments) else 0
        summary[channel] = StationsOffAir(
            stations=stations,
            down_peak=peak,
            down_peak_s=round(float(moments[int(np.argmax(at_moments))]), 1) if peak > 0 else None,
            hourly=tuple(total[: len(hourly)].tolist()),
        )
    return summary


def _off_by_node(result: RunResult, ids: dict[str, int], times: np.ndarray) -> dict[int, np.ndarray]:
    """Stations off air at ``times`` for each emitter that ever had one off: all while the node is down,
    otherwise those with an empty battery."""
    nodes, node_ids = result.topology.nodes, topology_index(result.topology).node_ids
    empty: dict[int, np.ndarray] = {}
    groups: dict[tuple[int, float, float], list[int]] = {}
    for k, outage in enumerate(result.stations):
        groups.setdefault((id(outage.battery), outage.start_s, outage.end_s), []).append(k)
    for members in groups.values():
        first = result.stations[members[0]]
        during = (times >= first.start_s) & (times < first.end_s)
        share = np.zeros(len(times))
        share[during] = first.battery.cdf_array((times[during] - first.start_s) / 3600.0)
        for k in members:
            outage = result.stations[k]
            counts = np.where(during, stations_empty(outage.stations, outage.offset, share), 0)
            empty[outage.node] = np.minimum(empty.get(outage.node, 0) + counts, outage.stations)
    down_since: dict[int, tuple[set[str], float]] = {}
    down: dict[int, np.ndarray] = {}
    for t, kind, name, went_down, cause in result.availability.rows:
        i = ids.get(name) if kind == "node" else None
        if i is None:
            continue
        causes, since = down_since.get(i, (set(), 0.0))
        if went_down:
            if not causes:
                since = t
            causes.add(cause)
        else:
            causes.discard(cause)
            if not causes:
                mask = down.setdefault(i, np.zeros(len(times), dtype=bool))
                mask |= (times >= since) & (times < t)
        down_since[i] = (causes, since)
    for i, (causes, since) in down_since.items():
        if causes:
            mask = down.setdefault(i, np.zeros(len(times), dtype=bool))
            mask |= times >= since
    off = dict(empty)
    for i, mask in down.items():
        stations = nodes[node_ids[i]].stations
        off[i] = np.where(mask, stations, off.get(i, np.zeros(len(times), dtype=np.int64)))
    return off
