"""The verbs for notebooks and the CLI: run a prepared scenario, summarise the result."""

from __future__ import annotations

import simpy

from lalert_sim.analysis.metrics import alert_summary, objective_results
from lalert_sim.analysis.reach_metrics import reach_summary
from lalert_sim.analysis.responses_report import responses_summary
from lalert_sim.engine.incidents import apply_incidents
from lalert_sim.engine.responses import Responder
from lalert_sim.engine.simulation import RunResult, Simulation
from lalert_sim.prepare import Prepared
from lalert_sim.reach.model import Reach, compute_reach


def build(
    prepared: Prepared, seed: int | None = None, env: simpy.Environment | None = None
) -> tuple[Simulation, Responder]:
    """A replication ready to run: incidents applied, responses started, alerts scheduled."""
    scenario = prepared.scenario
    simulation = Simulation(prepared.topology, scenario.seed if seed is None else seed, env)
    apply_incidents(simulation, prepared.incidents)
    responder = Responder(simulation, prepared.responses, prepared.municipalities)
    responder.start()
    for injection in prepared.injections:
        simulation.inject(injection)
    return simulation, responder


def run(prepared: Prepared, seed: int | None = None) -> RunResult:
    """One replication of the scenario (its own seed unless ``seed`` is given)."""
    simulation, responder = build(prepared, seed)
    result = simulation.run(prepared.scenario.duration_s)
    result.responses = responder.records
    return result


def reaches(prepared: Prepared, result: RunResult) -> list[Reach | None]:
    """Each alert's resident reach (None for an alert that concerns no municipality's residents)."""
    return [compute_reach(prepared, result, alert) for alert in result.alerts]


def summarise(prepared: Prepared, result: RunResult, alert_reaches: list[Reach | None] | None = None) -> dict:
    """Everything a debrief needs from one run, as JSON-ready data (deterministic)."""
    scenario = prepared.scenario
    topology = prepared.topology
    if alert_reaches is None:
        alert_reaches = reaches(prepared, result)
    deadline_s = scenario.residents.deadline_s
    alerts = []
    trace = result.trace.arrays()
    for alert, reach in zip(result.alerts, alert_reaches, strict=True):
        summary = alert_summary(result, alert, trace)
        summary["residents"] = None if reach is None else reach_summary(reach, deadline_s)
        alerts.append(summary)
    return {
        "scenario": {
            "name": scenario.metadata.name,
            "description": scenario.metadata.description,
            "source": prepared.source,
            "epoch": scenario.metadata.epoch.isoformat(),
            "seed": result.seed,
            "duration_s": scenario.duration_s,
        },
        "topology": {
            "nodes": len(topology.nodes),
            "links": len(topology.links),
            "emitters": sum(1 for n in topology.nodes.values() if n.kind.value == "emitter"),
        },
        "engine": {"events": result.events, "trace_rows": len(result.trace)},
        "alerts": alerts,
        "objectives": objective_results(result, list(scenario.objectives)),
        "responses": responses_summary(result),
    }
