"""The link relay: order, delay, bandwidth and outages on real loopback sockets, then field nodes
behind it end to end (a GEO-like 270 ms hop, a 20 s outage) through a real Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import inspect
import json
import statistics
import textwrap
import time
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from lalert_sim.errors import BridgeError, InvalidInput, ScenarioError
from lalert_sim.hil import demo
from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.bridge import BridgeRun
from lalert_sim.hil.broker import BrokerAddress, Mosquitto, free_port
from lalert_sim.hil.demo import virtual_config
from lalert_sim.hil.impair import (
    IMPAIRED_RECONNECT_MAX_S,
    Relay,
    Relays,
    Shaper,
    relay_ports,
    resolve_impairments,
)
from lalert_sim.hil.node_config import load_node_config
from lalert_sim.hil.protocol import Signer, generate_key
from lalert_sim.hil.report import build_report
from lalert_sim.model.distributions import Uniform
from lalert_sim.model.impairments import Impairment, OutageWindow
from lalert_sim.prepare import Prepared, load_text
from lalert_sim.streams import Stream
from tests.conftest import ROOT, SCENARIOS, cli
from tests.hil.conftest import BRIDGE_RUN_S, WAIT_S, NodeProcess, field_bridge, until

# --- the relay alone, against loopback servers -------------------------------------------------------------------


@asynccontextmanager
async def server(handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]) -> AsyncIterator:
    """A loopback TCP server on a free port (its port as ``.port``), closed afterwards."""
    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    listening.port = listening.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    try:
        yield listening
    finally:
        listening.close()


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


@asynccontextmanager
async def relay_to(port: int, impairment: Impairment, seed: int = 0) -> AsyncIterator[Relay]:
    relay = await Relay("pi-01", impairment, ("127.0.0.1", port), seed).start()
    try:
        yield relay
    finally:
        await relay.close()


async def round_trip_s(port: int, payload: bytes = b"ping", tries: int = 1) -> float:
    """The shortest of ``tries`` echo round trips through ``port`` on one connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    fastest = float("inf")
    for _ in range(tries):
        started = time.monotonic()
        writer.write(payload)
        await writer.drain()
        await asyncio.wait_for(reader.readexactly(len(payload)), WAIT_S)
        fastest = min(fastest, time.monotonic() - started)
    writer.close()
    return fastest


def test_a_constant_delay_is_added_once_each_way() -> None:
    async def scenario() -> tuple[float, float]:
        async with server(echo) as upstream, relay_to(upstream.port, Impairment(delay=0.1)) as relay:
            direct = await round_trip_s(upstream.port, tries=5)
            relayed = await round_trip_s(relay.port, tries=5)
            return direct, relayed

    direct, relayed = asyncio.run(scenario())
    assert relayed - direct == pytest.approx(0.2, abs=0.02)


def test_each_chunk_waits_its_own_draw_from_the_nodes_streams() -> None:
    """Uniform 20–60 ms each way, seed 3: every round trip takes the two draws the streams
    ``impair:pi-01/down`` and ``/up`` give, never less, and more only by the loopback and this machine's load."""
    jitter = Uniform(low=0.02, high=0.06)
    trips = 40

    async def scenario() -> list[float]:
        async with server(echo) as upstream, relay_to(upstream.port, Impairment(delay=jitter), seed=3) as relay:
            reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
            times = []
            for _ in range(1 + trips):  # the first also waits for the relay's connection to the broker
                started = time.monotonic()
                writer.write(b"ping")
                await writer.drain()
                await asyncio.wait_for(reader.readexactly(4), WAIT_S)
                times.append(time.monotonic() - started)
            writer.close()
            return times[1:]

    times = asyncio.run(scenario())
    down, up = Stream(3, "impair:pi-01/down"), Stream(3, "impair:pi-01/up")
    drawn = [jitter.sample(up) + jitter.sample(down) for _ in range(1 + trips)][1:]
    assert min(t - d for t, d in zip(times, drawn, strict=True)) > -0.001  # never before its draws (1 ms: clocks)
    assert statistics.correlation(times, drawn) > 0.7  # and the draws decide (other draws: about 0)


