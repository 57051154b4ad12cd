"""`lalert-sim demo-hil`: the bridge and N virtual field nodes on one laptop, no hardware, no broker
installed (an embedded amqtt broker with the same credentials and ACL), or a local Mosquitto."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.bridge import Bridge, BridgeOptions, BridgeRun
from lalert_sim.hil.broker import BRIDGE_USER, BrokerAddress, EmbeddedBroker, Mosquitto, free_port
from lalert_sim.hil.impair import IMPAIRED_RECONNECT_MAX_S, Relays, resolve_impairments
from lalert_sim.hil.node_config import NodeConfig, load_node_config
from lalert_sim.hil.protocol import Signer
from lalert_sim.hil.provision import provision
from lalert_sim.model.alerts import AlertMode
from lalert_sim.model.field_nodes import Binding, FieldNodes
from lalert_sim.model.network import NodeKind
from lalert_sim.prepare import Prepared


def with_virtual_nodes(prepared: Prepared, count: int | None) -> Prepared:
    """The scenario's own bindings, or ``count`` virtual nodes bound round-robin to its emitters."""
    settings = prepared.scenario.field_nodes
    if settings is not None and (count is None or count == len(settings.field_node_ids())):
        return prepared
    emitters = [n.id for n in prepared.topology.nodes.values() if n.kind is NodeKind.EMITTER]
    if not emitters:
        raise ValueError("the scenario has no emitters to bind virtual nodes to")
    count = count or min(len(emitters), 8)
    width = len(str(count))
    bindings = [
        Binding(node=emitters[k % len(emitters)], field_node=f"virtual-{k + 1:0{width}d}") for k in range(count)
    ]
    base = settings or FieldNodes(bindings=bindings)
    scenario = prepared.scenario.model_copy(update={"field_nodes": base.model_copy(update={"bindings": bindings})})
    return dataclasses.replace(prepared, scenario=scenario)


def fan_out_scenario(
    field_nodes: Sequence[str],
    *,
    issue_s: float = 1.0,
    duration_s: float = 3.0,
    mode: AlertMode = AlertMode.EXERCISE,
    headline: str = "",
    link_latency_s: float | None = None,
    ack_deadline_s: float = 10.0,
    speed: float = 1.0,
    group: str | Mapping[str, str] | None = None,
    delivery: str = "group",
) -> str:
    """Scenario YAML: a J-Alert centre feeding one loudspeaker group per field node over one terrestrial
    hop, and a missile alert (the small world of the field-node tests and bench); ``group``: every
    binding in that one delivery group, or each field node's group (default: one per loudspeaker group)."""
    speakers = [f"spk-{node}" for node in field_nodes]
    nodes = "\n".join(f"    - {{id: {s}, kind: emitter, channel: outdoor_loudspeaker}}" for s in speakers)
    groups = {n: group for n in field_nodes} if isinstance(group, str) or group is None else group
    bindings = "\n".join(
        f"    - {{node: spk-{n}, field_node: {n}{'' if groups.get(n) is None else f', group: {groups[n]}'}}}"
        for n in field_nodes
    )
    latency = "" if link_latency_s is None else f", latency_s: {link_latency_s}"
    return f"""
metadata: {{name: field-node fan-out}}
duration_s: {duration_s}
topology:
  nodes:
    - {{id: centre, kind: origin, system: j_alert}}
{nodes}
  links:
    - {{id: fan, medium: terrestrial_gov, source: centre, targets: [{", ".join(speakers)}], loss: 0{latency}}}
alerts:
  - {{id: drill, system: j_alert, category: ballistic_missile, mode: {mode.value}, issue_s: {issue_s},
      headline: {json.dumps(headline, ensure_ascii=False)}}}
field_nodes:
  delivery: {delivery}
  speed: {speed}
  ack_deadline_s: {ack_deadline_s}
  bindings:
{bindings}
"""


def virtual_config(
    node_id: str, address: BrokerAddress, signer: Signer, reconnect_max_s: float | None = None, **extra: object
) -> NodeConfig:
    """A node on gpiozero's mock pins with short patterns, trusting ``signer`` (reconnecting at most
    ``reconnect_max_s`` apart when given)."""
    broker: dict[str, object] = {"url": address.url(), "username": address.username, "password": address.password}
    if address.tls is not None:  # the files the node checks the broker with (and, mutual, proves itself with)
        files = {"ca_file": address.tls.ca_file, "cert_file": address.tls.cert_file, "key_file": address.tls.key_file}
        broker |= {name: str(path) for name, path in files.items() if path is not None}
    if reconnect_max_s is not None:
        broker |= {"reconnect_min_s": min(0.5, reconnect_max_s), "reconnect_max_s": reconnect_max_s}
    return NodeConfig.model_validate(
        {
            "node_id": node_id,
            "broker": broker,
            "keys": {signer.key_id: signer.public_key_text()},
            "outputs": {"mock": True},
            "pattern_scale": 0.05,
            **extra,
        }
    )


