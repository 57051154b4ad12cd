"""A link with capacity c and exponential holding times, fed a Poisson ``streams:`` entry, is an
M/M/c queue: its mean wait and utilisation must match Erlang C."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lalert_sim.engine.trace import Event
from lalert_sim.prepare import load_text
from lalert_sim.runner import build

CUSTOMERS = 32_000  # expected per replication, of which those arriving in the first WARM_UP / λ s are discarded
WARM_UP = 1_000


def queue_scenario(arrival_rate: float, service_rate: float, servers: int) -> str:
    """A ``streams:`` scenario: Poisson arrivals into a link of ``servers`` channels with exponential holding."""
    arrivals_end_s = CUSTOMERS / arrival_rate
    return f"""
metadata: {{name: M/M/{servers}}}
duration_s: {arrivals_end_s + 1_000 / service_rate}
failures: none
topology:
  nodes:
    - {{id: src, kind: origin, system: j_alert}}
    - {{id: sink, kind: emitter, channel: tv}}
  links:
    - {{id: queue, medium: fibre, source: src, target: sink, latency_s: 0, capacity: {servers},
        hold_s: {{kind: exponential, mean: {1 / service_rate}}}}}
streams:
  - id: customer
    arrivals: {{kind: poisson, rate_per_s: {arrival_rate}, end_s: {arrivals_end_s}}}
    message: {{system: j_alert, category: test, size_bytes: 1}}
"""


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of M/M/c (Erlang C), independent of the simulator."""
    offered = arrival_rate / service_rate
    rho = offered / servers
    head = sum(offered**k / math.factorial(k) for k in range(servers))
    tail = offered**servers / (math.factorial(servers) * (1 - rho))
    probability_wait = tail / (head + tail)
    return probability_wait / (servers * service_rate - arrival_rate)


def simulate_queue(arrival_rate: float, service_rate: float, servers: int, seed: int) -> tuple[float, float]:
    """(mean wait after warm-up, utilisation) of one replication of the ``streams:`` scenario through the engine."""
    prepared = load_text(queue_scenario(arrival_rate, service_rate, servers), "queue.yaml")
    simulation, _ = build(prepared, seed)
    result = simulation.run(prepared.scenario.duration_s)
    end_s = CUSTOMERS / arrival_rate
    trace = result.trace.arrays()
    customers = len(result.alerts)
    columns = {}
    for name, rows in (
        ("issued", trace["event"] == Event.ISSUED),
        ("start", trace["event"] == Event.SENT),
        ("done", (trace["event"] == Event.RECEIVED) & (trace["node"] == 1)),
    ):
        column = np.full(customers, np.nan)
        column[trace["alert"][rows]] = trace["time_s"][rows]
        columns[name] = column
    arrivals, start, done = columns["issued"], columns["start"], columns["done"]
    assert not np.isnan(done).any()  # every customer was served before the run's end
    waits = start - arrivals
    busy = np.clip(np.minimum(done, end_s) - np.minimum(start, end_s), 0, None).sum()
    return float(waits[arrivals >= WARM_UP / arrival_rate].mean()), float(busy / (servers * end_s))


def confidence_interval(samples: list[float]) -> tuple[float, float]:
    """Mean and 95 % half-width (Student t) over independent replications."""
    values = np.asarray(samples)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean()), float(half)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arrival_rate", "service_rate", "servers", "replications"),
    [(0.5, 1.0, 1, 16), (1.0, 1.0, 2, 20)],
    ids=["mm1", "mm2"],
)
def test_link_queue_matches_erlang_c(arrival_rate: float, service_rate: float, servers: int, replications: int) -> None:
    runs = [simulate_queue(arrival_rate, service_rate, servers, seed) for seed in range(replications)]
    wait, wait_half = confidence_interval([w for w, _ in runs])
    utilisation, util_half = confidence_interval([u for _, u in runs])
    expected_wait = erlang_c_wait(arrival_rate, service_rate, servers)
    expected_utilisation = arrival_rate / (servers * service_rate)
    # At 95 % confidence the estimate is within 2 % of theory: the interval is no wider
    # than 2 % each side, and the estimate itself is that close.
    assert wait_half <= 0.02 * expected_wait, (wait, wait_half, expected_wait)
    assert abs(wait - expected_wait) <= 0.02 * expected_wait, (wait, wait_half, expected_wait)
    assert util_half <= 0.02 * expected_utilisation
    assert abs(utilisation - expected_utilisation) <= 0.02 * expected_utilisation


if __name__ == "__main__":  # prints the figures quoted in the README
    for rate, service, servers, replications in [(0.5, 1.0, 1, 16), (1.0, 1.0, 2, 20)]:
        runs = [simulate_queue(rate, service, servers, seed) for seed in range(replications)]
        wait, half = confidence_interval([w for w, _ in runs])
        util, util_half = confidence_interval([u for _, u in runs])
        theory = erlang_c_wait(rate, service, servers)
        print(
            f"M/M/{servers} lambda={rate} mu={service}: mean wait {wait:.4f} ± {half:.4f} "
            f"(theory {theory:.4f}, error {100 * (wait - theory) / theory:+.2f} %, "
            f"half-width {100 * half / theory:.2f} %); utilisation {util:.4f} ± {util_half:.4f} "
            f"(theory {rate / (servers * service):.4f}); {replications} x about {CUSTOMERS:,} customers"
        )
