"""The bridge and field-node agents end to end, through a real Mosquitto on loopback."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from lalert_sim.hil.agent import NodeAgent, read_events
from lalert_sim.hil.bridge import BridgeRun
from lalert_sim.hil.broker import Mosquitto
from lalert_sim.hil.demo import virtual_config
from lalert_sim.hil.protocol import QOS, Ack, Signer, Status, Topic, topic
from lalert_sim.hil.report import DeliveryRow, FieldReport, build_report, write_report
from lalert_sim.hil.transport import Session
from lalert_sim.prepare import Prepared
from tests.hil.conftest import (
    WAIT_S,
    NodeProcess,
    alert_payload,
    bridge_run,
    fan_out_scenario,
    field_bridge,
    field_ids,
    next_message,
    until,
)


def run_bridge(prepared: Prepared, signer: Signer, broker: Mosquitto) -> BridgeRun:
    return asyncio.run(bridge_run(field_bridge(prepared, signer, broker)))


def by_node(report: FieldReport) -> dict[str, DeliveryRow]:
    return {row.field_node: row for row in report.deliveries}


def test_twenty_node_processes_receive_and_acknowledge(tmp_path: Path, broker_factory, node_processes) -> None:
    ids = field_ids(20)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in ids]
    prepared = fan_out_scenario(tmp_path, ids)

    report = build_report(run_bridge(prepared, signer, broker))

    assert [n.field_node for n in report.nodes] == ids  # a row per node
    assert all(n.presence == "online" and n.actuated == 1 and n.missed == 0 for n in report.nodes), [
        p.log() for p in node_processes if "error" in p.log().lower()
    ]
    for row in report.deliveries:
        # Node stamps on the bridge's clock (± the offset's bound): after publishing, before the ack came back.
        bound = row.offset_uncertainty_ms
        assert -bound < row.receipt_latency_ms <= row.actuation_latency_ms < row.ack_round_trip_ms + bound
        assert row.ack_round_trip_ms < 2000
        assert abs(row.offset_ms) <= row.offset_uncertainty_ms + 1.0  # same machine: true offset 0
        assert row.publish_lag_ms < 500
        assert row.sim_arrival_s > 1.0  # the alert issued at 1 s reached the loudspeakers after the hop
    # Each node process really switched its (mock) siren pin.
    for process in node_processes:
        events = read_events(process.directory / "state")
        assert any(e["event"] == "output" and e["output"] == "siren" and e["on"] for e in events)
    written = write_report(report, tmp_path / "out")
    assert len(written[2].read_text().splitlines()) == 1 + 20  # header and a row per node


def test_a_node_killed_for_30_s_gets_the_alert_sent_while_it_was_down(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    ids = field_ids(2)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in ids]
    victim = node_processes[1]
    prepared = fan_out_scenario(tmp_path, ids, issue_s=2.0, duration_s=3.0, ack_deadline_s=60)
    bridge = field_bridge(prepared, signer, broker)
    restarted_at = 0.0

    async def scenario() -> BridgeRun:
        nonlocal restarted_at
        task = asyncio.get_running_loop().create_task(bridge_run(bridge))
        state = bridge.record.nodes["pi-02"]
        await until(lambda: state.offset_before is not None, 90)  # presence and clock sync done: the scenario starts
        victim.kill()
        killed_at = time.time()
        # The broker publishes the last will within 1.5 keepalives (15 s).
        await until(lambda: state.status is not None and state.status.state == "offline", 20)
        await asyncio.sleep(30 - (time.time() - killed_at))
        restarted_at = time.time()
        victim.start()
        return await task

    record = asyncio.run(scenario())
    report = build_report(record)
    rows = by_node(report)
    assert rows["pi-01"].outcome == "actuated" and rows["pi-01"].ack_round_trip_ms < 2000
    late = rows["pi-02"]
    assert late.outcome == "actuated", victim.log()
    delivery = next(d for d in record.deliveries if d.field_node == "pi-02")
    assert delivery.published_at < restarted_at - 25  # it was sent while the node was down ...
    assert delivery.ack_at is not None and delivery.ack_at > restarted_at  # ... and answered after the restart
    assert report.nodes[1].presence == "online"


def test_a_node_that_never_comes_is_reported_and_missed_after_the_deadline(tmp_path: Path, broker_factory) -> None:
    ids = field_ids(2)
    broker = broker_factory(ids)
    signer = Signer.generate("drill")
    prepared = fan_out_scenario(tmp_path, ids, issue_s=0.2, duration_s=0.5, ack_deadline_s=1.0)
    said: list[str] = []

    async def scenario() -> tuple[BridgeRun, float]:
        agent = NodeAgent(virtual_config("pi-01", broker.address("pi-01"), signer))
        async with asyncio.TaskGroup() as tasks:
            running = tasks.create_task(agent.run())
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)
            started = time.monotonic()
            record = await bridge_run(field_bridge(prepared, signer, broker, said.append, presence_wait_s=1.0))
            elapsed_s = time.monotonic() - started
            running.cancel()
        agent.close()
        return record, elapsed_s

    record, elapsed_s = asyncio.run(scenario())
    rows = by_node(build_report(record))
    assert rows["pi-01"].outcome == "actuated" and rows["pi-02"].outcome == "missed"
    assert any(line.startswith("not online after 1 s: pi-02") for line in said), said
    assert elapsed_s < 1.0 + 0.5 + 1.0 + 5.0  # presence, scenario and ack deadline, then no longer than sync


def test_forged_replayed_expired_and_misaddressed_alerts_are_rejected(tmp_path: Path, broker_factory) -> None:
    broker = broker_factory(["pi-01", "pi-02"])
    signer = Signer.generate("drill")
    config = virtual_config(
        "pi-01", broker.address("pi-01"), signer, pattern_scale=1.0, state_dir=str(tmp_path / "state")
    )

    async def scenario() -> tuple[list[Ack], NodeAgent, list[bool], Status]:
        agent = NodeAgent(config)
        task = asyncio.get_running_loop().create_task(agent.run())
        acks: list[Ack] = []
        siren_before_valid: list[bool] = []
        async with Session(broker.address()) as attacker:
            await attacker.subscribe((topic("pi-01", Topic.ACK), 1), (topic("pi-01", Topic.STATUS), 1))
            await asyncio.wait_for(agent.connected.wait(), WAIT_S)
            valid = signer.sign(alert_payload())
            messages = [
                Signer.generate("drill").sign(alert_payload()),  # forged: the trusted key's id, another key
                signer.sign(alert_payload(issued_at=time.time() - 700, valid_s=600)),  # expired 100 s ago
                signer.sign(alert_payload(node_id="pi-02")),  # genuine, but for another node
                valid,
                valid,  # replayed byte for byte
            ]
            for index, wire in enumerate(messages):
                if index == 3:
                    siren_before_valid.append(agent.driver.pin_level("siren"))
                await attacker.publish(topic("pi-01", Topic.ALERT), wire, QOS[Topic.ALERT])
                acks.append(Ack.model_validate_json((await next_message(attacker, Topic.ACK)).payload))
                if index == 3:
                    siren_before_valid.append(agent.driver.pin_level("siren"))
            status = Status.model_validate_json((await next_message(attacker, Topic.STATUS)).payload)
            while sum(status.rejected.values()) < 4:  # the counters, re-published shortly after the last alert
                status = Status.model_validate_json((await next_message(attacker, Topic.STATUS)).payload)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        agent.close()
        return acks, agent, siren_before_valid, status

    acks, agent, siren, status = asyncio.run(scenario())
    assert [(a.outcome.value, a.reason and a.reason.value) for a in acks] == [
        ("rejected", "bad_signature"),
        ("rejected", "expired"),
        ("rejected", "wrong_address"),
        ("actuated", None),
        ("actuated", None),  # the replay is answered with the first answer, and nothing switched again
    ]
    assert [a.duplicate for a in acks] == [False, False, False, False, True]
    assert acks[4].actuated_at == acks[3].actuated_at and acks[4].msg_id == acks[3].msg_id
    assert siren == [False, True]  # the siren pin stayed low until the valid alert, then went high
    assert dict(agent.rejected) == {"bad_signature": 1, "expired": 1, "wrong_address": 1, "replayed": 1}
    assert agent.actuated == 1
    assert status.rejected == dict(agent.rejected)  # reported to the bridge
    logged = [e["reason"] for e in read_events(tmp_path / "state") if e["event"] == "rejected"]
    assert logged == ["bad_signature", "expired", "wrong_address", "replayed"]


def test_the_acl_stops_a_node_using_another_nodes_topics(broker_factory) -> None:
    broker = broker_factory(["pi-01", "pi-02"])

    async def scenario() -> tuple[list[str], list[str]]:
        seen_by_bridge: list[str] = []
        seen_by_one: list[str] = []
        async with Session(broker.address()) as b, Session(broker.address("pi-01")) as node:
            await b.subscribe(("lalert/v1/node/#", 1))
            await node.subscribe((topic("pi-02", Topic.ALERT), 1))  # not its topic: nothing may arrive
            await node.subscribe((topic("pi-01", Topic.ALERT), 1))
            await node.publish(topic("pi-02", Topic.ACK), b"forged ack", 1)
            await node.publish(topic("pi-02", Topic.STATUS), b"forged status", 1)
            await node.publish(topic("pi-01", Topic.ACK), b"own ack", 1)  # control: allowed
            await b.publish(topic("pi-02", Topic.ALERT), b"for pi-02", 1)
            await b.publish(topic("pi-01", Topic.ALERT), b"for pi-01", 1)

            async def gather(session: Session, into: list[str]) -> None:
                async for message in session.messages():
                    into.append(f"{message.topic} {message.payload.decode()}")

            async with asyncio.TaskGroup() as tasks:  # what arrives in one second
                watchers = [tasks.create_task(gather(b, seen_by_bridge)), tasks.create_task(gather(node, seen_by_one))]
                await asyncio.sleep(1.0)
                for watcher in watchers:
                    watcher.cancel()
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

    def one_run(skew_s: float) -> FieldReport:
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
    node = skewed["pi-02"]
    assert node.offset_uncertainty_ms is not None
    assert node.offset_ms == pytest.approx(2500, abs=node.offset_uncertainty_ms + 1)
    for column in ("receipt_latency_ms", "actuation_latency_ms"):
        assert abs(getattr(node, column) - getattr(plain["pi-02"], column)) < 5, (column, plain["pi-02"], node)
