"""What a run means: who got each alert when and by which path, what never arrived.

Pure functions over the engine's result; every figure here is derived from the
trace and the per-alert receipts, never recorded twice.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from lalert_sim.analysis.equipment import EquipmentIndex, silence
from lalert_sim.analysis.figures import QUANTILES, quantile_label, rounded, time_to_fraction
from lalert_sim.analysis.results import (
    AlertSummary,
    ChainStep,
    ChannelReach,
    ObjectiveResult,
    ResidentsReach,
    Unreached,
)
from lalert_sim.engine.chains import own_sounding_s
from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.engine.trace import Cause, Event
from lalert_sim.model.network import NodeKind
from lalert_sim.model.scenario import Objective
from lalert_sim.topology.graph import Topology

TraceArrays = dict[str, np.ndarray]  # result.trace.arrays(): one array per column
SUMMARISED_EVENTS = (Event.LOST, Event.DUPLICATE)  # the trace rows an alert's summary counts


@dataclass(frozen=True)
class NodeOutcome:
    """One node's fate for one alert."""

    node: str
    expected: bool  # reachable from the origin in the alert's area if nothing failed
    first_receipt_s: float | None  # seconds after issue
    emitted_s: float | None  # seconds after issue (emitters only)
    from_node: str | None
    via_link: str | None
    path: tuple[str, ...]
    stopped_s: float | None = None  # seconds after issue a later message of its chain ended it here
    stale: bool = False  # it came after a later message of its chain: not emitted here


def path_to(alert: AlertState, node_index: int, node_ids: list[str]) -> tuple[str, ...]:
    """The chain of first arrivals from the origin to the node."""
    chain: list[str] = []
    current = node_index
    while current >= 0:
        chain.append(node_ids[current])
        current = alert.first[current][1]
    return tuple(reversed(chain))


def outcomes(result: RunResult, alert: AlertState) -> list[NodeOutcome]:
    """Every node the alert concerns (reached or expected), in topology order."""
    topology = result.topology
    node_ids = list(topology.nodes)
    expected = set(topology.reachable(alert.origin, alert.areas, alert.spec.category))
    issue = alert.spec.issue_s
    rows: list[NodeOutcome] = []
    for index, node_id in enumerate(node_ids):
        receipt = alert.first.get(index)
        if receipt is None and node_id not in expected:
            continue
        emitted = alert.emitted.get(index)
        rows.append(
            NodeOutcome(
                node=node_id,
                expected=node_id in expected,
                first_receipt_s=None if receipt is None else receipt[0] - issue,
                emitted_s=None if emitted is None else emitted - issue,
                from_node=None if receipt is None or receipt[1] < 0 else node_ids[receipt[1]],
                via_link=None if receipt is None or receipt[2] < 0 else topology.links[receipt[2]].id,
                path=() if receipt is None else path_to(alert, index, node_ids),
                stopped_s=None if index not in alert.stopped else alert.stopped[index] - issue,
                stale=index in alert.stale,
            )
        )
    return rows


@dataclass(frozen=True)
class AlertNodes:
    """One alert's fate at every node as arrays in topology order (NaN / -1 where none)."""

    expected: np.ndarray  # (N,) bool: reachable from the origin in the alert's area if nothing failed
    receipt_s: np.ndarray  # (N,) first receipt, seconds after issue
    sender: np.ndarray  # (N,) node index it first came from
    via: np.ndarray  # (N,) link index it first came over
    emitted_s: np.ndarray  # (N,) emitted, seconds after issue (emitters only)

    @classmethod
    def of(cls, result: RunResult, alert: AlertState) -> AlertNodes:
        """From the alert's receipts and emissions (one array fill, no object per node)."""
        topology = result.topology
        n = len(topology.nodes)
        issue = alert.spec.issue_s
        receipt = np.full(n, np.nan)
        sender = np.full(n, -1, dtype=np.int64)
        via = np.full(n, -1, dtype=np.int64)
        if alert.first:
            where = np.fromiter(alert.first, dtype=np.int64, count=len(alert.first))
            values = np.array(list(alert.first.values()), dtype=np.float64).reshape(-1, 3)
            receipt[where] = values[:, 0] - issue
            sender[where] = values[:, 1]
            via[where] = values[:, 2]
        emitted = np.full(n, np.nan)
        if alert.emitted:
            where = np.fromiter(alert.emitted, dtype=np.int64, count=len(alert.emitted))
            emitted[where] = np.fromiter(alert.emitted.values(), dtype=np.float64, count=len(alert.emitted)) - issue
        expected = topology.reachable_mask(alert.origin, tuple(alert.areas), alert.spec.category)
        return cls(expected, receipt, sender, via, emitted)

    @property
    def received(self) -> np.ndarray:
        """(N,) bool: the node had the alert."""
        received: np.ndarray = ~np.isnan(self.receipt_s)
        return received


