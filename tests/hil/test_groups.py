"""Group delivery through a real Mosquitto on loopback: one signed message per group topic, each
member acknowledging on its own topic, the ACL keeping a node to its own groups, and the addressing
inside the signed payload keeping a node from acting on another group's alert."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from lalert_sim.hil import demo
from lalert_sim.hil.agent import NodeAgent, read_events
from lalert_sim.hil.bridge import BridgeOptions
from lalert_sim.hil.broker import Mosquitto
from lalert_sim.hil.demo import virtual_config
from lalert_sim.hil.protocol import (
    QOS,
    Ack,
    AlertPayload,
    Outcome,
    Reason,
    Signer,
    Status,
    Topic,
    group_topic,
    new_message_id,
    topic,
)
from lalert_sim.hil.report import build_report
from lalert_sim.hil.transport import Received, Session
from lalert_sim.model.alerts import AlertMode
from lalert_sim.prepare import load_text
from tests.hil.conftest import WAIT_S, NodeProcess, bridge_run, field_bridge, field_ids, next_message, until

QUIET_S = 1.0  # how long a message that must not arrive is waited for (loopback delivers in milliseconds)


def group_alert(groups: tuple[str, ...] = (), nodes: tuple[str, ...] = (), msg_id: str | None = None) -> AlertPayload:
    now = time.time()
    return AlertPayload(
        msg_id=msg_id or new_message_id(),
        nodes=nodes,
        groups=groups,
        alert_id="drill",
        category="ballistic_missile",
        mode=AlertMode.EXERCISE,
        issued_at=now,
        expires_at=now + 60,
        sim_issue_s=0.0,
    )


async def quiet(session: Session, seconds: float = QUIET_S) -> list[Received]:
    """Every message arriving within ``seconds`` (a test that expects none)."""
    got: list[Received] = []
    try:
        async with asyncio.timeout(seconds):
            async for message in session.messages():
                got.append(message)
    except TimeoutError:
        pass
    return got


def test_an_alert_for_group_a_is_never_actuated_by_a_node_of_group_b_even_on_bs_topic(broker_factory) -> None:
    broker: Mosquitto = broker_factory(["pi-a", "pi-b"], groups={"pi-a": ["town-a"], "pi-b": ["town-b"]})
    signer = Signer.generate("drill")
    node_a = NodeAgent(virtual_config("pi-a", broker.address("pi-a"), signer, groups=["town-a"]))
    node_b = NodeAgent(virtual_config("pi-b", broker.address("pi-b"), signer, groups=["town-b"]))

    sirens: list[bool] = []

    async def scenario() -> tuple[list[Received], list[Ack], list[Received]]:
        tasks = [asyncio.get_running_loop().create_task(n.run()) for n in (node_a, node_b)]
        async with Session(broker.address()) as bridge:
            await bridge.subscribe((topic("pi-a", Topic.ACK), 1), (topic("pi-b", Topic.ACK), 1))
            for node in (node_a, node_b):
                await asyncio.wait_for(node.connected.wait(), WAIT_S)
            for_a = signer.sign(group_alert(groups=("town-a",)))
            # Genuine and signed, for group A, but published where only B's member listens: B must not act.
            await bridge.publish(group_topic("town-b"), for_a, QOS[Topic.ALERT])
            await until(lambda: node_b.rejected["wrong_address"] == 1)
            unanswered = await quiet(bridge)  # not B's to answer: no ack, no refusal flood
            # The same on B's own topic: rejected and answered (it was sent to B by name).
            await bridge.publish(topic("pi-b", Topic.ALERT), for_a, QOS[Topic.ALERT])
            answers = [Ack.model_validate_json((await next_message(bridge, Topic.ACK)).payload)]
            # On A's topic: A sounds it.
            await bridge.publish(group_topic("town-a"), for_a, QOS[Topic.ALERT])
            answers.append(Ack.model_validate_json((await next_message(bridge, Topic.ACK)).payload))
            after = await quiet(bridge, 0.3)
            sirens.extend(n.driver.pin_level("siren") for n in (node_a, node_b))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return unanswered, answers, after

    try:
        unanswered, answers, after = asyncio.run(scenario())
    finally:
        node_a.close()
        node_b.close()
    assert unanswered == []
    assert [(a.node_id, a.outcome, a.reason) for a in answers] == [
        ("pi-b", Outcome.REJECTED, Reason.WRONG_ADDRESS),
        ("pi-a", Outcome.ACTUATED, None),
    ]
    assert after == []
    assert sirens == [True, False]  # A's siren on; B's never switched
    assert node_b.actuated == 0 and node_b.rejected == {"wrong_address": 2}
    assert node_a.actuated == 1


def test_the_acl_lets_a_node_read_its_own_groups_only(broker_factory) -> None:
    broker: Mosquitto = broker_factory(["pi-a", "pi-b"], groups={"pi-a": ["town-a"], "pi-b": ["town-b"]})

    async def scenario() -> tuple[list[bytes], list[Received]]:
        async with (
            Session(broker.address()) as bridge,
            Session(broker.address("pi-a")) as member,
            Session(broker.address("pi-b")) as outsider,
        ):
            await member.subscribe((group_topic("town-a"), 1))
            await outsider.subscribe((group_topic("town-a"), 1), ("lalert/v1/group/#", 1))  # not its group
            await outsider.publish(group_topic("town-a"), b"forged group alert", 1)  # nodes never write alerts
            await member.publish(group_topic("town-a"), b"forged by a member", 1)  # not even to their own group
            await bridge.publish(group_topic("town-a"), b"for town-a", 1)
            got = [(await next_message(member, Topic.ALERT)).payload]
            return got, await quiet(outsider)

    got, leaked = asyncio.run(scenario())
    assert got == [b"for town-a"]
    assert leaked == []


def test_the_bridge_publishes_one_message_per_group_and_every_member_acknowledges(tmp_path: Path) -> None:
    ids = field_ids(6)
    text = demo.fan_out_scenario(ids, group="town", duration_s=2.5)
    prepared = load_text(text, str(tmp_path / "fan_out.yaml"))
    assert prepared.scenario.field_nodes is not None
    options = BridgeOptions.of(prepared.scenario.field_nodes, presence_wait_s=30.0)
    record = asyncio.run(asyncio.wait_for(demo.demo(prepared, options, use_mosquitto=True), 120))
    report = build_report(record)
    assert [d.outcome for d in report.deliveries] == ["actuated"] * 6
    assert {d.group for d in record.deliveries} == {"town"}
    assert len({d.msg_id for d in record.deliveries}) == 1  # signed once ...
    assert len({(d.published_at, d.puback_at) for d in record.deliveries}) == 1  # ... and published once
    assert {d.ack.node_id for d in record.deliveries if d.ack} == set(ids)  # acknowledged by each member
    assert [d.attempts for d in record.deliveries] == [1] * 6


def test_per_node_delivery_still_sends_one_message_per_node(tmp_path: Path) -> None:
    ids = field_ids(3)
    text = demo.fan_out_scenario(ids, group="town", delivery="node", duration_s=2.5)
    prepared = load_text(text, str(tmp_path / "fan_out.yaml"))
    assert prepared.scenario.field_nodes is not None
    options = BridgeOptions.of(prepared.scenario.field_nodes, presence_wait_s=30.0)
    record = asyncio.run(asyncio.wait_for(demo.demo(prepared, options), 120))  # the embedded broker
    assert [d.ack.outcome if d.ack else None for d in record.deliveries] == [Outcome.ACTUATED] * 3
    assert {d.group for d in record.deliveries} == {None}
    assert len({d.msg_id for d in record.deliveries}) == 3


def test_a_member_that_does_not_list_its_group_gets_its_own_copy(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    # pi-03's node.toml predates groups: it subscribes to nothing but its own topic, and says so in its status.
    ids = field_ids(3)
    broker: Mosquitto = broker_factory(ids, groups={n: ["town"] for n in ids})
    signer = Signer.generate("drill")
    agents = [NodeAgent(virtual_config(n, broker.address(n), signer, groups=["town"])) for n in ids[:2]]
    node_processes.append(NodeProcess(tmp_path, broker, ids[2], signer).start())
    text = demo.fan_out_scenario(ids, group="town", duration_s=2.5)
    prepared = load_text(text, str(tmp_path / "fan_out.yaml"))

    async def scenario() -> list[Status | None]:
        tasks = [asyncio.get_running_loop().create_task(a.run()) for a in agents]
        bridge = field_bridge(prepared, signer, broker, said.append)
        record = await bridge_run(bridge)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        deliveries.extend(record.deliveries)
        return [record.nodes[n].status for n in ids]

    deliveries: list = []
    said: list[str] = []
    try:
        statuses = asyncio.run(scenario())
    finally:
        for agent in agents:
            agent.close()
    assert [s.groups if s else None for s in statuses] == [["town"], ["town"], []]
    by_node = {d.field_node: d for d in deliveries}
    assert [by_node[n].ack.outcome if by_node[n].ack else None for n in ids] == [Outcome.ACTUATED] * 3
    assert [by_node[n].group for n in ids] == ["town", "town", None]
    assert by_node["pi-01"].msg_id == by_node["pi-02"].msg_id != by_node["pi-03"].msg_id
    assert "actuated alert drill" in node_processes[0].log()  # its one printed line
    assert any(line.startswith("group town: pi-03 do not list it") for line in said), said


def test_a_member_killed_before_its_group_alert_gets_it_on_restart_and_acts_once(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    ids = field_ids(2)
    broker: Mosquitto = broker_factory(ids, groups={n: ["town"] for n in ids})
    signer = Signer.generate("drill")
    node_processes += [NodeProcess(tmp_path, broker, n, signer, groups=("town",)).start() for n in ids]
    victim = node_processes[1]
    text = demo.fan_out_scenario(ids, group="town", issue_s=1.0, duration_s=2.0, ack_deadline_s=60)
    prepared = load_text(text, str(tmp_path / "fan_out.yaml"))
    bridge = field_bridge(prepared, signer, broker)

    async def scenario() -> float:
        task = asyncio.get_running_loop().create_task(bridge_run(bridge))
        state = bridge.record.nodes["pi-02"]
        await until(lambda: state.offset_before is not None, 90)  # synchronised: the scenario starts
        victim.kill()
        await until(lambda: state.status is not None and state.status.state == "offline", 20)
        assert state.status is not None and state.status.groups == ["town"]  # the last will names its groups
        await until(lambda: any(d.field_node == "pi-02" for d in bridge.record.deliveries), 20)
        await asyncio.sleep(2.0)
        restarted_at = time.time()
        victim.start()
        record = await task
        deliveries.extend(record.deliveries)
        return restarted_at

    deliveries: list = []
    restarted_at = asyncio.run(scenario())
    late = next(d for d in deliveries if d.field_node == "pi-02")
    assert late.group == "town" and late.published_at < restarted_at  # published to the group while it was down
    assert late.ack is not None and late.ack.outcome is Outcome.ACTUATED, victim.log()
    assert late.ack_at is not None and late.ack_at > restarted_at
    assert len({d.msg_id for d in deliveries}) == 1
    actuated = [e for e in read_events(victim.directory / "state") if e["event"] == "actuated"]
    assert [e["msg_id"] for e in actuated] == [late.msg_id], victim.log()  # once, whichever copy came first


def test_a_group_alert_due_while_the_broker_is_down_goes_once_to_the_group_when_it_is_back(
    tmp_path: Path, broker_factory, node_processes
) -> None:
    ids = field_ids(3)
    broker: Mosquitto = broker_factory(ids, persistence=True, groups={n: ["town"] for n in ids})
    signer = Signer.generate("drill")
    node_processes += [
        NodeProcess(tmp_path, broker, n, signer, reconnect_max_s=0.5, groups=("town",)).start() for n in ids
    ]
    text = demo.fan_out_scenario(ids, group="town", issue_s=1.5, duration_s=2.5, ack_deadline_s=30)
    prepared = load_text(text, str(tmp_path / "fan_out.yaml"))
    said: list[str] = []
    bridge = field_bridge(prepared, signer, broker, said.append, reconnect_min_s=0.1, reconnect_max_s=0.5)

    async def scenario() -> float:
        task = asyncio.get_running_loop().create_task(bridge_run(bridge))
        nodes = bridge.record.nodes.values()
        await until(lambda: all(n.offset_before is not None for n in nodes), 60)  # the scenario starts now
        broker.kill()  # before the alert reaches the loudspeakers (issued at 1.5 s, one hop later)
        await asyncio.sleep(4.0)
        broker.start()
        back_at = time.time()
        record = await task
        deliveries.extend(record.deliveries)
        return back_at

    deliveries: list = []
    back_at = asyncio.run(scenario())
    assert [d.ack.outcome if d.ack else None for d in deliveries] == [Outcome.ACTUATED] * 3, said
    assert {d.group for d in deliveries} == {"town"} and len({d.msg_id for d in deliveries}) == 1
    assert all(d.published_at >= back_at - 1.0 for d in deliveries)  # taken by the broker only once it was back
    assert len({(d.published_at, d.puback_at) for d in deliveries}) == 1  # one publish for the three
    for process in node_processes:
        actuated = [e for e in read_events(process.directory / "state") if e["event"] == "actuated"]
        assert len(actuated) == 1, process.log()