def test_random_delays_never_reorder_bytes() -> None:
    """Each chunk gets its own draw (0–50 ms), yet every byte comes back in the order it was sent."""
    jittery = Impairment(delay=Uniform(low=0.0, high=0.05))

    async def scenario() -> bytes:
        async with server(echo) as upstream, relay_to(upstream.port, jittery) as relay:
            reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
            for k in range(300):
                writer.write(b"%05d;" % k)
                await writer.drain()
                await asyncio.sleep(0.001)  # separate chunks, each with its own delay
            data = await asyncio.wait_for(reader.readexactly(300 * 6), WAIT_S)
            writer.close()
            return data

    assert asyncio.run(scenario()) == b"".join(b"%05d;" % k for k in range(300))


def test_bandwidth_paces_a_bulk_transfer() -> None:
    """100 kB at 800 kbit/s: about (100,000 − one 1,500-byte burst) × 8 / 800,000 ≈ 0.985 s, bytes intact."""
    received = bytearray()
    finished = asyncio.Event()

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            received.extend(data)
        finished.set()
        writer.close()

    payload = bytes(range(256)) * 390 + bytes(160)  # 100,000 bytes

    async def scenario() -> float:
        async with server(sink) as upstream, relay_to(upstream.port, Impairment(bandwidth_bps=800_000)) as relay:
            _, writer = await asyncio.open_connection("127.0.0.1", relay.port)
            started = time.monotonic()
            writer.write(payload)
            await writer.drain()
            writer.write_eof()
            await asyncio.wait_for(finished.wait(), WAIT_S)
            elapsed = time.monotonic() - started
            writer.close()
            return elapsed

    elapsed = asyncio.run(scenario())
    assert bytes(received) == payload
    assert elapsed == pytest.approx((100_000 - 1500) * 8 / 800_000, rel=0.1)


def test_the_token_bucket_sends_one_packet_at_once_and_the_rest_at_the_rate() -> None:
    """1,000 bytes/s, one 1,500-byte packet deep: known answers for when each packet is through."""
    shaper = Shaper(Impairment(bandwidth_bps=8_000), Stream(0, "impair:pi-01/down"), now=0.0)
    packets = shaper.packets(bytes(4000))
    assert [len(p) for p in packets] == [1500, 1500, 1000]
    assert [shaper.due(len(p), 0.0) for p in packets] == pytest.approx([0.0, 1.5, 2.5])
    assert shaper.due(100, 10.0) == pytest.approx(10.0)  # the bucket refilled meanwhile (to one packet)
    assert shaper.due(1500, 10.0) == pytest.approx(10.1)


def test_delays_come_from_the_named_stream_of_the_node_and_direction() -> None:
    jitter = Impairment(delay=Uniform(low=0.0, high=1.0))

    def draws(seed: int, name: str) -> list[float]:
        shaper = Shaper(jitter, Stream(seed, name), now=0.0)
        return [shaper.due(10, 100.0 * k) - 100.0 * k for k in range(5)]

    assert draws(7, "impair:pi-01/down") == draws(7, "impair:pi-01/down")  # same seed, same delays
    assert draws(7, "impair:pi-01/down") != draws(8, "impair:pi-01/down")
    assert draws(7, "impair:pi-01/down") != draws(7, "impair:pi-01/up")


def test_a_slow_link_passes_bytes_on_as_they_trickle_through() -> None:
    """20 kB at 80 kbit/s takes about 2 s, but the first packet is through at once, not after the whole read."""
    first: list[float] = []

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        first.append(time.monotonic())
        writer.close()

    async def scenario() -> float:
        async with server(sink) as upstream, relay_to(upstream.port, Impairment(bandwidth_bps=80_000)) as relay:
            _, writer = await asyncio.open_connection("127.0.0.1", relay.port)
            started = time.monotonic()
            writer.write(bytes(20_000))
            await writer.drain()
            await until(lambda: bool(first), WAIT_S)
            writer.close()
            return first[0] - started

    assert asyncio.run(scenario()) < 0.5