def alert_summary(
    result: RunResult,
    alert: AlertState,
    residents: ResidentsReach | None,
    trace: TraceArrays | None = None,
    equipment: EquipmentIndex | None = None,
) -> AlertSummary:
    """Reach, timing, paths and failures of one alert (``residents``: its resident reach, if any).

    ``trace`` is ``result.trace.arrays_of(*SUMMARISED_EVENTS)`` (or all of ``arrays()``) and
    ``equipment`` ``EquipmentIndex.of(result)``, passed in when summarising many alerts of one run.
    Computed from arrays over nodes, not an object per node.
    """
    equipment = equipment or EquipmentIndex.of(result)
    topology = result.topology
    nodes = AlertNodes.of(result, alert)
    received = nodes.received
    emitters = nodes.expected & topology.emitter_mask
    emitted = emitters & ~np.isnan(nodes.emitted_s)
    delays = nodes.emitted_s[emitted].tolist()
    if trace is None:
        trace = result.trace.arrays_of(*SUMMARISED_EVENTS)
    mine = trace["alert"] == alert.index
    node_ids = result.trace.node_ids
    return AlertSummary(
        id=alert.spec.id,
        system=alert.spec.system.value,
        category=alert.spec.category.value,
        mode=alert.spec.mode.value,
        issue_s=alert.spec.issue_s,
        origin=alert.origin,
        areas=tuple(alert.areas),
        nodes_expected=int(np.count_nonzero(nodes.expected)),
        nodes_reached=int(np.count_nonzero(received)),
        emitters_expected=int(np.count_nonzero(emitters)),
        emitters_reached=len(delays),
        time_to_emitters_s={
            quantile_label(q): rounded(time_to_fraction(delays, int(np.count_nonzero(emitters)), q), 3)
            for q in QUANTILES
        },
        channels=_by_channel(topology, nodes, emitters),
        first_arrival_by_medium=_first_arrival_media(topology, nodes.via),
        duplicates=int(np.count_nonzero(mine & (trace["event"] == Event.DUPLICATE))),
        lost=_losses(trace, mine),
        unreached=_unreached(result, trace, mine, np.flatnonzero(nodes.expected & ~received), equipment),
        residents=residents,
        silence=silence(result, alert, [node_ids[i] for i in np.flatnonzero(nodes.expected)], equipment),
        chain=chain_step(result, alert),
    )


def chain_step(result: RunResult, alert: AlertState) -> ChainStep | None:
    """What a message of a chain did at the outputs; None for an alert in no chain (or a chain of one)."""
    spec = alert.spec
    if spec.chain is None and alert.event is None:
        return None
    issue = spec.issue_s
    stops = [time - issue for time, _ in alert.stops.values()]
    channels = [node.channel for node in result.topology.nodes.values()]
    sounding = result.sounding_s
    at_end = 0
    for index, emitted in alert.emitted.items():
        channel = channels[index]
        until = alert.until.get(index)
        if until is None and channel is not None:
            until = emitted + own_sounding_s(spec, sounding[channel])
        at_end += until is not None and until > result.until_s
    return ChainStep(
        event=spec.chain.event if spec.chain else spec.id,
        serial=spec.chain.serial if spec.chain else 1,
        kind=spec.chain.kind.value if spec.chain else "issue",
        references=tuple(spec.chain.references) if spec.chain else (),
        outputs_stopped=len(stops),
        stop_s={quantile_label(q): rounded(time_to_fraction(stops, len(stops), q), 3) for q in QUANTILES},
        stale=len(alert.stale),
        ended_by_later=len(alert.stopped),
        sounding_at_end=at_end,
    )


def _by_channel(topology: Topology, nodes: AlertNodes, emitters: np.ndarray) -> dict[str, ChannelReach]:
    summary = {}
    for channel, members in sorted(topology.channel_members.items()):
        mine = members[emitters[members]]
        if not mine.size:
            continue
        delays = np.sort(nodes.emitted_s[mine][~np.isnan(nodes.emitted_s[mine])])
        summary[channel] = ChannelReach(
            expected=int(mine.size),
            reached=int(delays.size),
            median_s=rounded(float(np.median(delays)), 3) if delays.size else None,
            max_s=rounded(float(delays[-1]), 3) if delays.size else None,
        )
    return summary


