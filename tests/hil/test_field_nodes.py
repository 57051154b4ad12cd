"""The bridge and field-node agents end to end, through a real Mosquitto on loopback."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from pathlib import Path

import aiomqtt
import pytest

from lalert_sim.hil.agent import NodeAgent, read_events
from lalert_sim.hil.bridge import Bridge, BridgeOptions, BridgeRun
from lalert_sim.hil.broker import Mosquitto
from lalert_sim.hil.demo import virtual_config
from lalert_sim.hil.protocol import AlertPayload, Signer, Status, Topic, new_message_id, topic
from lalert_sim.hil.report import build_report, write_report
from lalert_sim.model.alerts import AlertMode
from lalert_sim.prepare import Prepared
from tests.hil.conftest import NodeProcess, fan_out_scenario, field_ids


def run_bridge(prepared: Prepared, signer: Signer, broker: Mosquitto, **options: object) -> BridgeRun:
    settings = prepared.scenario.field_nodes
    assert settings is not None
    bridge = Bridge(prepared, signer, broker.address(), BridgeOptions.of(settings, presence_wait_s=60, **options))
    return asyncio.run(bridge.run())


def by_node(report: dict) -> dict[str, dict]:
    return {row["field_node"]: row for row in report["deliveries"]}


def test_twenty_node_processes_receive_and_acknowledge(tmp_path: Path, broker_factory, node_processes) -> None:
    ids = field_ids(20)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in ids]
    prepared = fan_out_scenario(tmp_path, ids)

    report = build_report(run_bridge(prepared, signer, broker))

    assert [n["field_node"] for n in report["nodes"]] == ids  # a row per node
    assert all(n["presence"] == "online" and n["actuated"] == 1 and n["missed"] == 0 for n in report["nodes"]), [
        p.log() for p in node_processes if "error" in p.log().lower()
    ]
    for row in report["deliveries"]:
        # Node stamps on the bridge's clock (± the offset's bound): after publishing, before the ack came back.
        bound = row["offset_uncertainty_ms"]
        assert -bound < row["receipt_latency_ms"] <= row["actuation_latency_ms"] < row["ack_round_trip_ms"] + bound
        assert row["ack_round_trip_ms"] < 2000
        assert abs(row["offset_ms"]) <= row["offset_uncertainty_ms"] + 1.0  # same machine: true offset 0
        assert row["publish_lag_ms"] < 500
        assert row["sim_arrival_s"] > 1.0  # the alert issued at 1 s reached the loudspeakers after the hop
    # Each node process really switched its (mock) siren pin.
    for process in node_processes:
        events = read_events(process.directory / "state")
        assert any(e["event"] == "output" and e["output"] == "siren" and e["on"] for e in events)
    written = write_report(report, tmp_path / "out")
    with written[2].open() as handle:
        assert len(list(csv.DictReader(handle))) == 20


def test_a_node_killed_for_30_s_gets_the_alert_sent_while_it_was_down(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    ids = field_ids(2)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in ids]
    victim = node_processes[1]
    prepared = fan_out_scenario(tmp_path, ids, issue_s=2.0, duration_s=3.0, ack_deadline_s=60)
    bridge = Bridge(
        prepared, signer, broker.address(), BridgeOptions.of(prepared.scenario.field_nodes, presence_wait_s=60)
    )  # type: ignore[arg-type]
    seen_offline = False
    restarted_at = 0.0

    async def scenario() -> BridgeRun:
        nonlocal seen_offline, restarted_at
        task = asyncio.get_running_loop().create_task(bridge.run())
        state = bridge.record.nodes["pi-02"]
        while state.offset_before is None:  # presence and clock sync done: the scenario starts
            await asyncio.sleep(0.01)
        victim.kill()
        killed_at = time.time()
        for _ in range(200):
            if state.status is not None and state.status.state == "offline":  # the last will
                seen_offline = True
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(30 - (time.time() - killed_at))
        restarted_at = time.time()
        victim.start()
        return await task

    record = asyncio.run(scenario())
    report = build_report(record)
    rows = by_node(report)
    assert seen_offline
    assert rows["pi-01"]["outcome"] == "actuated" and rows["pi-01"]["ack_round_trip_ms"] < 2000
    late = rows["pi-02"]
    assert late["outcome"] == "actuated", victim.log()
    delivery = next(d for d in record.deliveries if d.field_node == "pi-02")
    assert delivery.published_at < restarted_at - 25  # it was sent while the node was down ...
    assert delivery.ack_at is not None and delivery.ack_at > restarted_at  # ... and answered after the restart
    assert report["nodes"][1]["presence"] == "online"


def test_forged_replayed_expired_and_misaddressed_alerts_are_rejected(tmp_path: Path, broker_factory) -> None:
    broker = broker_factory(["pi-01", "pi-02"])
    signer = Signer.generate("drill")
    config = virtual_config(
        "pi-01", broker.address("pi-01"), signer, pattern_scale=1.0, state_dir=str(tmp_path / "state")
    )

    def alert(node_id: str = "pi-01", issued_at: float | None = None, valid_s: float = 60) -> AlertPayload:
        now = time.time() if issued_at is None else issued_at
        return AlertPayload(
            msg_id=new_message_id(),
            node_id=node_id,
            alert_id="drill",
            category="ballistic_missile",
            mode=AlertMode.EXERCISE,
            issued_at=now,
            expires_at=now + valid_s,
            sim_issue_s=0.0,
        )

    async def scenario() -> tuple[list[dict], NodeAgent, list[bool], Status]:
        agent = NodeAgent(config)
        task = asyncio.get_running_loop().create_task(agent.run())
        acks: list[dict] = []
        siren_before_valid: list[bool] = []
        address = broker.address()
        async with aiomqtt.Client(
            address.host, address.port, username=address.username, password=address.password
        ) as attacker:
            await attacker.subscribe(topic("pi-01", Topic.ACK), qos=1)
            await attacker.subscribe(topic("pi-01", Topic.STATUS), qos=1)
            await asyncio.wait_for(agent.connected.wait(), 10)
            valid = signer.sign(alert())
            messages = [
                Signer.generate("drill").sign(alert()),  # forged: the trusted key's id, another key
                signer.sign(alert(issued_at=time.time() - 700, valid_s=600)),  # expired 100 s ago
                signer.sign(alert(node_id="pi-02")),  # genuine, but for another node
                valid,
                valid,  # replayed byte for byte
            ]
            status = None
            for index, wire in enumerate(messages):
                if index == 3:
                    siren_before_valid.append(agent.driver.pin_level("siren"))
                await attacker.publish(topic("pi-01", Topic.ALERT), wire, qos=1)
                async for message in attacker.messages:
                    if str(message.topic).endswith("/ack"):
                        acks.append(json.loads(message.payload))  # type: ignore[arg-type]
                        break
                if index == 3:
                    siren_before_valid.append(agent.driver.pin_level("siren"))
            await asyncio.sleep(0.3)
            async for message in attacker.messages:  # the retained status with the counters
                if str(message.topic).endswith("/status"):
                    status = Status.model_validate_json(message.payload)  # type: ignore[arg-type]
                    if sum(status.rejected.values()) == 4:
                        break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        agent.close()
        return acks, agent, siren_before_valid, status  # type: ignore[return-value]

    acks, agent, siren, status = asyncio.run(scenario())
    assert [(a["outcome"], a["reason"]) for a in acks] == [
        ("rejected", "bad_signature"),
        ("rejected", "expired"),
        ("rejected", "wrong_address"),
        ("actuated", None),
        ("rejected", "replayed"),
    ]
    assert siren == [False, True]  # the siren pin stayed low until the valid alert, then went high
    assert dict(agent.rejected) == {"bad_signature": 1, "expired": 1, "wrong_address": 1, "replayed": 1}
    assert agent.actuated == 1
    assert status.rejected == dict(agent.rejected)  # reported to the bridge
    logged = [e["reason"] for e in read_events(tmp_path / "state") if e["event"] == "rejected"]
    assert logged == ["bad_signature", "expired", "wrong_address", "replayed"]


def test_the_acl_stops_a_node_using_another_nodes_topics(broker_factory) -> None:
    broker = broker_factory(["pi-01", "pi-02"])

    async def scenario() -> tuple[list[str], list[str]]:
        bridge, one = broker.address(), broker.address("pi-01")
        seen_by_bridge: list[str] = []
        seen_by_one: list[str] = []
        async with (
            aiomqtt.Client(bridge.host, bridge.port, username=bridge.username, password=bridge.password) as b,
            aiomqtt.Client(one.host, one.port, username=one.username, password=one.password) as node,
        ):
            await b.subscribe("lalert/v1/node/#", qos=1)
            await node.subscribe(topic("pi-02", Topic.ALERT), qos=1)  # not its topic: nothing may arrive
            await node.subscribe(topic("pi-01", Topic.ALERT), qos=1)
            await node.publish(topic("pi-02", Topic.ACK), b"forged ack", qos=1)
            await node.publish(topic("pi-02", Topic.STATUS), b"forged status", qos=1)
            await node.publish(topic("pi-01", Topic.ACK), b"own ack", qos=1)  # control: allowed
            await b.publish(topic("pi-02", Topic.ALERT), b"for pi-02", qos=1)
            await b.publish(topic("pi-01", Topic.ALERT), b"for pi-01", qos=1)

            async def gather(client: aiomqtt.Client, into: list[str]) -> None:
                async for message in client.messages:
                    into.append(f"{message.topic} {message.payload.decode()}")  # type: ignore[union-attr]

            tasks = [asyncio.create_task(gather(b, seen_by_bridge)), asyncio.create_task(gather(node, seen_by_one))]
            await asyncio.sleep(1.0)
            for task in tasks:
                task.cancel()
        return seen_by_bridge, seen_by_one

    seen_by_bridge, seen_by_one = asyncio.run(scenario())
    assert "lalert/v1/node/pi-01/ack own ack" in seen_by_bridge
    assert not [m for m in seen_by_bridge if "forged" in m]
    assert seen_by_one == ["lalert/v1/node/pi-01/alert for pi-01"]


def test_a_skewed_node_clock_is_corrected(tmp_path: Path, broker_factory, node_processes) -> None:
    ids = field_ids(2)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    prepared = fan_out_scenario(tmp_path, ids, issue_s=0.5, duration_s=1.0)

    def one_run(skew_s: float) -> dict:
        processes = [
            NodeProcess(tmp_path / f"skew-{skew_s}", broker, "pi-01", signer).start(),
            NodeProcess(tmp_path / f"skew-{skew_s}", broker, "pi-02", signer, top=f"clock_skew_s = {skew_s}").start(),
        ]
        node_processes.extend(processes)
        try:
            return build_report(run_bridge(prepared, signer, broker))
        finally:
            for process in processes:
                process.stop()

    plain, skewed = by_node(one_run(0.0)), by_node(one_run(2.5))
    assert skewed["pi-02"]["offset_ms"] == pytest.approx(2500, abs=skewed["pi-02"]["offset_uncertainty_ms"] + 1)
    for column in ("receipt_latency_ms", "actuation_latency_ms"):
        assert abs(skewed["pi-02"][column] - plain["pi-02"][column]) < 5, (column, plain["pi-02"], skewed["pi-02"])