def test_an_outage_cuts_open_connections_and_refuses_new_ones_until_it_ends() -> None:
    accepted = []

    async def counting_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(time.monotonic())
        await echo(reader, writer)

    window = Impairment(outages=[OutageWindow(start_s=0.3, end_s=1.0)])

    async def scenario() -> tuple[bytes, float, float, Relay]:
        async with server(counting_echo) as upstream, relay_to(upstream.port, window) as relay:
            reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
            assert await round_trip_s(relay.port) < 0.1  # up before the window
            begun = time.monotonic()
            relay.begin(begun)
            cut = await asyncio.wait_for(reader.read(1), WAIT_S)  # the cut at 0.3 s: end of stream
            writer.close()
            await asyncio.sleep(0.2)
            with pytest.raises(ConnectionRefusedError):  # at once, as from a host that is not listening
                await asyncio.open_connection("127.0.0.1", relay.port)
            connections_during = len(accepted)
            while True:  # back on the same port once the window is over
                try:
                    after = await round_trip_s(relay.port)
                    break
                except ConnectionRefusedError:
                    await asyncio.sleep(0.01)
            back_after_s = time.monotonic() - begun
            assert len(accepted) == connections_during + 1  # nothing reached the broker during the window
            return cut, after, back_after_s, relay

    cut, after, back_after_s, relay = asyncio.run(scenario())
    assert cut == b"" and after < 0.1
    assert 1.0 <= back_after_s < 1.3
    assert relay.counts.cut == 1


def test_outage_windows_on_a_clock_that_pauses_wait_for_it() -> None:
    # The console's clock: paused, its run does not move on, so neither does the outage window.
    window = Impairment(outages=[OutageWindow(start_s=1.0, end_s=2.0)])
    run_s = [0.5]

    async def scenario() -> list[bool]:
        seen = []
        async with server(echo) as upstream, relay_to(upstream.port, window) as relay:
            relay.begin(elapsed=lambda: run_s[0])
            await asyncio.sleep(1.2)  # more than the window's start in wall time, the run still at 0.5 s
            seen.append(relay.down)
            assert await round_trip_s(relay.port) < 0.1
            run_s[0] = 1.5  # the clock resumed and passed the start
            await asyncio.sleep(0.2)
            seen.append(relay.down)
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection("127.0.0.1", relay.port)
            await asyncio.sleep(1.0)  # paused inside the window: it stays down
            seen.append(relay.down)
            run_s[0] = 2.5
            await asyncio.sleep(0.2)
            seen.append(relay.down)
            assert await round_trip_s(relay.port) < 0.1
        return seen

    assert asyncio.run(scenario()) == [False, True, True, False]


def test_a_relay_closed_during_an_outage_never_listens_again() -> None:
    async def scenario() -> None:
        relay = await Relay(
            "pi-01", Impairment(outages=[OutageWindow(start_s=0.0, end_s=0.3)]), ("127.0.0.1", 1)
        ).start()
        relay.begin()
        await asyncio.sleep(0.1)
        await relay.close()
        await asyncio.sleep(0.4)
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", relay.port)

    asyncio.run(scenario())


@asynccontextmanager
async def _anything() -> AsyncIterator[None]:
    """A connection the relay drops at once reads as end of stream or as a reset, depending on timing."""
    try:
        yield
    except ConnectionError:
        pass


def test_while_the_broker_is_away_the_relay_refuses_as_it_would_then_serves_again() -> None:
    """The first try finds no broker and is hung up on; later ones are refused at once, as without the relay
    (an MQTT client would otherwise wait out its connect timeout); once the broker is back so is the relay,
    and a client that resets mid-stream leaves nothing behind."""

    async def scenario() -> int:
        async with server(echo) as upstream:
            port = upstream.port
        relay = await Relay("pi-01", Impairment(delay=0.01), ("127.0.0.1", port)).start()  # nobody listens there
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
            async with _anything():
                assert await asyncio.wait_for(reader.read(1), WAIT_S) == b""
            writer.close()
            await asyncio.sleep(0.1)
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection("127.0.0.1", relay.port)
            listening = await asyncio.start_server(echo, "127.0.0.1", port)  # the broker is back
            try:
                await until(lambda: relay._server is not None, WAIT_S)
                _, writer = await asyncio.open_connection("127.0.0.1", relay.port)
                writer.write(b"half a packet")
                await writer.drain()
                writer.transport.abort()  # the client resets mid-stream
                await asyncio.sleep(0.2)
                assert await round_trip_s(relay.port) < 0.2  # still relaying
                await asyncio.sleep(0.1)
                return len(relay._open)
            finally:
                listening.close()
        finally:
            await relay.close()

    assert asyncio.run(scenario()) == 0  # every connection's pair cleaned up


def test_a_relay_port_already_taken_is_a_clear_bridge_error() -> None:
    async def scenario() -> None:
        async with server(echo) as taken:
            relays = Relays(
                {"pi-01": Impairment(delay=0.1)}, BrokerAddress("127.0.0.1", 1), ports={"pi-01": taken.port}
            )
            async with relays:
                pass

    with pytest.raises(BridgeError, match=r"relay of field node pi-01: cannot listen on 127.0.0.1:\d+: .*in use"):
        asyncio.run(scenario())


