"""The verbs for notebooks and the CLI: run a prepared scenario, summarise the result."""

from __future__ import annotations

import simpy

from lalert_sim.analysis.results import RunSummary
from lalert_sim.analysis.summary import run_summary
from lalert_sim.engine.actions import run_with_actions
from lalert_sim.engine.failures import apply_latent_failures
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
    simulation = Simulation(
        prepared.topology, scenario.seed if seed is None else seed, env, scenario.outputs.sounding()
    )
    apply_latent_failures(simulation, prepared.failures)
    apply_incidents(simulation, prepared.incidents)
    responder = Responder(simulation, prepared.responses)
    responder.start()
    for injection in prepared.injections:
        simulation.inject(injection)
    for stream in prepared.streams:
        simulation.inject_stream(stream)
    return simulation, responder


def run(prepared: Prepared, seed: int | None = None) -> RunResult:
    """One replication of the scenario (its own seed unless ``seed`` is given), its ``actions:`` applied."""
    simulation, responder = build(prepared, seed)
    scenario = prepared.scenario
    if scenario.actions:
        result = run_with_actions(simulation, prepared, scenario.actions, scenario.duration_s)
    else:
        result = simulation.run(scenario.duration_s)
    result.responses = responder.records
    return result


def reaches(prepared: Prepared, result: RunResult, curves: bool = True) -> list[Reach | None]:
    """Each alert's resident reach (None for an alert that concerns no municipality's residents);
    without ``curves``, only what a summary reads (``compute_reach``).

    Messages of ``streams:`` have none: a flood of thousands is about the network's load, and each
    reach holds curves over its whole horizon. Alerts that operator actions added have one.
    """
    prepared = result.steered or prepared
    alerts = {injection.alert.id for injection in prepared.injections}
    return [
        compute_reach(prepared, result, alert, curves) if alert.spec.id in alerts else None for alert in result.alerts
    ]


def summarise(prepared: Prepared, result: RunResult, alert_reaches: list[Reach | None] | None = None) -> RunSummary:
    """Everything a debrief needs from one run, as a typed record (deterministic).

    ``alert_reaches``: each alert's resident reach, when the caller has them already.
    """
    prepared = result.steered or prepared
    return run_summary(
        prepared, result, reaches(prepared, result, curves=False) if alert_reaches is None else alert_reaches
    )
