"""Faults in the field: a broker killed mid-drill, a node killed with a backlog, an impostor, an
oversized alert. Nothing is lost and nothing is silent (real Mosquitto on loopback, every wait bounded)."""

from __future__ import annotations

import asyncio
import csv
import logging
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from lalert_sim.hil.agent import NodeAgent, read_events
from lalert_sim.hil.bridge import BridgeRun
from lalert_sim.hil.broker import EmbeddedBroker, Mosquitto
from lalert_sim.hil.demo import virtual_config
from lalert_sim.hil.protocol import QOS, Ack, Outcome, Reason, Signer, Status, Topic, topic
from lalert_sim.hil.report import build_report
from lalert_sim.hil.transport import MqttError, Session
from lalert_sim.model.field_nodes import MAX_MESSAGE_BYTES
from lalert_sim.prepare import Prepared, load_text
from tests.conftest import cli
from tests.hil.conftest import WAIT_S, NodeProcess, alert_payload, bridge_run, field_bridge, field_ids, until

AREAS = ("02201", "02202", "02203", "02204")  # one loudspeaker group per area, one field node per group
ALERT_AREAS = (AREAS, AREAS[:3], AREAS[:2], AREAS[:1])  # 4 + 3 + 2 + 1 = 10 deliveries
QUIET = logging.getLogger("tests.hil.quiet")  # aiomqtt warns of every publish beyond ten in flight
QUIET.setLevel(logging.ERROR)
FAST = {"reconnect_min_s": 0.1, "reconnect_max_s": 0.5, "publish_timeout_s": 2.0, "ack_deadline_s": 15.0}


def four_area_drill(tmp_path: Path, nodes: list[str], first_issue_s: float = 1.0, every_s: float = 1.5) -> Prepared:
    """Four alerts, issued ``every_s`` apart, to fewer and fewer of four areas: 10 deliveries."""
    speakers = "\n".join(
        f"    - {{id: spk-{a}, kind: emitter, channel: outdoor_loudspeaker, area: '{a}'}}" for a in AREAS
    )
    alerts = "\n".join(
        f"  - {{id: drill-{k}, system: j_alert, category: ballistic_missile, mode: exercise,"
        f" issue_s: {first_issue_s + k * every_s}, areas: [{', '.join(repr(a) for a in areas)}]}}"
        for k, areas in enumerate(ALERT_AREAS)
    )
    bindings = "\n".join(f"    - {{node: spk-{a}, field_node: {n}}}" for a, n in zip(AREAS, nodes, strict=True))
    text = f"""
metadata: {{name: four-area drill}}
duration_s: {first_issue_s + len(ALERT_AREAS) * every_s + 1}
topology:
  nodes:
    - {{id: centre, kind: origin, system: j_alert}}
{speakers}
  links:
    - {{id: fan, medium: terrestrial_gov, source: centre, targets: [{", ".join(f"spk-{a}" for a in AREAS)}], loss: 0}}
alerts:
{alerts}
field_nodes:
  bindings:
{bindings}
"""
    path = tmp_path / "drill.yaml"
    path.write_text(text)
    return load_text(text, str(path))


def test_a_broker_killed_mid_drill_and_restarted_loses_nothing(tmp_path: Path, broker_factory, node_processes) -> None:
    ids = field_ids(4)
    broker: Mosquitto = broker_factory(ids, persistence=True)
    signer = Signer.generate("drill")
    node_processes += [NodeProcess(tmp_path, broker, n, signer, reconnect_max_s=0.5).start() for n in ids]
    prepared = four_area_drill(tmp_path, ids)
    said: list[str] = []
    bridge = field_bridge(prepared, signer, broker, said.append, **FAST)
    # Somewhere in the drill (alerts issued at 1, 2.5, 4 and 5.5 s): the last at least comes during the outage.
    kill_after_s = random.Random(20261201).uniform(0.5, 4.5)

    restarted_at = 0.0

    async def scenario() -> BridgeRun:
        nonlocal restarted_at
        task = asyncio.get_running_loop().create_task(bridge_run(bridge))
        nodes = bridge.record.nodes.values()
        await until(lambda: all(n.offset_before is not None for n in nodes), 60)  # the scenario starts now
        await asyncio.sleep(kill_after_s)
        broker.kill()
        await asyncio.sleep(5.0)
        broker.start()
        restarted_at = time.time()
        return await task

    record = asyncio.run(scenario())
    report = build_report(record)
    assert report.totals.deliveries == 10
    assert [d.outcome for d in report.deliveries] == ["actuated"] * 10, (said, report.deliveries)
    assert report.totals.lost == 0 and record.error is None
    assert len(record.outages) == 1 and record.outages[0].back_at is not None
    assert 5.0 <= report.outages[0].seconds < 8.0  # type: ignore[operator]
    late = [d for d in record.deliveries if d.published_at >= restarted_at]
    assert late  # scheduled while the broker was down, published once it was back
    # Presence is what was read since the restart: a node that answered since is online; one that had
    # nothing left to answer may not have reconnected before the bridge finished: unknown, never "online".
    presence = {n.field_node: n.presence for n in report.nodes}
    assert all(presence[d.field_node] == "online" for d in late), (said, presence)
    assert set(presence.values()) <= {"online", "unknown"}
    print(
        f"killed {kill_after_s:.2f} s into the drill; published after the restart: {len(late)}; "
        f"publish attempts: {sorted(d.attempts for d in record.deliveries)}"
    )
    for process in node_processes:  # each alert switched once, however often it was sent
        actuated = Counter(e["msg_id"] for e in read_events(process.directory / "state") if e["event"] == "actuated")
        assert set(actuated.values()) == {1}, process.log()


