"""What a run means: who got each alert when and by which path, what never arrived.

Pure functions over the engine's result; every figure here is derived from the
trace and the per-alert receipts, never recorded twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lalert_sim.analysis.equipment import EquipmentIndex, silence
from lalert_sim.analysis.figures import QUANTILES, quantile_label, rounded, time_to_fraction
from lalert_sim.analysis.receipts import AlertNodes, emissions
from lalert_sim.analysis.results import (
    AlertSummary,
    ChainStep,
    ChannelReach,
    ObjectiveResult,
    ResidentsReach,
    Unreached,
)
from lalert_sim.analysis.topology_index import topology_index
from lalert_sim.engine.chains import own_sounding_s
from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.engine.trace import Cause, Event
from lalert_sim.model.scenario import Objective
from lalert_sim.topology.graph import Topology

TraceArrays = dict[str, np.ndarray]  # result.trace.arrays(): one array per column
SUMMARISED_EVENTS = (Event.LOST, Event.DUPLICATE)  # the trace rows an alert's summary counts


def rows_by_alert(trace: TraceArrays) -> Callable[[int], TraceArrays]:
    """The rows of ``trace`` (columns as ``Trace.arrays`` gives them) of one alert at a time, in trace order:
    sorted by alert once, so a run of many alerts is not scanned whole for each."""
    order = np.argsort(trace["alert"], kind="stable")
    alerts = trace["alert"][order]

    def of(alert_index: int) -> TraceArrays:
        rows = order[np.searchsorted(alerts, alert_index, "left") : np.searchsorted(alerts, alert_index, "right")]
        return {name: column[rows] for name, column in trace.items()}

    return of


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


def path_to(sender: np.ndarray, node_index: int, node_ids: list[str]) -> tuple[str, ...]:
    """The chain of first arrivals from the origin to the node (``sender``: ``AlertNodes.sender``)."""
    chain: list[str] = []
    current = node_index
    while current >= 0:
        chain.append(node_ids[current])
        current = int(sender[current])
    return tuple(reversed(chain))


def outcomes(result: RunResult, alert: AlertState) -> list[NodeOutcome]:
    """Every node the alert concerns (reached or expected), in topology order."""
    topology = result.topology
    node_ids = topology_index(topology).node_ids
    nodes = AlertNodes.of(result, alert)
    received = nodes.received
    receipt_s, emitted_s = nodes.receipt_s.tolist(), nodes.emitted_s.tolist()
    sender, via = nodes.sender.tolist(), nodes.via.tolist()
    issue = alert.spec.issue_s
    return [
        NodeOutcome(
            node=node_ids[index],
            expected=bool(nodes.expected[index]),
            first_receipt_s=receipt_s[index] if received[index] else None,
            emitted_s=None if math.isnan(emitted_s[index]) else emitted_s[index],
            from_node=None if sender[index] < 0 else node_ids[sender[index]],
            via_link=None if via[index] < 0 else topology.links[via[index]].id,
            path=path_to(nodes.sender, index, node_ids) if received[index] else (),
            stopped_s=None if index not in alert.stopped else alert.stopped[index] - issue,
            stale=index in alert.stale,
        )
        for index in np.flatnonzero(nodes.expected | received).tolist()
    ]


def alert_summary(
    result: RunResult,
    alert: AlertState,
    residents: ResidentsReach | None,
    trace: TraceArrays | None = None,
    equipment: EquipmentIndex | None = None,
    nodes: AlertNodes | None = None,
) -> AlertSummary:
    """Reach, timing, paths and failures of one alert (``residents``: its resident reach, if any).

    ``trace`` is ``result.trace.arrays_of(*SUMMARISED_EVENTS)`` (or all of ``arrays()``, or either's rows
    of this alert only, ``rows_by_alert``),
    ``equipment`` ``EquipmentIndex.of(result)`` and ``nodes`` ``AlertNodes.of(result, alert)``, passed in
    when the caller has them already. Computed from arrays over nodes, not an object per node.
    """
    equipment = equipment or EquipmentIndex.of(result)
    topology = result.topology
    nodes = nodes or AlertNodes.of(result, alert)
    received = nodes.received
    emitters = nodes.expected & topology.emitter_mask
    emitted = emitters & ~np.isnan(nodes.emitted_s)
    delays = sorted(nodes.emitted_s[emitted].tolist())
    if trace is None:
        trace = result.trace.arrays_of(*SUMMARISED_EVENTS)
    mine = trace["alert"] == alert.index
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
        silence=silence(result, nodes, equipment),
        chain=chain_step(result, alert),
    )


def chain_step(result: RunResult, alert: AlertState) -> ChainStep | None:
    """What a message of a chain did at the outputs; None for an alert in no chain (or a chain of one)."""
    spec = alert.spec
    if spec.chain is None and alert.event is None:
        return None
    issue = spec.issue_s
    stops = [time - issue for time, _ in alert.stops.values()]
    channels = topology_index(result.topology).channels
    sounding = result.sounding_s
    at_end = 0
    for index, emitted in emissions(alert):
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
    """Per channel with an emitter expected: how many, how many emitted, median and latest delay."""
    grouped = topology_index(topology).by_channel
    channels = len(grouped.channels)
    mine = emitters[grouped.node]  # the expected emitters, grouped by channel
    expected = np.bincount(grouped.code[mine], minlength=channels).tolist()
    delays_s = nodes.emitted_s[grouped.node]
    emitted = mine & ~np.isnan(delays_s)
    delays_s, codes = delays_s[emitted], grouped.code[emitted]
    ordered = delays_s[np.lexsort((delays_s, codes))].tolist()  # by channel, then delay
    reached = np.bincount(codes, minlength=channels).tolist()
    summary = {}
    start = 0
    for k, channel in enumerate(grouped.channels):
        if not expected[k]:
            continue
        delays = ordered[start : start + reached[k]]
        start += reached[k]
        summary[channel] = ChannelReach(
            expected=expected[k],
            reached=reached[k],
            median_s=rounded(sorted_median(delays), 3) if delays else None,
            max_s=rounded(delays[-1], 3) if delays else None,
        )
    return summary


def sorted_median(ordered: list[float]) -> float:
    """The median of sorted, non-empty ``ordered``, as ``np.median`` computes it (the mean of the middle two
    of an even count), without its general machinery: it runs per channel of every alert."""
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _first_arrival_media(topology: Topology, via: np.ndarray) -> dict[str, int]:
    media = topology_index(topology).media
    counts = np.bincount(media.code[via[via >= 0]], minlength=len(media.names))
    return {media.names[k]: int(counts[k]) for k in np.flatnonzero(counts).tolist()}  # names sorted


def _losses(trace: TraceArrays, mine: np.ndarray) -> dict[str, int]:
    lost = trace["cause"][mine & (trace["event"] == Event.LOST)]
    if not lost.size:
        return {}
    return {Cause(c).name.lower(): int(n) for c, n in zip(*np.unique(lost, return_counts=True), strict=True)}


def _unreached(
    result: RunResult, trace: TraceArrays, mine: np.ndarray, missed: np.ndarray, equipment: EquipmentIndex
) -> tuple[Unreached, ...]:
    """The nodes ``missed`` (expected and never received), each with the losses on its way in, if any."""
    if not missed.size:
        return ()
    index = topology_index(result.topology)
    node_ids, link_ids = index.node_ids, result.trace.link_ids
    is_missed = np.zeros(len(node_ids), dtype=bool)
    is_missed[missed] = True
    rows = np.flatnonzero(mine & (trace["event"] == Event.LOST))
    rows = rows[is_missed[trace["node"][rows]]]  # only losses towards a node that never had it are told
    losses: dict[str, Counter[tuple[str, str]]] = {}
    for node, link, code in zip(
        trace["node"][rows].tolist(), trace["link"][rows].tolist(), trace["cause"][rows].tolist(), strict=True
    ):
        cause = Cause(code)
        node_id = node_ids[node]
        held: tuple[str, ...] = ()
        if cause is Cause.NODE_DOWN:
            held = equipment.causes.get(("node", node_id), ())
        elif cause is Cause.LINK_DOWN and link >= 0:
            held = equipment.causes.get(("link", link_ids[link]), ())
        label = cause.name.lower() + (f": {', '.join(held)}" if held else "")
        key = (link_ids[link] if link >= 0 else "", label)
        losses.setdefault(node_id, Counter())[key] += 1
    missing = []
    described = index.described
    for i in missed.tolist():  # in topology order
        node_id, kind, channel, area = described[i]
        seen = losses.get(node_id)
        reason = (
            "; ".join(f"lost on {link or 'arrival'} ({cause}) x{n}" for (link, cause), n in sorted(seen.items()))
            if seen
            else "never sent: no upstream node had it"
        )
        missing.append(Unreached(node=node_id, kind=kind, channel=channel, area=area, reason=reason))
    return tuple(missing)


def objective_results(result: RunResult, objectives: list[Objective]) -> tuple[ObjectiveResult, ...]:
    """Each objective per alert it covers: achieved fraction and whether it was met."""
    if not objectives:
        return ()
    return objectives_in_order(
        [alert_objectives(result, a, AlertNodes.of(result, a), objectives) for a in result.alerts]
    )


def objectives_in_order(per_alert: list[list[ObjectiveResult | None]]) -> tuple[ObjectiveResult, ...]:
    """``alert_objectives`` of each alert of a run, objective by objective, each in alert order."""
    count = len(per_alert[0]) if per_alert else 0
    return tuple(row for k in range(count) for rows in per_alert if (row := rows[k]) is not None)


def alert_objectives(
    result: RunResult, alert: AlertState, nodes: AlertNodes, objectives: list[Objective]
) -> list[ObjectiveResult | None]:
    """Each objective for one alert (``nodes``: its ``AlertNodes``); None where the objective is another alert's.

    The nodes an objective counts depend only on the topology, the objective and the alert's areas and
    category, so they are masks remembered per topology (``topology_index``); per run only the times
    at those nodes are compared.
    """
    index = topology_index(result.topology)
    done_at_s = nodes.done_at_s(result.topology.emitter_mask)
    rows: list[ObjectiveResult | None] = []
    for objective in objectives:
        if objective.alert is not None and objective.alert != alert.spec.id:
            rows.append(None)
            continue
        # not the nodes that take only other categories, nor those they alone feed
        counted = index.selected(objective.select) & index.concerned(alert.areas) & ~index.refused(alert.spec.category)
        chosen = int(np.count_nonzero(counted))
        on_time = int(np.count_nonzero(done_at_s[counted] <= alert.spec.issue_s + objective.within_s))
        achieved = on_time / chosen if chosen else 0.0
        rows.append(
            ObjectiveResult(
                name=objective.name,
                alert=alert.spec.id,
                selection=objective.select.describe(),
                nodes=chosen,
                target_fraction=objective.fraction,
                within_s=objective.within_s,
                achieved_fraction=round(achieved, 4),
                met=bool(chosen) and achieved >= objective.fraction,
            )
        )
    return rows
