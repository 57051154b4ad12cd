"""The verbs for notebooks and the CLI: run a prepared scenario, summarise the result."""

from __future__ import annotations

from lalert_sim.analysis.metrics import alert_summary, objective_results
from lalert_sim.engine.simulation import RunResult, Simulation
from lalert_sim.prepare import Prepared


def run(prepared: Prepared, seed: int | None = None) -> RunResult:
    """One replication of the scenario (its own seed unless ``seed`` is given)."""
    scenario = prepared.scenario
    simulation = Simulation(prepared.topology, scenario.seed if seed is None else seed)
    for injection in prepared.injections:
        simulation.inject(injection)
    return simulation.run(scenario.duration_s)


def summarise(prepared: Prepared, result: RunResult) -> dict:
    """Everything a debrief needs from one run, as JSON-ready data (deterministic)."""
    scenario = prepared.scenario
    topology = prepared.topology
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
        "alerts": [alert_summary(result, alert) for alert in result.alerts],
        "objectives": objective_results(result, list(scenario.objectives)),
    }