def test_a_broker_that_stays_down_leaves_deliveries_not_sent_and_the_bridge_exits_1(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    ids = field_ids(4)
    broker: Mosquitto = broker_factory(ids)
    signer_dir = tmp_path / "keys"
    from lalert_sim.hil.protocol import generate_key

    key, _ = generate_key(signer_dir, "drill")
    signer = Signer.from_file(key)
    node_processes += [NodeProcess(tmp_path, broker, n, signer).start() for n in ids]
    four_area_drill(tmp_path, ids, first_issue_s=3.0)
    connected = threading.Event()

    def kill_once_the_bridge_is_in() -> None:  # its persistent session (c0) up, then 1.5 s into the run
        deadline = time.monotonic() + 60
        while "as bridge (p2, c0" not in broker.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        connected.set()
        time.sleep(1.5)
        broker.kill()

    killer = threading.Thread(target=kill_once_the_bridge_is_in, daemon=True)
    killer.start()
    url = f"mqtt://bridge:{broker.address().password}@127.0.0.1:{broker.port}"
    args = (tmp_path / "drill.yaml", "--broker", url, "--key", key, "--ack-deadline", "2", "--out", tmp_path / "out")
    try:
        done = cli("bridge", *args, "--presence-wait", "20", timeout=90)
    finally:
        killer.join(70)
    assert connected.is_set()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "deliveries lost" in done.stderr and "Traceback" not in done.stderr
    with (tmp_path / "out" / "hil_deliveries.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    outcomes = Counter(r["outcome"] for r in rows)
    assert sum(outcomes.values()) == 10 and outcomes["not sent"] >= 1, outcomes
    assert set(outcomes) <= {"actuated", "not sent", "missed"}
    assert all(r["reason"] == "broker unreachable" for r in rows if r["outcome"] == "not sent")
    assert "not back by the end" in done.stdout


def test_a_node_killed_with_3000_alerts_queued_loses_none(tmp_path: Path, broker_factory, node_processes) -> None:
    broker: Mosquitto = broker_factory(["pi-01"])
    signer = Signer.generate("drill")
    node = NodeProcess(tmp_path, broker, "pi-01", signer, reconnect_max_s=0.5).start()
    node_processes.append(node)
    now = time.time()
    wires = {
        f"backlog-{k:05d}": signer.sign(
            alert_payload(issued_at=now, valid_s=600, msg_id=f"backlog-{k:05d}", category="test")
        )
        for k in range(3000)
    }
    acks: dict[str, list[Ack]] = {}
    journal = node.directory / "state" / "handled.jsonl"

    def handled() -> int:
        return len(journal.read_text().splitlines()) if journal.exists() else 0

    async def scenario() -> int:
        async with Session(broker.address(), max_inflight=1000, logger=QUIET) as bridge:
            await bridge.subscribe((topic("pi-01", Topic.ACK), 1), (topic("pi-01", Topic.STATUS), 1))

            async def gather() -> None:
                async for message in bridge.messages():
                    if message.topic.endswith("/ack"):
                        ack = Ack.model_validate_json(message.payload)
                        acks.setdefault(ack.msg_id or "?", []).append(ack)
                    elif Status.model_validate_json(message.payload).state == "online":
                        online.set()

            online = asyncio.Event()
            async with asyncio.TaskGroup() as tasks:
                watcher = tasks.create_task(gather())
                await asyncio.wait_for(online.wait(), 30)
                alert = topic("pi-01", Topic.ALERT)
                publishing = asyncio.gather(*(bridge.publish(alert, wire, QOS[Topic.ALERT]) for wire in wires.values()))
                # Killed mid-backlog: once it has handled a few hundred (a node can keep up with the whole
                # burst, so waiting for the publishing to end could leave it nothing queued).
                await until(lambda: publishing.done() or handled() >= 300, 60, poll_s=0.005)
                node.kill()
                handled_before_kill = handled()
                async with asyncio.timeout(60):
                    await publishing  # the rest queue at the broker for the node's session
                node.start()
                await until(lambda: len(acks) == len(wires), 90, poll_s=0.1)
                watcher.cancel()
        return handled_before_kill

    handled_before_kill = asyncio.run(scenario())
    assert handled_before_kill < 3000  # the kill left a backlog
    assert set(acks) == set(wires)  # every one answered ...
    events = read_events(node.directory / "state")
    actuated = Counter(e["msg_id"] for e in events if e["event"] == "actuated")
    assert set(actuated) == set(wires) and set(actuated.values()) == {1}  # ... each switched exactly once
    firsts = [answers[0] for answers in acks.values()]
    assert all(a.outcome is Outcome.ACTUATED for a in firsts)
    print(f"handled before the kill: {handled_before_kill}; answered again: {sum(len(a) - 1 for a in acks.values())}")


def test_another_nodes_client_id_takes_nothing_and_oversized_alerts_are_refused(tmp_path: Path, broker_factory) -> None:
    broker: Mosquitto = broker_factory(["pi-01", "pi-02"])
    signer = Signer.generate("drill")
    agent = NodeAgent(virtual_config("pi-02", broker.address("pi-02"), signer, state_dir=str(tmp_path / "state")))

    async def scenario() -> tuple[list[str], list[Ack], bool]:
        task = asyncio.get_running_loop().create_task(agent.run())
        answers: list[Ack] = []
        seen_by_impostor: list[str] = []
        await asyncio.wait_for(agent.connected.wait(), WAIT_S)
        async with (
            Session(broker.address(), max_inflight=10) as bridge,
            Session(broker.address("pi-01"), "pi-02") as impostor,  # pi-01's password, pi-02's client id
        ):
            await bridge.subscribe((topic("pi-02", Topic.ACK), 1))
            await impostor.subscribe((topic("pi-02", Topic.ALERT), 1))
            alert = topic("pi-02", Topic.ALERT)
            await bridge.publish(alert, b"x" * (MAX_MESSAGE_BYTES + 1), 1)  # the broker drops it
            await bridge.publish(
                alert, signer.sign(alert_payload("pi-02", msg_id="after-impostor", category="test")), 1
            )

            async def gather(session: Session, into: list[object], ack: bool) -> None:
                async for message in session.messages():
                    into.append(Ack.model_validate_json(message.payload) if ack else message.topic)

            async with asyncio.TaskGroup() as tasks:
                watchers = [
                    tasks.create_task(gather(bridge, answers, True)),  # type: ignore[arg-type]
                    tasks.create_task(gather(impostor, seen_by_impostor, False)),  # type: ignore[arg-type]
                ]
                await until(lambda: len(answers) >= 1, WAIT_S)
                await asyncio.sleep(0.5)  # anything else would have come by now
                for watcher in watchers:
                    watcher.cancel()
            still_connected = agent.connected.is_set()
            huge_refused = False
            try:  # 8 MB: far over the packet limit, the broker drops the connection
                await asyncio.wait_for(bridge.publish(alert, b"x" * 8_000_000, 1), 2)
                await asyncio.wait_for(bridge.publish(alert, b"after", 1), 2)
            except (MqttError, TimeoutError):
                huge_refused = True
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return seen_by_impostor, answers, still_connected and huge_refused

    seen_by_impostor, answers, ok = asyncio.run(scenario())
    assert ok  # pi-02 kept its session; the 8 MB message was refused
    assert seen_by_impostor == []
    assert [(a.msg_id, a.outcome) for a in answers] == [("after-impostor", Outcome.ACTUATED)]
    assert not [e for e in read_events(tmp_path / "state") if e["event"] == "disconnected"]
    # The node's own limit, for a broker that has none: refused unread, with a reason, counted.
    refused = agent.handle_alert(b"{" * (MAX_MESSAGE_BYTES + 1), time.time())
    agent.close()
    assert (refused.outcome, refused.reason) == (Outcome.REJECTED, Reason.TOO_LARGE)
    assert agent.rejected["too_large"] == 1


def test_the_embedded_broker_refuses_another_nodes_client_id() -> None:
    pytest.importorskip("amqtt")

    async def scenario() -> None:
        async with EmbeddedBroker(["pi-01", "pi-02"]) as broker:
            async with Session(broker.address("pi-02"), "pi-02"):
                pass  # its own id: welcome
            with pytest.raises(MqttError):
                async with asyncio.timeout(WAIT_S), Session(broker.address("pi-01"), "pi-02"):
                    pass

    asyncio.run(scenario())
