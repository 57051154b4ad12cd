"""Field-node latency on loopback, in one run against one Mosquitto:

1. round trip: the broker alone (an echo client republishing each message as it comes) beside
   the bridge's path (signed alert → field-node agent verifies, actuates its mock siren, acks →
   the ack parsed), interleaved in blocks; target: the bridge adds at most 0.5 ms at p50;
2. the floor: one signed QoS 1 message on one shared group topic to N subscribers on a minimal
   MQTT client (a few dozen lines over asyncio streams) that verify its Ed25519 signature and
   answer PUBACK; publish → verified, per subscriber;
3. fan-out: one alert from the real bridge to N node agents (several processes) in delivery
   groups; first publish → actuation, against the floor (target p99 ≤ 1.5× the floor's p99) and
   the bridge's publish span (first to last publish; target ≤ 10 ms);
4. node CPU per alert: process CPU time over a burst of alerts minus the same span idle, per alert
   and node, against a bare Ed25519 verification (target ≤ 3×), twice: for a single node alone in
   its own process (what a Raspberry Pi, which runs one agent, pays: the figure the target is
   judged on; the bare verification measured in that same process), with the floor's minimal
   client, one subscriber per process, on the same alerts beside it; and for the fan-out's
   processes of many virtual nodes each, where 250 nodes share each turn of the event loop and
   run the same code while it is in the CPU's caches (so a node there costs less than alone).

    python bench/bench_field_nodes.py [--pings 2000] [--nodes 1000] [--processes 4] [--groups 1]
                                      [--solo 4] [--solo-alerts 20] [--profile DIR]

Needs mosquitto (apt install mosquitto) and the hil extra.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import dataclasses
import gc
import json
import os
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.bridge import Bridge, BridgeOptions
from lalert_sim.hil.broker import BrokerAddress, Mosquitto
from lalert_sim.hil.demo import fan_out_scenario, virtual_config
from lalert_sim.hil.latency import Percentiles, ms
from lalert_sim.hil.protocol import (
    _SIGNING_CONTEXT,
    Ack,
    AlertPayload,
    Outcome,
    SignedAlert,
    Signer,
    Topic,
    any_node,
    group_topic,
    new_message_id,
    parse_public_key,
    topic,
)
from lalert_sim.hil.report import build_report
from lalert_sim.hil.transport import Session
from lalert_sim.model.alerts import AlertCategory, AlertMode
from lalert_sim.prepare import load_text

ECHO, NODE = "echo-01", "bench-01"
CPU_ALERTS = 5  # alerts of the fan-out processes' CPU burst, one every CPU_GAP_S
CPU_GAP_S = 1.0
SOLO_GROUP = "bench-solo"  # the single-node processes' own group: the fan-out's nodes do not read it


# --- a minimal MQTT 3.1.1 subscriber (the floor) ---------------------------------------------------------------


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _packet(kind: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([kind]) + bytes(encoded) + body


async def _read_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    header = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return header, await reader.readexactly(length)


async def minimal_subscriber(
    url: str, topic_name: str, key: Ed25519PublicKey, times: list[float], ready: asyncio.Event, rounds: int
) -> None:
    """Connect (clean session), subscribe with QoS 1, and for each PUBLISH: verify, stamp, PUBACK."""
    address = BrokerAddress.parse(url)
    reader, writer = await asyncio.open_connection(address.host, address.port)
    user = address.username or ""
    flags = 0xC2  # user name, password, clean session
    body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 60)
    body += _string(user) + _string(user) + _string(address.password or "")
    writer.write(_packet(0x10, body))
    header, _ = await _read_packet(reader)
    assert header == 0x20, "no CONNACK"
    writer.write(_packet(0x82, struct.pack("!H", 1) + _string(topic_name) + b"\x01"))
    header, granted = await _read_packet(reader)
    assert header == 0x90 and granted[-1] == 1, f"SUBACK {granted!r}"
    ready.set()
    for _ in range(rounds):
        header, body = await _read_packet(reader)
        while header >> 4 != 3:  # not a PUBLISH (e.g. a PINGRESP)
            header, body = await _read_packet(reader)
        name_length = struct.unpack_from("!H", body)[0]
        packet_id = body[2 + name_length : 4 + name_length]
        signed = json.loads(body[4 + name_length :])
        key.verify(base64.b64decode(signed["signature"]), _SIGNING_CONTEXT + signed["payload"].encode())
        times.append(time.time())
        writer.write(b"\x40\x02" + packet_id)
    writer.close()


async def floor_clients(pairs: list[tuple[str, str]], public: str, rounds: int, out: str) -> None:
    """One process's share of the floor's subscribers (url, group); writes their receipt stamps to ``out``."""
    key = parse_public_key(public)
    times: list[float] = []
    readies = [asyncio.Event() for _ in pairs]
    tasks = [
        asyncio.create_task(minimal_subscriber(u, group_topic(g), key, times, r, rounds))
        for (u, g), r in zip(pairs, readies, strict=True)
    ]
    for ready in readies:
        await ready.wait()
    Path(out + ".ready").write_text("")
    await asyncio.gather(*tasks)
    Path(out).write_text(json.dumps(times))


# --- node agents -----------------------------------------------------------------------------------------------


async def agents(
    urls: list[str],
    key_id: str,
    public: str,
    groups: list[str],
    profile: str | None = None,
    bare_out: str | None = None,
) -> None:
    """Node agents (one per url) in this process until stopped (SIGTERM), with real-length patterns.

    Once all are connected the start-up heap is frozen (``gc.freeze``): the collector's full passes
    then skip what the 250 nodes sharing this process were built with, which on a Pi holding one
    node is a 250th of it. With ``profile`` their work from then on is profiled (cProfile) into
    that file when the process is stopped; with ``bare_out`` the CPU seconds of a bare verification
    in this same process are written there once stopped (the reference of its CPU per alert)."""
    tasks, nodes = [], []
    for url, group in zip(urls, groups, strict=True):
        address = BrokerAddress.parse(url)
        config = virtual_config(address.username or "", address, Signer.generate(key_id), groups=[group])
        config = config.model_copy(update={"keys": {key_id: public}, "pattern_scale": 1.0})
        nodes.append(agent := NodeAgent(config))
        tasks.append(asyncio.get_running_loop().create_task(agent.run()))
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    for agent in nodes:
        await agent.connected.wait()
    gc.freeze()
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU time: waits do not count
    if profiler is not None:
        profiler.enable()
    await stopped.wait()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=5)  # each says it goes offline
    if bare_out is not None:
        Path(bare_out).write_text(json.dumps(bare_verify_s(Signer.generate(key_id))))


async def echo(address: BrokerAddress) -> None:
    """The broker alone: republish each message from our alert topic to our ack topic, untouched."""
    async with Session(address) as session:
        await session.subscribe((topic(ECHO, Topic.ALERT), 1))
        async for message in session.messages():
            await session.publish(topic(ECHO, Topic.ACK), message.payload, 1)


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, *args], start_new_session=True)


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGTERM)
    for child in children:
        child.wait(10)
    children.clear()


def cpu_s(pid: int) -> float:
    """CPU seconds of a process so far, all its threads: the scheduler's nanosecond run time
    (``/proc/PID/task/*/schedstat``), as ``time.process_time`` counts it inside the process; where
    the kernel has no schedstat, user + system time in clock ticks (``/proc/PID/stat``). A single
    node's share of a burst is a few milliseconds, below what ticks resolve."""
    try:
        return sum(int((t / "schedstat").read_text().split()[0]) for t in Path(f"/proc/{pid}/task").iterdir()) / 1e9
    except (OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: Iterable[float | None]) -> str:
    figures = Percentiles.of([v for v in values if v is not None])
    return "" if figures is None else "  ".join(f"{k} {v:7.3f}" for k, v in dataclasses.asdict(figures).items())


def p99(values: list[float]) -> float:
    figures = Percentiles.of(values)
    assert figures is not None, "no values"
    return figures.p99


def median(values: list[float]) -> float:
    figures = Percentiles.of(values)
    assert figures is not None, "no values"
    return figures.p50


def signed_alert(
    signer: Signer, category: AlertCategory, nodes: tuple[str, ...] = (), groups: tuple[str, ...] = ()
) -> bytes:
    now = time.time()
    return signer.sign(
        AlertPayload(
            msg_id=new_message_id(),
            nodes=nodes,
            groups=groups,
            alert_id="bench",
            category=category,
            mode=AlertMode.TEST,
            headline="bench",
            issued_at=now,
            expires_at=now + 60,
            sim_issue_s=0.0,
        )
    )


def bare_verify_s(signer: Signer, count: int = 2000) -> float:
    """CPU seconds of one Ed25519 verification of a signed alert's bytes (the floor of a node's work)."""
    signed = SignedAlert.model_validate_json(signed_alert(signer, AlertCategory.TEST, groups=("g",)))
    signature, data = base64.b64decode(signed.signature), _SIGNING_CONTEXT + signed.payload.encode()
    key = signer.key.public_key()
    started = time.process_time()
    for _ in range(count):
        key.verify(signature, data)
    return (time.process_time() - started) / count


async def handling_s(signer: Signer, state_dir: Path, count: int = 1000) -> float:
    """CPU seconds of one node agent's own work per alert (verify, actuate, journal, event log, the Ack
    built and serialised, the line's work after it), without the MQTT client: a missile alert for its group."""
    address = BrokerAddress()
    config = virtual_config("cpu-01", address, signer, groups=["g"], pattern_scale=1.0, state_dir=str(state_dir))
    agent = NodeAgent(config)
    wires = [signed_alert(signer, AlertCategory.BALLISTIC_MISSILE, groups=("g",)) for _ in range(count)]
    started = time.process_time()
    for wire in wires:
        ack = agent.handle_alert(wire, time.time(), "g")
        assert ack is not None and ack.outcome is Outcome.ACTUATED
        agent.after_ack()
    spent = (time.process_time() - started) / count
    agent.close()
    return spent


async def round_trips(broker: Mosquitto, signer: Signer, pings: int, blocks: int = 10) -> dict[str, list[float]]:
    """Interleaved blocks of ping-pong through the echo client and through the field-node agent."""
    times: dict[str, list[float]] = {"broker": [], "bridge": []}
    async with Session(broker.address()) as session:
        await session.subscribe((topic(NODE, Topic.STATUS), 1))
        async with asyncio.timeout(120):  # the node agent's process has started and subscribed
            async for message in session.messages():
                if b'"online"' in message.payload:
                    break
    async with Session(broker.address()) as session:
        await session.subscribe((topic(ECHO, Topic.ACK), 1), (topic(NODE, Topic.ACK), 1))
        queue: asyncio.Queue[bytes] = asyncio.Queue()

        async def pump() -> None:
            async for message in session.messages():
                queue.put_nowait(message.payload)

        pumping = asyncio.create_task(pump())

        async def reply() -> bytes:
            return await asyncio.wait_for(queue.get(), 30)

        async with asyncio.timeout(120):  # the echo client has started and subscribed
            while True:
                await session.publish(topic(ECHO, Topic.ALERT), b"ready?", 1)
                try:
                    await asyncio.wait_for(queue.get(), 1)
                    break
                except TimeoutError:
                    continue

        async def once(kind: str) -> None:
            if kind == "broker":
                started = time.perf_counter()
                await session.publish(topic(ECHO, Topic.ALERT), b"x" * 420, 1)  # the size of a signed alert
                await reply()
            else:  # the bridge signs at the alert's issue, ahead of its arrival at the bound node
                wire = signed_alert(signer, AlertCategory.TEST, nodes=(NODE,))
                started = time.perf_counter()
                await session.publish(topic(NODE, Topic.ALERT), wire, 1)
                ack = Ack.model_validate_json(await reply())
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
        pumping.cancel()
    return times


async def publish_floor(broker: Mosquitto, signer: Signer, groups: list[str], rounds: int) -> list[float]:
    """Publish ``rounds`` times one signed alert to each group (a round every 0.5 s); when each round began."""
    starts = []
    async with Session(broker.address()) as session:
        for _ in range(rounds):
            wires = [(g, signed_alert(signer, AlertCategory.TEST, groups=(g,))) for g in groups]
            starts.append(time.time())
            for group, wire in wires:
                await session.publish(group_topic(group), wire, 1)
            await asyncio.sleep(0.5)
    return starts


@dataclasses.dataclass(frozen=True)
class Measured:
    """Processes whose CPU a burst measures, and how many nodes they hold together."""

    label: str
    pids: list[int]
    nodes: int


async def cpu_burst(
    broker: Mosquitto,
    signer: Signer,
    groups: list[str],
    acks_per_alert: int,
    measured: list[Measured],
    alerts: int = CPU_ALERTS,
    warm_up: bool = False,
) -> dict[str, float]:
    """CPU seconds of each set of processes over ``alerts`` alerts to every group (one every
    CPU_GAP_S), all acked, minus the same span idle afterwards: per alert and node, by label. With
    ``warm_up`` one alert goes first, unmeasured (as the fan-out's alert goes before the burst of
    its nodes): a process's first alert runs code for the first time."""

    def cpu(pids: list[int]) -> float:
        return sum(cpu_s(p) for p in pids)

    async with Session(broker.address()) as session:
        await session.subscribe((any_node(Topic.ACK), 1))
        acks = 0

        async def count() -> None:
            nonlocal acks
            async for _ in session.messages():
                acks += 1

        counter = asyncio.create_task(count())
        if warm_up:
            for group in groups:
                await session.publish(group_topic(group), signed_alert(signer, AlertCategory.TEST, groups=(group,)), 1)
            async with asyncio.timeout(60):
                while acks < acks_per_alert:
                    await asyncio.sleep(0.05)
            acks = 0
        await asyncio.sleep(2.0)  # the drill's pattern is cut by the first alert; let earlier work settle
        before, started = [cpu(m.pids) for m in measured], time.monotonic()
        for _ in range(alerts):
            for group in groups:
                await session.publish(group_topic(group), signed_alert(signer, AlertCategory.TEST, groups=(group,)), 1)
            await asyncio.sleep(CPU_GAP_S)
        async with asyncio.timeout(60):
            while acks < alerts * acks_per_alert:
                await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # the last pattern (1 s) and the status update (1 s after) are part of it
        span = time.monotonic() - started
        busy = [cpu(m.pids) - b for m, b in zip(measured, before, strict=True)]
        before = [cpu(m.pids) for m in measured]
        await asyncio.sleep(span)
        idle = [cpu(m.pids) - b for m, b in zip(measured, before, strict=True)]
        counter.cancel()
    figures = {}
    for m, b, i in zip(measured, busy, idle, strict=True):
        print(f"  CPU of {m.label}: {b:.3f} s with alerts, {i:.3f} s idle over {span:.1f} s")
        figures[m.label] = (b - i) / (alerts * m.nodes)
    return figures


async def online(broker: Mosquitto, node_ids: list[str]) -> None:
    """Wait until every node in ``node_ids`` has published its online status."""
    waiting = set(node_ids)
    async with Session(broker.address()) as session:
        await session.subscribe(*((topic(n, Topic.STATUS), 1) for n in node_ids))
        async with asyncio.timeout(120):
            async for message in session.messages():
                if b'"online"' in message.payload:
                    waiting.discard(json.loads(message.payload)["node_id"])
                    if not waiting:
                        return


def solo_cpu(
    broker: Mosquitto, signer: Signer, solo_ids: list[str], minimal_ids: list[str], alerts: int, tmp: Path
) -> tuple[float, float, float]:
    """Single-node processes (one node agent each, as on a Pi) and as many single-subscriber
    processes of the floor's minimal client, given the same ``alerts`` alerts on their own group
    through the same broker, one every CPU_GAP_S: CPU seconds per alert and node of each, and the
    bare verification's CPU seconds measured inside the agents' processes (median)."""
    children, minimal, outs = [], [], []
    try:
        for node_id in solo_ids:
            outs.append(out := tmp / f"bare-{node_id}.json")
            url = broker.address(node_id).url(credentials=True)
            key, public = signer.key_id, signer.public_key_text()
            children.append(spawn("--bare-out", str(out), "--agents", key, public, f"{url}={SOLO_GROUP}"))
        readies = []
        for node_id in minimal_ids:  # it stays subscribed until stopped
            readies.append(ready := tmp / f"minimal-{node_id}.json")
            url = broker.address(node_id).url(credentials=True)
            minimal.append(spawn("--floor", signer.public_key_text(), str(10**9), str(ready), f"{url}={SOLO_GROUP}"))
        asyncio.run(online(broker, solo_ids))
        deadline = time.monotonic() + 120
        while not all(Path(f"{r}.ready").exists() for r in readies):
            assert time.monotonic() < deadline, "minimal subscribers did not connect"
            time.sleep(0.1)
        measured = [
            Measured("the single-node agents' processes", [c.pid for c in children], len(solo_ids)),
            Measured("the single-subscriber minimal clients' processes", [c.pid for c in minimal], len(minimal_ids)),
        ]
        figures = asyncio.run(cpu_burst(broker, signer, [SOLO_GROUP], len(solo_ids), measured, alerts, True))
    finally:
        stop(children + minimal)
    bare = statistics.median(json.loads(o.read_text()) for o in outs)
    return figures[measured[0].label], figures[measured[1].label], bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=2000, help="round trips of part 1 (0: skip it)")
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--groups", type=int, default=1, help="delivery groups the nodes are split into")
    parser.add_argument("--floor-rounds", type=int, default=3)
    parser.add_argument("--solo", type=int, default=4, help="single-node processes of the CPU figure (0: skip it)")
    parser.add_argument("--solo-alerts", type=int, default=20, help="alerts to each single-node process")
    parser.add_argument("--echo", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", metavar="DIR", help="profile the fan-out's agent processes (cProfile: DIR/agents-K.prof)"
    )
    parser.add_argument("--agents", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", help=argparse.SUPPRESS)
    parser.add_argument("--bare-out", help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo:
        asyncio.run(echo(BrokerAddress.parse(args.echo)))
        return
    if args.agents:  # key id, public key, then url=group pairs
        pairs = [item.rsplit("=", 1) for item in args.agents[2:]]
        urls, groups = [u for u, _ in pairs], [g for _, g in pairs]
        asyncio.run(agents(urls, args.agents[0], args.agents[1], groups, args.profile_file, args.bare_out))
        return
    if args.floor:  # public key, rounds, out file, then url=group pairs
        public, rounds, out, *items = args.floor
        pairs = [(u, g) for u, g in (item.rsplit("=", 1) for item in items)]
        asyncio.run(floor_clients(pairs, public, int(rounds), out))
        return

    fan_ids = [f"fan-{k:04d}" for k in range(args.nodes)]
    group_of = {n: f"bench-{k % args.groups:02d}" for k, n in enumerate(fan_ids)}
    groups = sorted(set(group_of.values()))
    solo_ids = [f"solo-{k:02d}" for k in range(args.solo)]
    minimal_ids = [f"solo-m{k:02d}" for k in range(args.solo)]
    signer = Signer.generate("bench")
    share = -(-args.nodes // args.processes)
    children: list[subprocess.Popen[bytes]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        Mosquitto(
            [ECHO, NODE, *fan_ids, *solo_ids, *minimal_ids],
            Path(tmp),
            groups={**{n: [g] for n, g in group_of.items()}, **{n: [SOLO_GROUP] for n in solo_ids + minimal_ids}},
        ) as broker,
    ):
        try:
            print(f"mosquitto {broker.port} (pid {broker.pid}) on loopback; {os.cpu_count()} CPU cores")
            bare = bare_verify_s(signer)
            print(f"bare Ed25519 verification of a signed alert: {bare * 1e6:.1f} µs CPU")

            if args.pings:
                children.append(spawn("--echo", broker.address(ECHO).url(credentials=True)))
                children.append(
                    spawn(
                        "--agents",
                        signer.key_id,
                        signer.public_key_text(),
                        f"{broker.address(NODE).url(credentials=True)}=none",
                    )
                )
                times = asyncio.run(round_trips(broker, signer, args.pings))
                print(f"\nround trip, ms ({args.pings} each, interleaved blocks)")
                for kind, label in (("broker", "broker alone (echo client)"), ("bridge", "bridge → node → ack")):
                    print(f"  {label:28s} {percentiles(times[kind])}")
                added = median(times["bridge"]) - median(times["broker"])
                print(f"  bridge adds at p50: {added:.3f} ms (target ≤ 0.5 ms)")
                stop(children)

            # The floor: the same broker, users and ACL; a minimal client per node.
            outs = []
            for k in range(args.processes):
                chunk = fan_ids[k * share : (k + 1) * share]
                if not chunk:
                    continue
                out = str(Path(tmp) / f"floor-{k}.json")
                outs.append(out)
                pairs = [f"{broker.address(n).url(credentials=True)}={group_of[n]}" for n in chunk]
                children.append(spawn("--floor", signer.public_key_text(), str(args.floor_rounds), out, *pairs))
            deadline = time.monotonic() + 120
            while not all(Path(o + ".ready").exists() for o in outs):
                assert time.monotonic() < deadline, "floor subscribers did not connect"
                time.sleep(0.1)
            starts = asyncio.run(publish_floor(broker, signer, groups, args.floor_rounds))
            while not all(Path(o).exists() for o in outs):
                assert time.monotonic() < deadline, "floor subscribers did not finish"
                time.sleep(0.1)
            stop(children)
            stamps = sorted(t for o in outs for t in json.loads(Path(o).read_text()))
            rounds: list[list[float]] = [[] for _ in starts]
            for stamp in stamps:  # each stamp belongs to the latest publish before it
                index = max(i for i, s in enumerate(starts) if s <= stamp)
                rounds[index].append(ms(stamp - starts[index]))
            floors = [p99(r) for r in rounds]
            floor = sorted(floors)[len(floors) // 2]
            print(
                f"\nfloor: one QoS 1 message per shared group topic ({len(groups)}) "
                f"to {args.nodes} verifying minimal subscribers"
            )
            for k, figures in enumerate(rounds):
                print(f"  round {k + 1}: publish → verified, ms   {percentiles(figures)}")
            print(f"  floor p99 (median of {len(floors)} rounds): {floor:.1f} ms")

            # The real bridge to node agents.
            pids = []
            for k in range(args.processes):
                chunk = fan_ids[k * share : (k + 1) * share]
                if chunk:
                    pairs = [f"{broker.address(n).url(credentials=True)}={group_of[n]}" for n in chunk]
                    profiling = ("--profile-file", str(Path(args.profile) / f"agents-{k}.prof")) if args.profile else ()
                    children.append(spawn(*profiling, "--agents", signer.key_id, signer.public_key_text(), *pairs))
                    pids.append(children[-1].pid)
            source = str(Path(tmp) / "fan_out.yaml")
            text = fan_out_scenario(
                fan_ids, duration_s=2.5, mode=AlertMode.TEST, link_latency_s=1.0, ack_deadline_s=30, group=group_of
            )
            prepared = load_text(text, source)
            assert prepared.scenario.field_nodes is not None
            bridge = Bridge(
                prepared, signer, broker.address(), BridgeOptions.of(prepared.scenario.field_nodes, presence_wait_s=120)
            )
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
            messages = {(d.group, d.msg_id) for d in record.deliveries}
            print(
                f"\nfan-out: one alert from the bridge to {args.nodes} node agents in {args.processes} processes, "
                f"{len(groups)} group(s): {len(messages)} message(s) published "
                f"({time.perf_counter() - started:.1f} s with presence and clock sync)"
            )
            print(f"  actuated {len(rows)}, missed {report.totals.missed}")
            print(f"  publish → node receipt, ms        {percentiles(r.receipt_latency_ms for r in rows)}")
            print(f"  publish → actuation, ms           {percentiles(r.actuation_latency_ms for r in rows)}")
            print(f"  first publish → actuation, ms     {percentiles(from_first)}")
            real = p99(from_first)
            print(f"  p99 {real:.1f} ms = {real / floor:.2f}× the floor's {floor:.1f} ms (target ≤ 1.5×)")
            span = ms(max(d.published_at for d in record.deliveries) - first)
            print(f"  bridge publish span (first to last publish): {span:.2f} ms (target ≤ 10 ms)")

            print(f"\nnode CPU per alert (test alerts, one every {CPU_GAP_S:g} s; target ≤ 3× a bare verification)")
            print(
                f"  the fan-out's {args.processes} processes of about {share} nodes each, "
                f"{CPU_ALERTS} alerts to every node:"
            )
            label = f"the {len(pids)} agent processes"
            shared = asyncio.run(cpu_burst(broker, signer, groups, args.nodes, [Measured(label, pids, args.nodes)]))[
                label
            ]
            print(
                f"  whole agent process (MQTT client included), {share} nodes per process: {shared * 1e6:.1f} µs "
                f"per alert and node = {shared / bare:.2f}× a bare verification ({bare * 1e6:.1f} µs, this process)"
            )
            stop(children)
            if solo_ids:
                print(
                    f"  {len(solo_ids)} single-node processes (one agent each, as on a Pi), "
                    f"{args.solo_alerts} alerts each:"
                )
                solo, minimal, solo_bare = solo_cpu(broker, signer, solo_ids, minimal_ids, args.solo_alerts, Path(tmp))
                print(
                    f"  whole agent process (MQTT client included), 1 node per process: {solo * 1e6:.1f} µs per alert "
                    f"= {solo / solo_bare:.2f}× a bare verification in the same processes ({solo_bare * 1e6:.1f} µs)"
                    " — the target's figure"
                )
                print(
                    f"  the floor's minimal client, 1 subscriber per process, same alerts: {minimal * 1e6:.1f} µs "
                    f"per alert = {minimal / solo_bare:.2f}× the same bare verification"
                )
            own = asyncio.run(handling_s(signer, Path(tmp) / "cpu-state"))
            bare = bare_verify_s(signer)  # again, beside it
            print(
                f"  the agent's own handling (verify → actuate → journal → Ack, no MQTT): {own * 1e6:.1f} µs "
                f"= {own / bare:.2f}× a bare verification ({bare * 1e6:.1f} µs)"
            )
        finally:
            stop(children)


if __name__ == "__main__":
    main()
