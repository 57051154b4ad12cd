"""The public API is what lalert_sim exports, and a notebook can use it end to end."""

from __future__ import annotations

import inspect

import lalert_sim
from lalert_sim.analysis.results import AlertSummary, ResidentsReach, RunSummary
from tests.conftest import SCENARIOS

PUBLIC = [
    "BridgeError",
    "Injection",
    "LalertError",
    "Prepared",
    "Problem",
    "RunResult",
    "RunSummary",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "TopologyError",
    "load",
    "prepare",
    "run",
    "summarise",
]


def test_exports_are_exactly_the_documented_names() -> None:
    assert sorted(lalert_sim.__all__) == PUBLIC
    assert len(set(lalert_sim.__all__)) == len(lalert_sim.__all__)


def test_everything_public_is_exported_and_nothing_else() -> None:
    defined = {
        name for name, value in vars(lalert_sim).items() if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert defined == set(PUBLIC)


def test_error_hierarchy_lets_callers_catch_by_concern() -> None:
    assert issubclass(lalert_sim.ScenarioError, ValueError)
    assert issubclass(lalert_sim.TopologyError, lalert_sim.ScenarioError)
    assert issubclass(lalert_sim.BridgeError, lalert_sim.LalertError)


def test_notebook_verbs_load_run_summarise_give_typed_records() -> None:
    prepared = lalert_sim.load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    assert isinstance(prepared, lalert_sim.Prepared)
    result = lalert_sim.run(prepared, seed=3)
    assert isinstance(result, lalert_sim.RunResult) and result.seed == 3
    summary = lalert_sim.summarise(prepared, result)
    assert isinstance(summary, RunSummary) and lalert_sim.RunSummary is RunSummary
    assert summary.scenario.seed == 3 and summary.scenario.name == prepared.scenario.metadata.name
    assert summary.topology.nodes == len(prepared.topology.nodes)
    assert summary.engine.trace_rows == len(result.trace) > 0
    assert [a.id for a in summary.alerts] == ["evacuation-order", "shelter-opening"]
    first = summary.alerts[0]
    assert isinstance(first, AlertSummary)
    assert 0 < first.emitters_reached <= first.emitters_expected
    assert list(first.time_to_emitters_s) == ["50%", "90%", "95%", "99%"]
    assert isinstance(first.residents, ResidentsReach)
    assert first.residents.residents > 0 and 0 <= first.residents.unwarned_at_deadline <= 1
    assert summary.objectives and all(0 <= o.achieved_fraction <= 1 for o in summary.objectives)


def test_same_seed_same_summary() -> None:
    prepared = lalert_sim.load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    once = lalert_sim.summarise(prepared, lalert_sim.run(prepared, seed=5))
    again = lalert_sim.summarise(prepared, lalert_sim.run(prepared, seed=5))
    assert once == again and once.to_json() == again.to_json()