async def demo(
    prepared: Prepared,
    options: BridgeOptions,
    use_mosquitto: bool = False,
    log: Callable[[str], None] | None = None,
    on_bridge: Callable[[Bridge], None] | None = None,
    tls: TlsMode | None = None,
) -> BridgeRun:
    """Start a broker and one virtual node per field node, run the bridge, stop everything. ``tls``: a local
    Mosquitto over TLS, every file made as ``provision --tls`` (``mutual``: ``--mutual``) makes it."""
    settings = prepared.scenario.field_nodes
    assert settings is not None
    node_ids = settings.field_node_ids()
    groups = settings.memberships()  # each virtual node subscribes to its bindings' groups, as provision writes
    if tls is not None:
        with tempfile.TemporaryDirectory(prefix="lalert-demo-tls-") as folder:
            return await _over_tls(prepared, options, groups, Path(folder), tls, log, on_bridge)
    signer = Signer.generate("demo")
    if use_mosquitto:
        broker = Mosquitto(node_ids, groups=groups).start()
        try:
            return await _run(prepared, options, signer, groups, broker.address, log, on_bridge)
        finally:
            broker.close()
    async with EmbeddedBroker(node_ids, groups=groups) as embedded:
        return await _run(prepared, options, signer, groups, embedded.address, log, on_bridge)


TlsMode = Literal["tls", "mutual"]
"""TLS for ``demo``: the broker's certificate checked, passwords kept (``tls``), or client certificates (``mutual``)."""


async def _over_tls(
    prepared: Prepared,
    options: BridgeOptions,
    groups: dict[str, list[str]],
    folder: Path,
    mode: TlsMode,
    log: Callable[[str], None] | None,
    on_bridge: Callable[[Bridge], None] | None,
) -> BridgeRun:
    """``demo`` on a Mosquitto TLS listener, with an authority, certificates, node.toml files and a key
    provisioned into ``folder`` for 127.0.0.1 (what `provision --tls` writes for a real deployment)."""
    node_ids = list(groups)
    mutual = mode == "mutual"
    done = provision(
        node_ids, folder, "127.0.0.1", free_port(), "demo", mock=True, groups=groups, tls=True, mutual=mutual,
        bind="127.0.0.1",
    )  # fmt: skip
    broker = done.mosquitto(node_ids).start()
    nodes = {n: load_node_config(done.node_dirs[n] / "node.toml").broker_address() for n in node_ids}
    bridge = done.bridge_address()

    def address(who: str) -> BrokerAddress:
        return bridge if who == BRIDGE_USER else nodes[who]

    try:
        return await _run(prepared, options, Signer.from_file(done.key), groups, address, log, on_bridge)
    finally:
        broker.close()


async def _run(
    prepared: Prepared,
    options: BridgeOptions,
    signer: Signer,
    groups: dict[str, list[str]],
    address: Callable[[str], BrokerAddress],
    log: Callable[[str], None] | None,
    on_bridge: Callable[[Bridge], None] | None,
) -> BridgeRun:
    impairments = resolve_impairments(prepared, options.speed)
    async with Relays(impairments, address("bridge"), prepared.scenario.seed) as relays:
        reconnect = {n: IMPAIRED_RECONNECT_MAX_S for n in relays.relays}  # behind a relay: back soon after an outage
        agents = [
            NodeAgent(virtual_config(n, relays.address(n, address(n)), signer, reconnect.get(n), groups=names))
            for n, names in groups.items()
        ]
        try:
            async with asyncio.TaskGroup() as nodes:
                running = [nodes.create_task(agent.run()) for agent in agents]
                async with asyncio.timeout(30):
                    for agent in agents:
                        await agent.connected.wait()
                bridge = Bridge(prepared, signer, address("bridge"), options, log)
                relays.attach(bridge, log)
                if on_bridge is not None:
                    on_bridge(bridge)
                record = await bridge.run()
                for task in running:
                    task.cancel()
            return record
        finally:
            for agent in agents:
                agent.close()