def test_many_clients_at_once_each_get_their_own_bytes_back() -> None:
    """50 connections through one relay at once, each echoing its own 20 kB with jitter: nothing mixed."""

    async def one(port: int, k: int) -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        payload = bytes([k]) * 20_000
        writer.write(payload)
        await writer.drain()
        back = await asyncio.wait_for(reader.readexactly(len(payload)), WAIT_S)
        writer.close()
        return back == payload

    async def scenario() -> list[bool]:
        async with server(echo) as upstream:
            async with relay_to(upstream.port, Impairment(delay=Uniform(low=0, high=0.02))) as relay:
                return await asyncio.gather(*(one(relay.port, k) for k in range(50)))

    assert all(asyncio.run(scenario()))


def test_a_broker_that_stops_reading_holds_the_sender_back_and_loses_nothing() -> None:
    """32 MiB towards a peer that reads nothing for a while: the relay stops reading too (it holds at most
    about 1 MiB), so the sender blocks instead of the relay filling its memory; then every byte arrives."""
    payload = bytes(range(256)) * (32 * 4096)
    received = bytearray()
    reading, finished = asyncio.Event(), asyncio.Event()

    async def slow_sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reading.wait()
        while data := await reader.read(1 << 20):
            received.extend(data)
        finished.set()
        writer.close()

    async def scenario() -> bool:
        async with server(slow_sink) as upstream, relay_to(upstream.port, Impairment(delay=0.001)) as relay:
            _, writer = await asyncio.open_connection("127.0.0.1", relay.port)
            writer.write(payload)
            try:
                await asyncio.wait_for(writer.drain(), 2.0)
                blocked = False
            except TimeoutError:
                blocked = True
            reading.set()
            await asyncio.wait_for(writer.drain(), WAIT_S)
            writer.write_eof()
            await asyncio.wait_for(finished.wait(), WAIT_S)
            writer.close()
            return blocked

    assert asyncio.run(scenario()), "the sender was never held back"
    assert bytes(received) == payload


def test_a_delay_too_long_for_mqtt_keepalives_is_said_at_the_start() -> None:
    said: list[str] = []
    bridge = SimpleNamespace(record=SimpleNamespace(impairments={}), scenario_started=asyncio.Event())

    async def scenario() -> None:
        impairments = {"pi-01": Impairment(delay=6), "pi-02": Impairment(delay=0.27)}
        async with Relays(impairments, BrokerAddress("127.0.0.1", 1)) as relays:
            relays.attach(bridge, said.append)  # type: ignore[arg-type]

    asyncio.run(scenario())
    assert bridge.record.impairments == {"pi-01": "delay=constant(6)s", "pi-02": "delay=constant(0.27)s"}
    warned = [line for line in said if "keepalive" in line]
    assert len(warned) == 1 and warned[0].startswith("pi-01: a round trip of 12 s on average")


# --- which node gets which conditions ----------------------------------------------------------------------------


def impaired_file(tmp_path: Path, impair: dict[str, str], medium: str = "terrestrial_gov", **settings) -> Path:
    """``fan_out_scenario`` with ``impair`` (field node → YAML flow mapping) on the bindings, ``medium`` on the hop."""
    text = demo.fan_out_scenario(sorted({"pi-01", "pi-02", *impair}), **settings).replace("terrestrial_gov", medium)
    for node, setting in impair.items():
        text = text.replace(f"field_node: {node}}}", f"field_node: {node}, impair: {setting}}}")
    path = tmp_path / "impaired.yaml"
    path.write_text(text)
    return path


def impaired_scenario(tmp_path: Path, impair: dict[str, str], medium: str = "terrestrial_gov", **settings) -> Prepared:
    """The scenario of ``impaired_file``, loaded."""
    path = impaired_file(tmp_path, impair, medium, **settings)
    return load_text(path.read_text(), str(path))


