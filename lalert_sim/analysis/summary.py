"""One run reduced to its typed summary: the single place every view's figures come from."""

from __future__ import annotations

from collections.abc import Iterable

from lalert_sim.analysis.corrections import corrected_pairs, correction_times
from lalert_sim.analysis.equipment import EquipmentIndex, stations_off_air
from lalert_sim.analysis.metrics import (
    SUMMARISED_EVENTS,
    alert_objectives,
    alert_summary,
    objectives_in_order,
    rows_by_alert,
)
from lalert_sim.analysis.reach_metrics import reach_summary
from lalert_sim.analysis.receipts import AlertNodes
from lalert_sim.analysis.responses_report import responses_summary
from lalert_sim.analysis.results import (
    AlertSummary,
    EngineCounts,
    ObjectiveResult,
    RunSummary,
    ScenarioInfo,
    TopologyCounts,
)
from lalert_sim.analysis.topology_index import topology_index
from lalert_sim.engine.simulation import RunResult
from lalert_sim.engine.state import AlertState
from lalert_sim.prepare import Prepared
from lalert_sim.reach.model import Reach


def run_summary(prepared: Prepared, result: RunResult, reaches: Iterable[Reach | None]) -> RunSummary:
    """The summary of a run, given each alert's resident reach (None where it concerns no residents;
    an iterator, so that each can be computed, summarised and dropped in turn)."""
    scenario = prepared.scenario
    topology = prepared.topology
    deadline_s = scenario.residents.deadline_s
    trace = rows_by_alert(result.trace.arrays_of(*SUMMARISED_EVENTS))  # the rows a summary counts, by alert
    equipment = EquipmentIndex.of(result)
    wanted = {state.index for pair in corrected_pairs(result) for state in pair}
    kept: dict[int, Reach] = {}  # the reaches correction times need, the others dropped in turn
    objectives = list(scenario.objectives)
    per_alert: list[list[ObjectiveResult | None]] = []  # each alert's objectives, while its arrays are at hand

    def summarised(alert: AlertState, reach: Reach | None) -> AlertSummary:
        if reach is not None and alert.index in wanted:
            kept[alert.index] = reach
        nodes = AlertNodes.of(result, alert)
        per_alert.append(alert_objectives(result, alert, nodes, objectives))
        residents = None if reach is None else reach_summary(reach, deadline_s)
        return alert_summary(result, alert, residents, trace(alert.index), equipment, nodes)

    alerts = tuple(summarised(alert, reach) for alert, reach in zip(result.alerts, reaches, strict=True))
    return RunSummary(
        scenario=ScenarioInfo(
            name=scenario.metadata.name,
            description=scenario.metadata.description,
            source=prepared.source,
            epoch=scenario.metadata.epoch.isoformat(),
            seed=result.seed,
            duration_s=scenario.duration_s,
            language=scenario.metadata.language.value,
        ),
        topology=TopologyCounts(
            nodes=len(topology.nodes),
            links=len(topology.links),
            emitters=topology_index(topology).emitters,
        ),
        engine=EngineCounts(events=result.events, trace_rows=len(result.trace)),
        alerts=alerts,
        objectives=objectives_in_order(per_alert),
        responses=responses_summary(result),
        stations=stations_off_air(result),
        corrections=correction_times(result, kept),
    )
