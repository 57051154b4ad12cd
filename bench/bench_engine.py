"""Engine throughput beside raw SimPy, in one run on one core.

Builds a nationwide topology (the prefecture template for all 47 prefectures:
1,741 municipalities), injects nationwide J-Alerts and L-Alerts, and counts the
events the engine records per second while it steps (the trace's sent /
received / duplicate / lost / emitted rows; SimPy's own event count is printed
too). Then runs raw SimPy processes that do nothing but ``yield env.timeout(...)``.
SimPy's own cost per event grows with the length of its event queue (a heap), so
the raw rate is measured both with 1,000 processes and with as many processes as
the engine had pending events on average; the ratio that judges our per-hop work
(draws, dedupe, queues, trace) uses the matched queue length.

    python bench/bench_engine.py [--alerts 10] [--repeats 7]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np
import simpy

from lalert_sim import Prepared, Scenario, Simulation, prepare

TARGET_RATIO = 0.3


def nationwide_scenario(alerts: int) -> Scenario:
    """All 47 prefectures; alternating J-Alert (nationwide) and L-Alert (one city each)."""
    templates = [{"template": "prefecture", "prefecture": f"{p:02d}"} for p in range(1, 48)]
    cities = ["01100", "04100", "13101", "23100", "27100", "34100", "40130", "47201"]
    specs = []
    for k in range(alerts):
        if k % 2 == 0:
            specs.append(
                {"id": f"j{k}", "system": "j_alert", "category": "earthquake_early_warning", "issue_s": 60.0 * k}
            )
        else:
            specs.append(
                {
                    "id": f"l{k}",
                    "system": "l_alert",
                    "category": "evacuation_order",
                    "areas": [cities[k % len(cities)]],
                    "issue_s": 60.0 * k,
                }
            )
    return Scenario.model_validate(
        {
            "metadata": {"name": "engine benchmark"},
            "duration_s": 24 * 3600,
            "topology": {"templates": templates},
            "alerts": specs,
        }
    )


def raw_simpy_rate(events: int, processes: int) -> float:
    """Timeouts per second of plain SimPy processes, for about ``events`` events.

    The collector is paused as the engine pauses it, so both run alike.
    """
    env = simpy.Environment()
    per_process = max(events // processes, 1)

    def ticker(env: simpy.Environment, offset: float):
        yield env.timeout(offset)
        for _ in range(per_process):
            yield env.timeout(1.0)

    for i in range(processes):
        env.process(ticker(env, i / processes))
    gc.disable()
    started = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - started
    gc.enable()
    # Each process also has its initialise event and the first offset timeout.
    return processes * (per_process + 2) / elapsed


def mean_queue_length(prepared: Prepared) -> float:
    """Pending events in SimPy's queue, averaged over the events of one run (not timed)."""
    simulation = Simulation(prepared.topology, prepared.scenario.seed)
    for injection in prepared.injections:
        simulation.inject(injection)
    env, total, steps = simulation.env, 0, 0
    while env.peek() <= prepared.scenario.duration_s:
        env.step()
        total += len(env._queue)  # SimPy's heap; read here only, for the matched baseline
        steps += 1
    return total / steps


def timed_run(prepared: Prepared) -> tuple[float, float, int, int, int]:
    """(set-up s, stepping s, SimPy events, trace events, hops) of one replication."""
    started = time.perf_counter()
    simulation = Simulation(prepared.topology, prepared.scenario.seed)
    for injection in prepared.injections:
        simulation.inject(injection)
    built = time.perf_counter()
    result = simulation.run(prepared.scenario.duration_s)
    done = time.perf_counter()
    kinds = result.trace.table()[:, 5]
    trace_events = int(np.count_nonzero(kinds != 0))  # all but "issued"
    hops = int(np.isin(kinds, (2, 3, 4)).sum())  # received, duplicate, lost
    return built - started, done - built, result.events, trace_events, hops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    prepared = prepare(nationwide_scenario(args.alerts))
    build_s = time.perf_counter() - started
    topology = prepared.topology
    print(
        f"topology: {len(topology.nodes):,} nodes, {len(topology.links):,} links "
        f"(built in {build_s:.2f} s); {args.alerts} alerts"
    )

    queue = round(mean_queue_length(prepared))
    rows: dict[str, list[float]] = {k: [] for k in ("setup", "simpy", "trace", "hops", "raw_q", "raw_1k")}
    for _ in range(args.repeats):  # interleaved, so that machine noise hits both sides alike
        setup_s, step_s, simpy_events, trace_events, hops = timed_run(prepared)
        rows["setup"].append(setup_s)
        rows["simpy"].append(simpy_events / step_s)
        rows["trace"].append(trace_events / step_s)
        rows["hops"].append(hops / step_s)
        rows["raw_q"].append(raw_simpy_rate(simpy_events, queue))
        rows["raw_1k"].append(raw_simpy_rate(simpy_events, 1000))
    median = {k: statistics.median(v) for k, v in rows.items()}

    def ratio(top: str, bottom: str) -> float:
        return statistics.median(a / b for a, b in zip(rows[top], rows[bottom], strict=True))

    print(
        f"engine:    {simpy_events:,} SimPy events, {trace_events:,} trace events "
        f"(sent/received/duplicate/lost/emitted), {hops:,} hops per replication"
    )
    print(
        f"engine:    set-up {median['setup']:.3f} s per replication; while stepping "
        f"{median['simpy']:,.0f} SimPy events/s, {median['trace']:,.0f} trace events/s, "
        f"{median['hops']:,.0f} hops/s"
    )
    print(
        f"raw SimPy: {median['raw_1k']:,.0f} timeouts/s with 1,000 processes; "
        f"{median['raw_q']:,.0f} with {queue:,} (the engine's mean event-queue length)"
    )
    print(f"ratios, median of {args.repeats} interleaved pairs:")
    judged = ratio("trace", "raw_q")
    verdict = "meets" if judged >= TARGET_RATIO else "BELOW"
    print(f"  engine trace events / raw, matched queue   {judged:.2f}  ({verdict} the target of {TARGET_RATIO})")
    print(f"  engine SimPy events / raw, matched queue   {ratio('simpy', 'raw_q'):.2f}")
    print(f"  engine SimPy events / raw, 1,000 processes {ratio('simpy', 'raw_1k'):.2f}")


if __name__ == "__main__":
    main()
