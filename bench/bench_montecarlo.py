"""Monte Carlo throughput and the variance reduction of common random numbers, in one run.

    python bench/bench_montecarlo.py [--replications 60] [--workers 1 2 4 8 16] [--dask]

Prints replications per second of the flagship drill with each number of local
worker processes (or, with ``--dask``, workers of a Dask LocalCluster on loopback),
as ratios to one worker and to the ideal (workers × the one-worker rate), with the
batch size the sweep chose from its pilot's measured cost; and, for the bundled pair of plans
(an L-Alert evacuation order during a carrier outage, without and with roaming),
the variance of the paired difference beside the variance of the difference of
independently seeded runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from lalert_sim.montecarlo import SweepSpec, run_sweep
from lalert_sim.montecarlo.results import column
from lalert_sim.montecarlo.sweep import local_cluster

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "jalert_missile_drill_aomori.yaml"
BASE = ROOT / "scenarios" / "lalert_carrier_outage_evacuation.yaml"
PLAN = ROOT / "scenarios" / "lalert_carrier_outage_evacuation_roaming.yaml"
KPI = "evacuation-order.unwarned_at_deadline"


def rate(scenario: Path, replications: int, workers: int, folder: Path, dask: bool) -> tuple[float, int, float | None]:
    """Replications per second of one sweep (pilot included), its batch size and the pilot's cost."""
    # With Dask the cluster's start-up is not the sweep's work: the sweep is timed on a running cluster.
    with local_cluster(workers) if dask else nullcontext() as cluster:
        address = None if cluster is None else cluster.scheduler_address
        started = time.perf_counter()
        outcome = run_sweep(SweepSpec(scenario, replications, 1, folder, workers=workers, dask=address))
    return replications / (time.perf_counter() - started), outcome.batch_size, outcome.per_replication_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dask", action="store_true", help="workers of a Dask LocalCluster instead of processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rates = {w: rate(FLAGSHIP, args.replications, w, Path(tmp) / f"w{w}", args.dask) for w in args.workers}
        where = "Dask LocalCluster workers" if args.dask else "local worker processes"
        print(f"{FLAGSHIP.name}, {args.replications} replications, {where}:")
        first, (one, _, _) = args.workers[0], rates[args.workers[0]]
        for workers, (value, size, cost) in rates.items():
            measured = f"pilot {cost * 1e3:.1f} ms a replication" if cost is not None else "no pilot"
            print(
                f"  {workers:>2} worker(s): {value:6.1f} replications/s  ({value / one:.2f} x, "
                f"{value / (one * workers / first):.2f} of ideal; batches of {size}, {measured})"
            )

        n = args.replications
        base = column(run_sweep(SweepSpec(BASE, n, 11, Path(tmp) / "base")).rows, KPI)
        plan_same = column(run_sweep(SweepSpec(PLAN, n, 11, Path(tmp) / "plan")).rows, KPI)
        plan_other = column(run_sweep(SweepSpec(PLAN, n, 12, Path(tmp) / "other")).rows, KPI)
    paired_var = np.var(plan_same - base, ddof=1)
    independent_var = np.var(plan_other - base, ddof=1)
    print(f"roaming vs no roaming, {KPI}, {n} replications each:")
    print(
        f"  mean difference {np.mean(plan_same - base):+.4f} (paired) / {np.mean(plan_other - base):+.4f} "
        "(independent seeds)"
    )
    print(
        f"  variance of the difference: paired {paired_var:.3g}, independent {independent_var:.3g}: "
        f"common random numbers cut it {independent_var / paired_var:,.1f} x"
    )


if __name__ == "__main__":
    main()
