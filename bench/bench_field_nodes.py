"""Field-node latency on loopback, in one run against one Mosquitto:

1. round trip: the broker alone (an echo client republishing each message as it comes) beside
   the bridge's path (signed alert → field-node agent verifies, actuates its mock siren, acks →
   the ack parsed), interleaved in blocks; target: the bridge adds at most 0.5 ms at p50;
2. fan-out: one alert from the real bridge to N virtual field nodes (agents in several
   processes) bound to one loudspeaker group each; target: p99 ≤ 50 ms.

    python bench/bench_field_nodes.py [--pings 2000] [--nodes 1000] [--processes 4]

Needs mosquitto (apt install mosquitto) and the hil extra.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.bridge import Bridge, BridgeOptions
from lalert_sim.hil.broker import BrokerAddress, Mosquitto
from lalert_sim.hil.demo import fan_out_scenario, virtual_config
from lalert_sim.hil.latency import Percentiles, ms
from lalert_sim.hil.protocol import Ack, AlertPayload, Outcome, Signer, Topic, new_message_id, topic
from lalert_sim.hil.report import build_report
from lalert_sim.hil.transport import Session
from lalert_sim.model.alerts import AlertCategory, AlertMode
from lalert_sim.prepare import load_text

ECHO, NODE = "echo-01", "bench-01"


async def echo(address: BrokerAddress) -> None:
    """The broker alone: republish each message from our alert topic to our ack topic, untouched."""
    async with Session(address) as session:
        await session.subscribe((topic(ECHO, Topic.ALERT), 1))
        async for message in session.messages():
            await session.publish(topic(ECHO, Topic.ACK), message.payload, 1)


async def agents(urls: list[str], key_id: str, public: str) -> None:
    """Virtual field nodes (one agent each) in this process until killed."""
    tasks = []
    for url in urls:
        address = BrokerAddress.parse(url)
        config = virtual_config(address.username or "", address, Signer.generate(key_id))
        config = config.model_copy(update={"keys": {key_id: public}})
        agent = NodeAgent(config)
        tasks.append(asyncio.get_running_loop().create_task(agent.run()))
    await asyncio.gather(*tasks)


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, *args], start_new_session=True)


def percentiles(values: Iterable[float | None]) -> str:
    figures = Percentiles.of([v for v in values if v is not None])
    return "" if figures is None else "  ".join(f"{k} {v:7.3f}" for k, v in dataclasses.asdict(figures).items())


def median(values: list[float]) -> float:
    figures = Percentiles.of(values)
    assert figures is not None, "no values"
    return figures.p50


async def round_trips(broker: Mosquitto, signer: Signer, pings: int, blocks: int = 10) -> dict[str, list[float]]:
    """Interleaved blocks of ping-pong through the echo client and through the field-node agent."""
    times: dict[str, list[float]] = {"broker": [], "bridge": []}
    async with Session(broker.address()) as session:
        await session.subscribe((topic(ECHO, Topic.ACK), 1), (topic(NODE, Topic.ACK), 1))
        replies = session.messages()

        async def once(kind: str) -> None:
            if kind == "broker":
                started = time.perf_counter()
                await session.publish(topic(ECHO, Topic.ALERT), b"x" * 420, 1)  # the size of a signed alert
                await anext(replies)
            else:  # the bridge signs at the alert's issue, ahead of its arrival at the bound node
                now = time.time()
                wire = signer.sign(
                    AlertPayload(
                        msg_id=new_message_id(),
                        nodes=(NODE,),
                        alert_id="bench",
                        category=AlertCategory.TEST,
                        mode=AlertMode.TEST,
                        headline="bench",
                        issued_at=now,
                        expires_at=now + 60,
                        sim_issue_s=0.0,
                    )
                )
                started = time.perf_counter()
                await session.publish(topic(NODE, Topic.ALERT), wire, 1)
                ack = Ack.model_validate_json((await anext(replies)).payload)
                assert ack.outcome is Outcome.ACTUATED, ack
            times[kind].append(ms(time.perf_counter() - started))

        for kind in ("broker", "bridge"):  # warm up
            for _ in range(50):
                await once(kind)
        times = {"broker": [], "bridge": []}
        for block in range(blocks):
            order = ("broker", "bridge") if block % 2 == 0 else ("bridge", "broker")
            for kind in order:
                for _ in range(pings // blocks):
                    await once(kind)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--echo", help=argparse.SUPPRESS)
    parser.add_argument("--agents", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo:
        asyncio.run(echo(BrokerAddress.parse(args.echo)))
        return
    if args.agents:
        asyncio.run(agents(args.agents[2:], args.agents[0], args.agents[1]))
        return

    fan_ids = [f"fan-{k:04d}" for k in range(args.nodes)]
    signer = Signer.generate("bench")
    children: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp, Mosquitto([ECHO, NODE, *fan_ids], Path(tmp)) as broker:
        try:
            print(f"mosquitto {broker.port} (pid {broker.pid}) on loopback; {os.cpu_count()} CPU cores")
            children.append(spawn("--echo", broker.address(ECHO).url(credentials=True)))
            children.append(
                spawn("--agents", signer.key_id, signer.public_key_text(), broker.address(NODE).url(credentials=True))
            )
            time.sleep(3)
            times = asyncio.run(round_trips(broker, signer, args.pings))
            print(f"\nround trip, ms ({args.pings} each, interleaved blocks)")
            for kind, label in (("broker", "broker alone (echo client)"), ("bridge", "bridge → node → ack")):
                print(f"  {label:28s} {percentiles(times[kind])}")
            added = median(times["bridge"]) - median(times["broker"])
            print(f"  bridge adds at p50: {added:.3f} ms (target ≤ 0.5 ms)")

            share = -(-args.nodes // args.processes)
            for k in range(args.processes):
                urls = [broker.address(n).url(credentials=True) for n in fan_ids[k * share : (k + 1) * share]]
                if urls:
                    children.append(spawn("--agents", signer.key_id, signer.public_key_text(), *urls))
            source = str(Path(tmp) / "fan_out.yaml")
            text = fan_out_scenario(fan_ids, duration_s=2.5, mode=AlertMode.TEST, link_latency_s=1.0, ack_deadline_s=30)
            prepared = load_text(text, source)
            bridge = Bridge(
                prepared, signer, broker.address(), BridgeOptions.of(prepared.scenario.field_nodes, presence_wait_s=120)
            )  # type: ignore[arg-type]
            started = time.perf_counter()
            record = asyncio.run(bridge.run())
            report = build_report(record)
            rows = [r for r in report.deliveries if r.outcome == Outcome.ACTUATED]
            first = min(d.published_at for d in record.deliveries)
            from_first = []
            for d in record.deliveries:
                offset = record.nodes[d.field_node].offset
                if d.ack is not None and offset is not None:
                    actuated = offset.to_bridge(d.ack.actuated_at)
                    if actuated is not None:
                        from_first.append(ms(actuated - first))
            print(
                f"\nfan-out: one alert to {args.nodes} virtual nodes in {args.processes} processes "
                f"({time.perf_counter() - started:.1f} s with presence and clock sync)"
            )
            print(f"  actuated {len(rows)}, missed {report.totals.missed}")
            print(f"  publish → node receipt, ms        {percentiles(r.receipt_latency_ms for r in rows)}")
            print(f"  publish → actuation, ms           {percentiles(r.actuation_latency_ms for r in rows)}")
            print(f"  first publish → actuation, ms     {percentiles(from_first)}  (target p99 ≤ 50 ms)")
            publish_spread = ms(max(d.published_at for d in record.deliveries) - first)
            print(
                f"  first → last publish: {publish_spread:.1f} ms "
                f"(sending {args.nodes} messages signed at issue, 1 s before)"
            )
        finally:
            for child in children:
                os.kill(child.pid, signal.SIGTERM)
            for child in children:
                child.wait(10)


if __name__ == "__main__":
    main()
