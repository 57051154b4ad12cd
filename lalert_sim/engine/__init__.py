"""The SimPy engine: alerts injected and relayed hop by hop, every event traced."""

from lalert_sim.engine.simulation import RunResult, Simulation
from lalert_sim.engine.trace import Cause, Event, Trace

__all__ = ["Cause", "Event", "RunResult", "Simulation", "Trace"]