def test_from_medium_takes_the_simulated_links_latency_bandwidth_and_outages(tmp_path: Path) -> None:
    prepared = impaired_scenario(tmp_path, {"pi-01": "from_medium"}, "satellite_geo", speed=2.0)
    text = Path(prepared.source or "").read_text().replace("loss: 0}", "loss: 0, outages: [{start_s: 10, end_s: 30}]}")
    prepared = load_text(text, prepared.source)
    impairment = resolve_impairments(prepared)["pi-01"]
    assert impairment.delay == Uniform(low=0.24, high=0.285)  # GEO one hop (data/media.toml)
    assert impairment.bandwidth_bps == 64_000
    assert impairment.outages == [OutageWindow(start_s=5, end_s=15)]  # simulated seconds at 2× → wall seconds
    assert "pi-02" not in resolve_impairments(prepared)


def test_from_medium_on_a_node_nothing_leads_into_is_a_scenario_error(tmp_path: Path) -> None:
    prepared = impaired_scenario(tmp_path, {"pi-01": "from_medium"})
    text = Path(prepared.source or "").read_text().replace("{node: spk-pi-01,", "{node: centre,")
    with pytest.raises(
        ScenarioError, match=r"field_nodes.bindings\[0\].impair: from_medium: no link leads into centre"
    ):
        load_text(text, prepared.source)  # found when the scenario is loaded, as validate loads it


def test_relay_ports_follow_the_binding_order(tmp_path: Path) -> None:
    prepared = impaired_scenario(tmp_path, {"pi-02": "{delay: 0.1}", "pi-03": "{delay: 0.1}"})
    settings = prepared.scenario.field_nodes
    assert settings is not None
    impaired = resolve_impairments(prepared)
    assert relay_ports(settings, impaired, 20000) == {"pi-02": 20001, "pi-03": 20002}
    with pytest.raises(InvalidInput, match="65535"):
        relay_ports(settings, impaired, 65534)


# --- field nodes behind a relay, end to end ----------------------------------------------------------------------


def run_behind_relays(prepared: Prepared, broker: Mosquitto, **options: object) -> tuple[BridgeRun, Relays]:
    """The bridge with in-process virtual nodes, the impaired ones through their relays (as demo-hil does)."""
    signer = Signer.generate("drill")
    impairments = resolve_impairments(prepared)

    async def scenario() -> tuple[BridgeRun, Relays]:
        async with Relays(impairments, broker.address()) as relays:
            agents = [
                NodeAgent(
                    virtual_config(
                        node,
                        relays.address(node, broker.address(node)),
                        signer,
                        IMPAIRED_RECONNECT_MAX_S if node in impairments else None,
                    )
                )
                for node in ("pi-01", "pi-02")
            ]
            async with asyncio.TaskGroup() as tasks:
                running = [tasks.create_task(agent.run()) for agent in agents]
                for agent in agents:
                    await asyncio.wait_for(agent.connected.wait(), WAIT_S)
                bridge = field_bridge(prepared, signer, broker, **options)
                relays.attach(bridge)
                async with asyncio.timeout(BRIDGE_RUN_S):
                    record = await bridge.run()
                for task in running:
                    task.cancel()
            for agent in agents:
                agent.close()
            return record, relays

    return asyncio.run(scenario())


def test_a_node_behind_a_relay_comes_back_through_it_after_the_broker_is_killed(broker_factory) -> None:
    broker = broker_factory(["pi-01"])
    signer = Signer.generate("drill")

    async def scenario() -> int:
        async with Relays({"pi-01": Impairment(delay=0.05)}, broker.address()) as relays:
            config = virtual_config("pi-01", relays.address("pi-01", broker.address("pi-01")), signer, 0.5)
            agent = NodeAgent(config)
            task = asyncio.get_running_loop().create_task(agent.run())
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)
            broker.kill()  # the relay's broker side breaks: its node side goes with it
            await until(lambda: not agent.connected.is_set(), WAIT_S)
            await asyncio.sleep(1.0)  # meanwhile each try through the relay finds no broker
            broker.start()
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            agent.close()
            return relays.relays["pi-01"].counts.connections

    assert asyncio.run(scenario()) >= 2


