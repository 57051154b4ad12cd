"""Engine throughput beside raw SimPy, in one run on one core.

Builds a nationwide topology (the prefecture template for all 47 prefectures:
1,741 municipalities), injects nationwide J-Alerts and L-Alerts, and counts SimPy
events processed per second of wall time. Then runs raw SimPy processes that do
nothing but ``yield env.timeout(...)`` for the same number of events. The ratio
says how much our per-hop work (draws, dedupe, queues, trace) costs.

    python bench/bench_engine.py [--alerts 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import simpy

from lalert_sim import Scenario, prepare, run

TARGET_RATIO = 0.3


def nationwide_scenario(alerts: int) -> Scenario:
    """All 47 prefectures; alternating J-Alert (nationwide) and L-Alert (one city each)."""
    templates = [{"template": "prefecture", "prefecture": f"{p:02d}"} for p in range(1, 48)]
    cities = ["01100", "04100", "13101", "23100", "27100", "34100", "40130", "47201"]
    specs = []
    for k in range(alerts):
        if k % 2 == 0:
            specs.append({"id": f"j{k}", "system": "j_alert", "category": "earthquake_early_warning",
                          "issue_s": 60.0 * k})
        else:
            specs.append({"id": f"l{k}", "system": "l_alert", "category": "evacuation_order",
                          "areas": [cities[k % len(cities)]], "issue_s": 60.0 * k})
    return Scenario.model_validate({
        "metadata": {"name": "engine benchmark"}, "duration_s": 24 * 3600,
        "topology": {"templates": templates}, "alerts": specs,
    })


def raw_simpy_rate(events: int, processes: int = 1000) -> float:
    """Timeouts per second of plain SimPy processes, for about ``events`` events."""
    env = simpy.Environment()
    per_process = max(events // processes, 1)

    def ticker(env: simpy.Environment, offset: float):
        yield env.timeout(offset)
        for _ in range(per_process):
            yield env.timeout(1.0)

    for i in range(processes):
        env.process(ticker(env, i / processes))
    started = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - started
    # Each process also has its initialise event and the first offset timeout.
    return processes * (per_process + 2) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    prepared = prepare(nationwide_scenario(args.alerts))
    build_s = time.perf_counter() - started
    topology = prepared.topology
    print(f"topology: {len(topology.nodes):,} nodes, {len(topology.links):,} links "
          f"(built in {build_s:.2f} s); {args.alerts} alerts")

    engine_rates, raw_rates = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = run(prepared)
        elapsed = time.perf_counter() - started
        engine_rates.append(result.events / elapsed)
        hops = sum(1 for row in result.trace.rows if row[5] in (2, 3, 4))
        raw_rates.append(raw_simpy_rate(result.events))
    engine, raw = max(engine_rates), max(raw_rates)
    print(f"engine:    {result.events:,} events, {len(result.trace):,} trace rows, {hops:,} hops per run")
    print(f"engine:    {engine:,.0f} events/s  ({engine * hops / result.events:,.0f} hops/s)")
    print(f"raw SimPy: {raw:,.0f} timeouts/s")
    ratio = engine / raw
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(f"ratio engine/raw = {ratio:.2f} ({verdict} the target of {TARGET_RATIO})")


if __name__ == "__main__":
    main()
