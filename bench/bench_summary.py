"""Summarising a replication against stepping its engine, and the 1-worker sweep rate.

For the flagship (``scenarios/jalert_missile_drill_aomori.yaml``) and the
nationwide scenario (``scenarios/jalert_eew_nationwide.yaml``) it times, per
replication, the engine (build and step: ``runner.run``) and the summary (each
alert's resident reach, ``run_summary`` and the sweep's KPI row), and prints
summarise ÷ step (target for the flagship: 0.5 or less), then the summarise time
split into its parts (reach, the trace's first read, which moves its rows into
the typed array, the rest of ``run_summary``, KPI row; CPU) and the ratio without
the reach. It prints the time to
build the nationwide topology (templates expanded) and the
replications per second of a 1-worker flagship sweep (``replicate``, what one
worker process executes). Minimum of the repeats, wall and CPU time
(``time.process_time``) both.

    python bench/bench_summary.py [--repeats 5] [--replications 40]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lalert_sim.analysis.kpis import replication_kpis
from lalert_sim.analysis.metrics import SUMMARISED_EVENTS
from lalert_sim.analysis.summary import run_summary
from lalert_sim.montecarlo.replicate import replicate
from lalert_sim.prepare import Prepared, load
from lalert_sim.runner import reaches, run
from lalert_sim.topology.graph import build_topology

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FLAGSHIP = SCENARIOS / "jalert_missile_drill_aomori.yaml"
NATIONWIDE = SCENARIOS / "jalert_eew_nationwide.yaml"
TARGET = 0.5


def timed(prepared: Prepared, seed: int) -> tuple[float, ...]:
    """(step wall, step CPU, summarise wall, summarise CPU, reach CPU, trace's first read CPU, rest of
    run_summary CPU, KPI row CPU) seconds of one replication."""
    w0, c0 = time.perf_counter(), time.process_time()
    result = run(prepared, seed)
    w1, c1 = time.perf_counter(), time.process_time()
    alert_reaches = reaches(prepared, result, curves=False)  # as summarise() computes them
    c_reach = time.process_time()
    result.trace.arrays_of(*SUMMARISED_EVENTS)  # what run_summary reads first
    c_trace = time.process_time()
    summary = run_summary(prepared, result, alert_reaches)
    c_summary = time.process_time()
    replication_kpis(summary)
    w2, c2 = time.perf_counter(), time.process_time()
    return (
        w1 - w0,
        c1 - c0,
        w2 - w1,
        c2 - c1,
        c_reach - c1,
        c_trace - c_reach,
        c_summary - c_trace,
        c2 - c_summary,
    )


def ratio(path: Path, repeats: int) -> None:
    """Print the minimum step and summarise times of ``repeats`` replications and their ratio, then the
    summarise time's parts."""
    started = time.perf_counter()
    prepared = load(path)
    loaded = time.perf_counter() - started
    timed(prepared, 0)  # warm: caches of the prepared scenario, imports
    times = [timed(prepared, seed) for seed in range(1, repeats + 1)]
    step_w, step_c, sum_w, sum_c, reach_c, trace_c, summary_c, kpis_c = (min(t[i] for t in times) for i in range(8))
    print(
        f"{path.name}: loaded in {loaded:.2f} s; step {step_w * 1e3:.1f} ms wall / {step_c * 1e3:.1f} ms CPU, "
        f"summarise {sum_w * 1e3:.1f} ms wall / {sum_c * 1e3:.1f} ms CPU; "
        f"summarise / step {sum_w / step_w:.2f} wall, {sum_c / step_c:.2f} CPU"
    )
    print(
        f"  summarise's parts (CPU): reach {reach_c * 1e3:.2f} ms, trace's first read {trace_c * 1e3:.2f} ms, "
        f"rest of run_summary {summary_c * 1e3:.2f} ms, KPI row {kpis_c * 1e3:.3f} ms; without the reach, "
        f"summarise / step {(trace_c + summary_c + kpis_c) / step_c:.2f} CPU"
    )


def topology_load(repeats: int) -> None:
    """Print the time to build the nationwide topology from its scenario (templates expanded, best of ``repeats``)."""
    prepared = load(NATIONWIDE)
    best_w, best_c = float("inf"), float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        topology = build_topology(prepared.scenario.topology)
        best_w = min(best_w, time.perf_counter() - w0)
        best_c = min(best_c, time.process_time() - c0)
    print(
        f"nationwide topology ({len(topology.nodes):,} nodes, {len(topology.links):,} links) built in "
        f"{best_w:.3f} s wall / {best_c:.3f} s CPU (best of {repeats})"
    )


def sweep_rate(replications: int, repeats: int) -> None:
    """Print the replications per second of a 1-worker flagship sweep (best of ``repeats``)."""
    prepared = load(FLAGSHIP)
    replicate(prepared, [(0, 0)])
    best_w, best_c = float("inf"), float("inf")
    for r in range(repeats):
        batch = [(i, 1000 * r + i) for i in range(replications)]
        w0, c0 = time.perf_counter(), time.process_time()
        replicate(prepared, batch)
        best_w = min(best_w, time.perf_counter() - w0)
        best_c = min(best_c, time.process_time() - c0)
    print(
        f"1-worker flagship sweep: {replications / best_w:.1f} replications/s wall, "
        f"{replications / best_c:.1f} per CPU second ({replications} replications, best of {repeats})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--replications", type=int, default=40)
    args = parser.parse_args()
    topology_load(args.repeats)
    ratio(FLAGSHIP, args.repeats)
    ratio(NATIONWIDE, max(args.repeats // 2, 1))
    sweep_rate(args.replications, max(args.repeats // 2, 1))
    print(f"target: flagship summarise / step <= {TARGET}")


if __name__ == "__main__":
    main()