def test_a_270_ms_hop_adds_270_ms_to_the_loopback_receipt_latency(tmp_path: Path, broker_factory) -> None:
    """pi-01 behind a constant 270 ms one-way delay (a GEO hop), pi-02 on plain loopback in the same run."""
    broker = broker_factory(["pi-01", "pi-02"])
    prepared = impaired_scenario(tmp_path, {"pi-01": "{delay: 0.27}"}, link_latency_s=0.0)

    record, _ = run_behind_relays(prepared, broker, sync_samples=4)

    report = build_report(record)
    rows = {row.field_node: row for row in report.deliveries}
    loopback_ms = rows["pi-02"].receipt_latency_ms
    assert loopback_ms is not None and rows["pi-01"].receipt_latency_ms is not None
    assert rows["pi-01"].receipt_latency_ms - loopback_ms == pytest.approx(270, rel=0.1)
    assert rows["pi-01"].offset_uncertainty_ms > 250  # its clock sync saw the 540 ms round trip ...
    assert abs(rows["pi-01"].offset_ms) < 10  # ... yet symmetric: the offset is still right (same clock)
    nodes = {node.field_node: node for node in report.nodes}
    assert nodes["pi-01"].impairment == "delay=constant(0.27)s" and nodes["pi-02"].impairment is None


def test_a_20_s_outage_delays_the_alert_by_the_outage_and_loses_nothing(tmp_path: Path, broker_factory) -> None:
    """The link of pi-01 is down from 0.5 s to 20.5 s after the scenario starts; the alert goes at 1 s."""
    broker = broker_factory(["pi-01", "pi-02"])
    outage = "{outages: [{start_s: 0.5, end_s: 20.5}]}"
    prepared = impaired_scenario(tmp_path, {"pi-01": outage}, issue_s=1.0, duration_s=2.0, link_latency_s=0.0)

    record, relays = run_behind_relays(prepared, broker, ack_deadline_s=60.0, sync_samples=2)

    report = build_report(record)
    rows = {row.field_node: row for row in report.deliveries}
    assert report.totals.lost == 0 and {r.outcome for r in rows.values()} == {"actuated"}
    delayed_s = (rows["pi-01"].receipt_latency_ms - rows["pi-02"].receipt_latency_ms) / 1000
    remaining_s = 20.5 - rows["pi-01"].sim_arrival_s  # published at its arrival, 19.5 s before the link is back
    assert remaining_s - 0.2 < delayed_s < remaining_s + IMPAIRED_RECONNECT_MAX_S + 1.0
    assert relays.relays["pi-01"].counts.cut == 1  # cut once; its reconnections refused until the end


# --- the commands ------------------------------------------------------------------------------------------------


