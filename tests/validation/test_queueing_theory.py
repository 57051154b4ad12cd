"""A link with capacity c and exponential holding times, fed Poisson arrivals, is an
M/M/c queue: its mean wait and utilisation must match Erlang C."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lalert_sim import Simulation
from lalert_sim.engine.trace import Event
from lalert_sim.model.alerts import Alert
from lalert_sim.prepare import Injection
from lalert_sim.topology.graph import build_topology
from tests.conftest import scenario

CUSTOMERS = 32_000  # per replication, of which the first WARM_UP are discarded
WARM_UP = 1_000


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of M/M/c (Erlang C), independent of the simulator."""
    offered = arrival_rate / service_rate
    rho = offered / servers
    head = sum(offered**k / math.factorial(k) for k in range(servers))
    tail = offered**servers / (math.factorial(servers) * (1 - rho))
    probability_wait = tail / (head + tail)
    return probability_wait / (servers * service_rate - arrival_rate)


def simulate_queue(arrival_rate: float, service_rate: float, servers: int, seed: int) -> tuple[float, float]:
    """(mean wait after warm-up, utilisation) of one replication through the engine."""
    topology = build_topology(
        scenario(
            nodes=[
                {"id": "src", "kind": "origin", "system": "j_alert"},
                {"id": "sink", "kind": "emitter", "channel": "tv"},
            ],
            links=[
                {
                    "id": "queue",
                    "medium": "fibre",
                    "source": "src",
                    "target": "sink",
                    "latency_s": 0,
                    "capacity": servers,
                    "hold_s": {"kind": "exponential", "mean": 1 / service_rate},
                }
            ],
        ).topology
    )
    arrivals = np.cumsum(np.random.default_rng(seed).exponential(1 / arrival_rate, CUSTOMERS))
    simulation = Simulation(topology, seed)
    for i, t in enumerate(arrivals.tolist()):
        alert = Alert.model_construct(id=f"c{i}", issue_s=t, size_bytes=1, areas=[])
        simulation.inject(Injection(alert, "src"))
    result = simulation.run(arrivals[-1] + 1_000 / service_rate)
    trace = result.trace.arrays()
    sent = trace["event"] == Event.SENT
    received = (trace["event"] == Event.RECEIVED) & (trace["node"] == 1)
    start = np.empty(CUSTOMERS)
    start[trace["alert"][sent]] = trace["time_s"][sent]
    done = np.empty(CUSTOMERS)
    done[trace["alert"][received]] = trace["time_s"][received]
    waits = start - arrivals
    busy = np.clip(np.minimum(done, arrivals[-1]) - np.minimum(start, arrivals[-1]), 0, None).sum()
    return float(waits[WARM_UP:].mean()), float(busy / (servers * arrivals[-1]))


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
            f"(theory {rate / (servers * service):.4f}); {replications} x {CUSTOMERS:,} customers"
        )
