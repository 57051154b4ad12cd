"""The public API is what lalert_sim exports, and a notebook can use it end to end."""

from __future__ import annotations

import lalert_sim
from tests.conftest import SCENARIOS


def test_exports_are_exactly_the_documented_names() -> None:
    assert sorted(lalert_sim.__all__) == sorted(
        [
            "BridgeError",
            "Injection",
            "LalertError",
            "Prepared",
            "Problem",
            "RunResult",
            "Scenario",
            "ScenarioError",
            "Simulation",
            "TopologyError",
            "load",
            "prepare",
            "run",
            "summarise",
        ]
    )
    for name in lalert_sim.__all__:
        assert getattr(lalert_sim, name) is not None


def test_error_hierarchy_lets_callers_catch_by_concern() -> None:
    assert issubclass(lalert_sim.ScenarioError, ValueError)
    assert issubclass(lalert_sim.TopologyError, lalert_sim.ScenarioError)
    assert issubclass(lalert_sim.BridgeError, lalert_sim.LalertError)


def test_notebook_verbs_load_run_summarise() -> None:
    prepared = lalert_sim.load(SCENARIOS / "lalert_evacuation_order_kesennuma.yaml")
    result = lalert_sim.run(prepared, seed=3)
    summary = lalert_sim.summarise(prepared, result)
    assert [a["id"] for a in summary["alerts"]] == ["evacuation-order", "shelter-opening"]
    assert summary["scenario"]["seed"] == 3