def test_the_bridge_command_puts_impaired_node_processes_behind_relays_on_fixed_ports(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    """pi-01 is told (as provision writes its node.toml) to connect to --relay-port + 0; the bridge listens there."""
    broker = broker_factory(["pi-01", "pi-02"])
    key, _ = generate_key(tmp_path / "keys", "drill")
    signer = Signer.from_file(key)
    prepared = impaired_scenario(tmp_path, {"pi-01": "{delay: 0.05}"}, link_latency_s=0.0)
    relay_port = free_port()
    behind, plain = (NodeProcess(tmp_path, broker, n, signer, reconnect_max_s=1.0) for n in ("pi-01", "pi-02"))
    behind.config.write_text(behind.config.read_text().replace(f":{broker.port}", f":{relay_port}"))
    node_processes += [behind.start(), plain.start()]  # pi-01 is refused until the bridge's relay listens
    url = f"mqtt://bridge:{broker.address().password}@127.0.0.1:{broker.port}"
    done = cli(
        "bridge", prepared.source or "", "--broker", url, "--key", key, "--relay-port", relay_port,
        "--presence-wait", "60", "--out", tmp_path / "out",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + behind.log()
    assert f"pi-01: through the relay on 127.0.0.1:{relay_port} (delay=constant(0.05)s)" in done.stderr
    with (tmp_path / "out" / "hil_nodes.csv").open() as handle:
        nodes = {row["field_node"]: row for row in csv.DictReader(handle)}
    assert (nodes["pi-01"]["impairment"], nodes["pi-02"]["impairment"]) == ("delay=constant(0.05)s", "")
    assert nodes["pi-01"]["actuated"] == nodes["pi-02"]["actuated"] == "1"
    assert "pi-01 behind a relay: delay=constant(0.05)s" in " ".join(done.stdout.split())


def test_provision_points_an_impaired_node_at_its_relay(tmp_path: Path) -> None:
    prepared = impaired_scenario(tmp_path, {"pi-02": "{bandwidth_bps: 9600}"})
    done = cli("provision", prepared.source or "", "--out", tmp_path / "field", "--broker-host", "127.0.0.1",
               "--relay-port", "20000")  # fmt: skip
    assert done.returncode == 0, done.stderr
    urls = {n: tomllib.loads((tmp_path / "field" / "nodes" / n / "node.toml").read_text())["broker"]["url"]
            for n in ("pi-01", "pi-02")}  # fmt: skip
    assert urls == {"pi-01": "mqtt://127.0.0.1:1883", "pi-02": "mqtt://127.0.0.1:20001"}
    assert "through the bridge's relay on 127.0.0.1:20001 (bandwidth=9600bps" in done.stdout


def test_demo_hil_runs_virtual_nodes_behind_their_relays(tmp_path: Path) -> None:
    prepared = impaired_scenario(tmp_path, {"pi-01": "{delay: {kind: uniform, low: 0.05, high: 0.1}}"})
    done = cli("demo-hil", prepared.source or "", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "hil_report.json").read_text())
    impairments = {n["field_node"]: n["impairment"] for n in report["nodes"]}
    assert impairments == {"pi-01": "delay=uniform(0.05,0.1)s", "pi-02": None}
    rows = {d["field_node"]: d for d in report["deliveries"]}
    assert rows["pi-01"]["receipt_latency_ms"] > 50 and report["totals"]["lost"] == 0


def test_bad_impair_settings_are_invalid_input_naming_the_field(tmp_path: Path) -> None:
    done = cli("validate", impaired_file(tmp_path, {"pi-01": "{delay: -1}", "pi-02": "from_satellite"}))
    assert done.returncode == 2
    assert "field_nodes.bindings[0].impair.delay: Input should be greater than or equal to 0" in done.stderr
    assert "field_nodes.bindings[1].impair: 'from_satellite' is not allowed" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_readme_example_of_link_conditions_is_valid_for_the_field_drill(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("  field_nodes:\n    ack_deadline_s: 60")
    example = yaml.safe_load(textwrap.dedent(readme[start : readme.index("```", start)]))
    drill = yaml.safe_load((SCENARIOS / "field_nodes_missile_drill.yaml").read_text()) | example
    path = tmp_path / "drill.yaml"
    path.write_text(yaml.safe_dump(drill, allow_unicode=True))
    impairments = resolve_impairments(load_text(path.read_text(), str(path)))
    assert impairments["pi-hachinohe-siren"].describe() == "delay=constant(0.27)s bandwidth=64000bps"
    assert impairments["pi-hachinohe-indoor"].describe() == "outages=30-50s"
    assert impairments["pi-misawa-siren"].delay == Uniform(low=0.5, high=1.5)  # municipal disaster radio (media.toml)


def test_from_medium_on_a_node_nothing_leads_into_stops_the_commands_with_exit_2(tmp_path: Path) -> None:
    scenario = impaired_file(tmp_path, {"pi-01": "from_medium"})
    scenario.write_text(scenario.read_text().replace("{node: spk-pi-01,", "{node: centre,"))
    commands = (["validate", scenario], ["provision", scenario, "--out", tmp_path / "field"], ["demo-hil", scenario])
    for command in commands:
        done = cli(*command)
        assert done.returncode == 2, done.stderr
        assert "field_nodes.bindings[0].impair: from_medium: no link leads into centre" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_node_over_mutual_tls_connects_through_its_relay(tmp_path: Path) -> None:
    """The relay passes TLS through untouched: a node provisioned for mutual TLS behind a relay connects."""
    from lalert_sim.hil import provision as provisioning

    if "mutual" not in inspect.signature(provisioning.provision).parameters:
        pytest.skip("needs provision --tls")
    from tests.hil.tls_support import provisioned, running_broker  # type: ignore[import-not-found]

    relay_port = free_port()
    done = provisioned(tmp_path / "field", ["pi-01"], mutual=True)
    toml = done.node_dirs["pi-01"] / "node.toml"
    broker_port = int(done.broker_url.rsplit(":", 1)[1])
    toml.write_text(toml.read_text().replace(f":{broker_port}", f":{relay_port}"))
    config = load_node_config(toml)

    async def scenario(broker: Mosquitto) -> int:
        impairment = {"pi-01": Impairment(delay=0.05)}
        async with Relays(impairment, broker.address(), ports={"pi-01": relay_port}) as relays:
            agent = NodeAgent(config)
            task = asyncio.get_running_loop().create_task(agent.run())
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            agent.close()
            return relays.relays["pi-01"].counts.connections

    with running_broker(done, ["pi-01"]) as broker:
        assert asyncio.run(scenario(broker)) >= 1
