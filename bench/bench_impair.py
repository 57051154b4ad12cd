"""The link relay (lalert_sim/hil/impair.py) on loopback, in one run:

1. what the relay itself adds: echo round trips direct and through a relay with no conditions (p50);
2. a constant 270 ms one-way delay (a GEO hop): the round trip through it less the direct one (540 ms);
3. bandwidth: 250 kB one way through a 1 Mbit/s relay, against (size − one burst) × 8 / rate;
4. end to end: the bridge to two node agents on one Mosquitto, one behind the 270 ms relay: its receipt
   latency less the other's (the loopback figure), against 270 ms.

    python bench/bench_impair.py [--trips 300]

Needs mosquitto (apt install mosquitto) and the hil extra.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.bridge import Bridge, BridgeOptions
from lalert_sim.hil.broker import Mosquitto
from lalert_sim.hil.demo import fan_out_scenario, virtual_config
from lalert_sim.hil.impair import BURST_BYTES, Relay, Relays, resolve_impairments
from lalert_sim.hil.protocol import Signer
from lalert_sim.hil.report import build_report
from lalert_sim.model.impairments import Impairment
from lalert_sim.prepare import load_text


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _round_trips_ms(port: int, trips: int) -> list[float]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times = []
    for _ in range(trips):
        started = time.perf_counter()
        writer.write(b"ping")
        await writer.drain()
        await reader.readexactly(4)
        times.append((time.perf_counter() - started) * 1000)
    writer.close()
    return times


async def relay_figures(trips: int) -> None:
    """Figures 1 to 3 against a loopback echo server."""
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    port = echo.sockets[0].getsockname()[1]
    plain = await Relay("plain", Impairment(), ("127.0.0.1", port)).start()
    geo = await Relay("geo", Impairment(delay=0.27), ("127.0.0.1", port)).start()
    direct = statistics.median(await _round_trips_ms(port, trips))
    relayed = statistics.median(await _round_trips_ms(plain.port, trips))
    delayed = statistics.median(await _round_trips_ms(geo.port, 10))
    print(f"echo round trip p50: direct {direct:.3f} ms, through a plain relay {relayed:.3f} ms")
    print(f"  the relay adds {relayed - direct:.3f} ms per round trip (two passes)")
    print(f"270 ms each way: round trip less direct {delayed - direct:.1f} ms (expected 540)")
    size, rate_bps = 250_000, 1_000_000
    arrived = asyncio.Event()

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # until the end of the stream
        arrived.set()
        writer.close()

    sink_server = await asyncio.start_server(sink, "127.0.0.1", 0)
    upstream = ("127.0.0.1", sink_server.sockets[0].getsockname()[1])
    slow = await Relay("slow", Impairment(bandwidth_bps=rate_bps), upstream).start()
    _, writer = await asyncio.open_connection("127.0.0.1", slow.port)
    started = time.perf_counter()
    writer.write(bytes(size))
    writer.write_eof()
    await arrived.wait()
    elapsed = time.perf_counter() - started
    writer.close()
    expected = (size - BURST_BYTES) * 8 / rate_bps
    print(f"250 kB at 1 Mbit/s: {elapsed:.3f} s (expected {expected:.3f} s)")
    sink_server.close()
    for relay in (plain, geo, slow):
        await relay.close()
    echo.close()


async def end_to_end(directory: Path) -> None:
    """Figure 4: two node agents, pi-01 behind the 270 ms relay, pi-02 on plain loopback."""
    text = fan_out_scenario(["pi-01", "pi-02"], link_latency_s=0.0).replace(
        "field_node: pi-01}", "field_node: pi-01, impair: {delay: 0.27}}"
    )
    prepared = load_text(text, str(directory / "impaired.yaml"))
    settings = prepared.scenario.field_nodes
    assert settings is not None
    signer = Signer.generate("bench")
    with Mosquitto(["pi-01", "pi-02"], directory / "broker") as broker:
        async with Relays(resolve_impairments(prepared), broker.address()) as relays:
            agents = [
                NodeAgent(virtual_config(n, relays.address(n, broker.address(n)), signer)) for n in ("pi-01", "pi-02")
            ]
            async with asyncio.TaskGroup() as tasks:
                running = [tasks.create_task(agent.run()) for agent in agents]
                for agent in agents:
                    await asyncio.wait_for(agent.connected.wait(), 10)
                bridge = Bridge(prepared, signer, broker.address(), BridgeOptions.of(settings, sync_samples=4))
                relays.attach(bridge)
                record = await bridge.run()
                for task in running:
                    task.cancel()
            for agent in agents:
                agent.close()
    rows = {row.field_node: row for row in build_report(record).deliveries}
    behind, loopback = rows["pi-01"].receipt_latency_ms, rows["pi-02"].receipt_latency_ms
    assert behind is not None and loopback is not None
    print(
        f"bridge → node behind 270 ms: receipt {behind:.1f} ms, loopback {loopback:.1f} ms, "
        f"difference {behind - loopback:.1f} ms (target 270 ± 27)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=300, help="echo round trips per figure")
    args = parser.parse_args()
    asyncio.run(relay_figures(args.trips))
    with tempfile.TemporaryDirectory(prefix="bench-impair-") as directory:
        asyncio.run(end_to_end(Path(directory)))


if __name__ == "__main__":
    main()
