"""The SimPy engine: alerts injected and relayed hop by hop, every event traced."""

from lalert_sim.engine.simulation import RunResult, Simulation
from lalert_sim.engine.trace import Cause, Event, Trace
from lalert_sim.prepare import Injection  # re-exported for lalert_sim/__init__.py until it imports from prepare

__all__ = ["Cause", "Event", "Injection", "RunResult", "Simulation", "Trace"]
