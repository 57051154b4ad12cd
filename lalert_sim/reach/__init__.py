"""The resident reach model: from emission times to the share of residents warned over time."""

from lalert_sim.reach.model import Reach, compute_reach

__all__ = ["Reach", "compute_reach"]
