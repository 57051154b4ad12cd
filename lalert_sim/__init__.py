"""lalert-sim: a discrete-event simulation of Japan's J-Alert and L-Alert relay."""

from lalert_sim.analysis.results import RunSummary
from lalert_sim.engine import RunResult, Simulation
from lalert_sim.errors import BridgeError, LalertError, Problem, ScenarioError, TopologyError
from lalert_sim.model.scenario import Scenario
from lalert_sim.prepare import Injection, Prepared, load, prepare
from lalert_sim.runner import run, summarise

__all__ = [
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
__version__ = "0.1.0"
