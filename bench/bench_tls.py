"""What TLS costs the field nodes, in one run on loopback: for plain MQTT, TLS with passwords and
mutual TLS, each provisioned by `provision` and served by its own Mosquitto, N node agents (in this
process) connect — all at once, as after a broker restart — and the real bridge fans one alert out
to them; printed per mode: time until all are connected, publish → receipt and the ack round trip.

    python bench/bench_tls.py [--nodes 50] [--rounds 3]

Needs mosquitto (apt install mosquitto) and the hil extra.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.bridge import Bridge, BridgeOptions
from lalert_sim.hil.broker import BRIDGE_USER, BrokerAddress, BrokerFiles, Mosquitto, free_port
from lalert_sim.hil.demo import fan_out_scenario
from lalert_sim.hil.latency import Percentiles
from lalert_sim.hil.node_config import load_node_config
from lalert_sim.hil.protocol import Outcome, Signer
from lalert_sim.hil.provision import Provisioned, provision
from lalert_sim.hil.report import build_report
from lalert_sim.prepare import load_text

MODES = {"plain mqtt://": (False, False), "TLS, passwords": (True, False), "mutual TLS": (True, True)}


def percentiles(values: Iterable[float]) -> str:
    figures = Percentiles.of(list(values))
    return "" if figures is None else f"p50 {figures.p50:8.3f}  p99 {figures.p99:8.3f}"


def bridge_address(done: Provisioned) -> BrokerAddress:
    mutual = done.bridge_tls is not None and done.bridge_tls.cert_file is not None
    address = BrokerAddress.parse(done.broker_url).with_tls(done.bridge_tls)
    return address.with_credentials(BRIDGE_USER, None if mutual else done.bridge_password)


async def one_round(done: Provisioned, ids: list[str], signer: Signer, folder: Path) -> tuple[float, list, list]:
    """Connect all agents at once, then one bridge run: (seconds until all connected, receipt ms, round trip ms)."""
    configs = [
        load_node_config(d / "node.toml").model_copy(update={"pattern_scale": 0.01}) for d in done.node_dirs.values()
    ]
    agents = [NodeAgent(c) for c in configs]
    started = time.perf_counter()
    tasks = [asyncio.get_running_loop().create_task(a.run()) for a in agents]
    try:
        await asyncio.wait_for(asyncio.gather(*(a.connected.wait() for a in agents)), 120)
        connect_s = time.perf_counter() - started
        text = fan_out_scenario(ids, issue_s=0.5, duration_s=1.5)
        prepared = load_text(text, str(folder / "fan_out.yaml"))
        settings = prepared.scenario.field_nodes
        assert settings is not None
        bridge = Bridge(prepared, signer, bridge_address(done), BridgeOptions.of(settings, presence_wait_s=60))
        report = build_report(await asyncio.wait_for(bridge.run(), 180))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for agent in agents:
            agent.close()
    rows = [r for r in report.deliveries if r.outcome == Outcome.ACTUATED]
    assert len(rows) == len(ids), f"{len(ids) - len(rows)} not actuated"
    return connect_s, [r.receipt_latency_ms for r in rows], [r.ack_round_trip_ms for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode, the modes interleaved")
    args = parser.parse_args()
    ids = [f"bench-{k:04d}" for k in range(1, args.nodes + 1)]
    print(f"{args.nodes} node agents in one process, {args.rounds} rounds per mode; {os.cpu_count()} CPU cores\n")
    with tempfile.TemporaryDirectory(prefix="lalert-bench-tls-") as tmp:
        brokers: dict[str, tuple[Provisioned, Mosquitto]] = {}
        try:
            for mode, (tls, mutual) in MODES.items():
                out = Path(tmp) / mode.split()[0].replace(":", "")
                done = provision(
                    ids, out, "127.0.0.1", free_port(), mock=True, tls=tls, mutual=mutual, bind="127.0.0.1"
                )
                port = int(done.broker_url.rsplit(":", 1)[1])
                files = BrokerFiles(done.broker_config, {BRIDGE_USER: done.bridge_password})
                brokers[mode] = done, Mosquitto(ids, done.broker_config.parent, port, files=files).start()
            figures: dict[str, tuple[list[float], list[float], list[float]]] = {m: ([], [], []) for m in MODES}
            for _ in range(args.rounds):
                for mode, (done, _broker) in brokers.items():
                    connect_s, receipt, round_trip = asyncio.run(
                        one_round(done, ids, Signer.from_file(done.key), Path(tmp))
                    )
                    figures[mode][0].append(connect_s * 1000)
                    figures[mode][1].extend(receipt)
                    figures[mode][2].extend(round_trip)
        finally:
            for _done, broker in brokers.values():
                broker.close()
    print(f"{'':16} {'all connected, ms':>20}   {'publish → receipt, ms':>26}   {'ack round trip, ms':>26}")
    for mode, (connect, receipt, round_trip) in figures.items():
        connect_ms = sorted(connect)[len(connect) // 2]
        print(f"{mode:16} {connect_ms:20.1f}   {percentiles(receipt):>26}   {percentiles(round_trip):>26}")
    base = sorted(figures["plain mqtt://"][0])[len(figures["plain mqtt://"][0]) // 2]
    for mode in list(MODES)[1:]:
        median_ms = sorted(figures[mode][0])[len(figures[mode][0]) // 2]
        print(
            f"{mode}: connecting all {args.nodes} takes {median_ms / base:.2f}× plain "
            f"({(median_ms - base) / args.nodes:.2f} ms more per node)"
        )


if __name__ == "__main__":
    main()