def _first_arrival_media(topology: Topology, via: np.ndarray) -> dict[str, int]:
    media = topology.link_media
    counts = np.bincount(via[via >= 0], minlength=len(media)) if len(media) else np.zeros(0, dtype=np.int64)
    by_medium: Counter[str] = Counter()
    for k in np.flatnonzero(counts):
        by_medium[media[k]] += int(counts[k])
    return dict(sorted(by_medium.items()))


def _losses(trace: TraceArrays, mine: np.ndarray) -> dict[str, int]:
    lost = trace["cause"][mine & (trace["event"] == Event.LOST)]
    return {Cause(c).name.lower(): int(n) for c, n in zip(*np.unique(lost, return_counts=True), strict=True)}


def _unreached(
    result: RunResult, trace: TraceArrays, mine: np.ndarray, missed: np.ndarray, equipment: EquipmentIndex
) -> tuple[Unreached, ...]:
    node_ids, link_ids = result.trace.node_ids, result.trace.link_ids
    losses: dict[str, Counter[tuple[str, str]]] = {}
    for i in np.flatnonzero(mine & (trace["event"] == Event.LOST)):
        link = int(trace["link"][i])
        cause = Cause(int(trace["cause"][i]))
        node_id = node_ids[int(trace["node"][i])]
        held: tuple[str, ...] = ()
        if cause is Cause.NODE_DOWN:
            held = equipment.causes.get(("node", node_id), ())
        elif cause is Cause.LINK_DOWN and link >= 0:
            held = equipment.causes.get(("link", link_ids[link]), ())
        label = cause.name.lower() + (f": {', '.join(held)}" if held else "")
        key = (link_ids[link] if link >= 0 else "", label)
        losses.setdefault(node_id, Counter())[key] += 1
    missing = []
    for i in missed.tolist():  # expected and never received, in topology order
        node = result.topology.nodes[node_ids[i]]
        seen = losses.get(node.id)
        reason = (
            "; ".join(f"lost on {link or 'arrival'} ({cause}) x{n}" for (link, cause), n in sorted(seen.items()))
            if seen
            else "never sent: no upstream node had it"
        )
        missing.append(
            Unreached(
                node=node.id,
                kind=node.kind.value,
                channel=node.channel.value if node.channel else None,
                area=node.area,
                reason=reason,
            )
        )
    return tuple(missing)


def objective_results(result: RunResult, objectives: list[Objective]) -> tuple[ObjectiveResult, ...]:
    """Each objective per alert it covers: achieved fraction and whether it was met."""
    topology = result.topology
    node_ids = list(topology.nodes)
    results = []
    refused = {alert.spec.category: topology.refused(alert.spec.category) for alert in result.alerts}
    nodes = list(topology.nodes.values())
    for objective in objectives:
        selected = [i for i, node in enumerate(nodes) if objective.select.matches(node)]  # the same for every alert
        for alert in result.alerts:
            if objective.alert is not None and objective.alert != alert.spec.id:
                continue
            never = refused[alert.spec.category]  # nodes that take only other categories, and what they feed
            chosen = [i for i in selected if alert.concerns(i, nodes[i].area) and node_ids[i] not in never]
            issue = alert.spec.issue_s
            on_time = sum(1 for i in chosen if _arrival(alert, topology, node_ids[i], i) <= issue + objective.within_s)
            achieved = on_time / len(chosen) if chosen else 0.0
            results.append(
                ObjectiveResult(
                    name=objective.name,
                    alert=alert.spec.id,
                    selection=objective.select.describe(),
                    nodes=len(chosen),
                    target_fraction=objective.fraction,
                    within_s=objective.within_s,
                    achieved_fraction=round(achieved, 4),
                    met=bool(chosen) and achieved >= objective.fraction,
                )
            )
    return tuple(results)


def _arrival(alert: AlertState, topology: Topology, node_id: str, index: int) -> float:
    """When the node did its job: emitted (emitters) or first received (others)."""
    if topology.nodes[node_id].kind is NodeKind.EMITTER:
        return alert.emitted.get(index, math.inf)
    receipt = alert.first.get(index)
    return math.inf if receipt is None else receipt[0]
