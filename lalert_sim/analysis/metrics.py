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


def alert_summary(
    result: RunResult,
    alert: AlertState,
    residents: ResidentsReach | None,
    trace: TraceArrays | None = None,
    equipment: EquipmentIndex | None = None,
) -> AlertSummary:
    """Reach, timing, paths and failures of one alert (``residents``: its resident reach, if any).

    ``trace`` is ``result.trace.arrays()`` and ``equipment`` ``EquipmentIndex.of(result)``, passed in
    when summarising many alerts of one run.
    """
    equipment = equipment or EquipmentIndex.of(result)
    topology = result.topology
    rows = outcomes(result, alert)
    emitters = [r for r in rows if r.expected and topology.nodes[r.node].kind is NodeKind.EMITTER]
    delays = [r.emitted_s for r in emitters if r.emitted_s is not None]
    if trace is None:
        trace = result.trace.arrays()
    mine = trace["alert"] == alert.index
    return AlertSummary(
        id=alert.spec.id,
        system=alert.spec.system.value,
        category=alert.spec.category.value,
        mode=alert.spec.mode.value,
        issue_s=alert.spec.issue_s,
        origin=alert.origin,
        areas=tuple(alert.areas),
        nodes_expected=sum(r.expected for r in rows),
        nodes_reached=sum(r.first_receipt_s is not None for r in rows),
        emitters_expected=len(emitters),
        emitters_reached=len(delays),
        time_to_emitters_s={
            quantile_label(q): rounded(time_to_fraction(delays, len(emitters), q), 3) for q in QUANTILES
        },
        channels=_by_channel(topology, emitters),
        first_arrival_by_medium=_first_arrival_media(topology, rows),
        duplicates=int(np.count_nonzero(mine & (trace["event"] == Event.DUPLICATE))),
        lost=_losses(trace, mine),
        unreached=_unreached(result, trace, mine, rows, equipment),
        residents=residents,
        silence=silence(result, alert, [r.node for r in rows if r.expected], equipment),
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


def _by_channel(topology: Topology, emitters: list[NodeOutcome]) -> dict[str, ChannelReach]:
    groups: dict[str, list[NodeOutcome]] = {}
    for row in emitters:
        groups.setdefault(str(topology.nodes[row.node].channel), []).append(row)
    summary = {}
    for channel, rows in sorted(groups.items()):
        delays = sorted(r.emitted_s for r in rows if r.emitted_s is not None)
        summary[channel] = ChannelReach(
            expected=len(rows),
            reached=len(delays),
            median_s=rounded(float(np.median(delays)), 3) if delays else None,
            max_s=rounded(delays[-1], 3) if delays else None,
        )
    return summary


def _first_arrival_media(topology: Topology, rows: list[NodeOutcome]) -> dict[str, int]:
    medium_of = {link.id: link.medium.value for link in topology.links}
    counts = Counter(medium_of[r.via_link] for r in rows if r.via_link is not None)
    return dict(sorted(counts.items()))


def _losses(trace: TraceArrays, mine: np.ndarray) -> dict[str, int]:
    lost = trace["cause"][mine & (trace["event"] == Event.LOST)]
    return {Cause(c).name.lower(): int(n) for c, n in zip(*np.unique(lost, return_counts=True), strict=True)}


def _unreached(
    result: RunResult, trace: TraceArrays, mine: np.ndarray, rows: list[NodeOutcome], equipment: EquipmentIndex
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
    for row in rows:
        if not row.expected or row.first_receipt_s is not None:
            continue
        node = result.topology.nodes[row.node]
        seen = losses.get(row.node)
        reason = (
            "; ".join(f"lost on {link or 'arrival'} ({cause}) x{n}" for (link, cause), n in sorted(seen.items()))
            if seen
            else "never sent: no upstream node had it"
        )
        missing.append(
            Unreached(
                node=row.node,
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
    for objective in objectives:
        for alert in result.alerts:
            if objective.alert is not None and objective.alert != alert.spec.id:
                continue
            never = refused[alert.spec.category]  # nodes that take only other categories, and what they feed
            chosen = [
                i
                for i, node_id in enumerate(node_ids)
                if objective.select.matches(topology.nodes[node_id])
                and alert.concerns(i, topology.nodes[node_id].area)
                and node_id not in never
            ]
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
