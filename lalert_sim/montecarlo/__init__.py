"""Monte Carlo: replications with their own seeds, sweeps on processes or Dask, paired comparisons."""

from lalert_sim.montecarlo.seeds import replication_seeds
from lalert_sim.montecarlo.statistics import describe, mean_ci, paired
from lalert_sim.montecarlo.sweep import SweepOutcome, SweepSpec, run_sweep

__all__ = ["SweepOutcome", "SweepSpec", "describe", "mean_ci", "paired", "replication_seeds", "run_sweep"]
