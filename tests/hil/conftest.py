"""Field-node tests against a real Mosquitto on a free loopback port, started and stopped by PID.

Under CI=true a missing broker fails the test instead of skipping it. Every wait on the network
or on a process is bounded, so a broken node or broker fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("aiomqtt")

from lalert_sim.hil import demo
from lalert_sim.hil.bridge import Bridge, BridgeOptions, BridgeRun
from lalert_sim.hil.broker import Mosquitto, find_mosquitto
from lalert_sim.hil.protocol import AlertPayload, Signer, Topic, new_message_id
from lalert_sim.hil.provision import node_toml
from lalert_sim.hil.transport import Received, Session
from lalert_sim.model.alerts import AlertMode
from lalert_sim.prepare import Prepared, load_text

WAIT_S = 10.0  # the longest any single message or state change may take on loopback
BRIDGE_RUN_S = 180.0  # a whole bridge run: presence (up to 60 s), the scenario, acks and clock sync


def field_bridge(
    prepared: Prepared, signer: Signer, broker: Mosquitto, log: Callable[[str], None] | None = None, **options: object
) -> Bridge:
    """A bridge for ``prepared`` through ``broker`` that waits up to 60 s for its nodes unless told otherwise."""
    settings = prepared.scenario.field_nodes
    assert settings is not None
    options = {"presence_wait_s": 60.0} | options
    return Bridge(prepared, signer, broker.address(), BridgeOptions.of(settings, **options), log)


async def bridge_run(bridge: Bridge) -> BridgeRun:
    """The bridge's whole run, bounded."""
    async with asyncio.timeout(BRIDGE_RUN_S):
        return await bridge.run()


def run_with_virtual_nodes(bridge: Bridge, broker: Mosquitto, signer: Signer, node_ids: list[str]) -> BridgeRun:
    """``bridge``'s whole run with one virtual node agent per id, in this process, on ``broker``."""
    from lalert_sim.hil.agent import NodeAgent
    from lalert_sim.hil.demo import virtual_config

    async def scenario() -> BridgeRun:
        agents = [NodeAgent(virtual_config(n, broker.address(n), signer)) for n in node_ids]
        try:
            async with asyncio.TaskGroup() as tasks:
                running = [tasks.create_task(agent.run()) for agent in agents]
                for agent in agents:
                    await asyncio.wait_for(agent.connected.wait(), WAIT_S)
                record = await bridge_run(bridge)
                for task in running:
                    task.cancel()
        finally:
            for agent in agents:
                agent.close()
        return record

    return asyncio.run(scenario())


async def next_message(session: Session, kind: Topic, timeout_s: float = WAIT_S) -> Received:
    """The next message on a topic of ``kind`` (others are passed over), within ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        async for message in session.messages():
            if message.topic.endswith("/" + kind.value):
                return message
    raise AssertionError("the connection ended")


async def until(condition: Callable[[], bool], timeout_s: float = WAIT_S, poll_s: float = 0.01) -> None:
    """Return once ``condition()`` holds (a test watching a run from outside); TimeoutError after ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(poll_s)


def alert_payload(
    node_id: str = "pi-01",
    issued_at: float | None = None,
    valid_s: float = 60,
    msg_id: str | None = None,
    category: str = "ballistic_missile",
) -> AlertPayload:
    """An exercise alert for ``node_id``, issued now unless told otherwise."""
    now = time.time() if issued_at is None else issued_at
    return AlertPayload(
        msg_id=msg_id or new_message_id(),
        nodes=(node_id,),
        alert_id="drill",
        category=category,
        mode=AlertMode.EXERCISE,
        issued_at=now,
        expires_at=now + valid_s,
        sim_issue_s=0.0,
    )


def field_ids(count: int) -> list[str]:
    """pi-01, pi-02, ..."""
    return [f"pi-{k:02d}" for k in range(1, count + 1)]


def fan_out_scenario(tmp_path: Path, field_nodes: list[str], **settings: Any) -> Prepared:
    """A J-Alert centre feeding one loudspeaker group per field node (``demo.fan_out_scenario``), loaded."""
    text = demo.fan_out_scenario(field_nodes, headline="訓練", **settings)
    path = tmp_path / "fan_out.yaml"
    path.write_text(text)
    return load_text(text, str(path))


def need_mosquitto() -> None:
    """Skip the test without Mosquitto, or fail it under CI=true (CI must have it)."""
    if find_mosquitto() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Mosquitto (Debian package mosquitto; scripts/system-deps.sh installs it)")
        pytest.skip("mosquitto is not installed (apt install mosquitto)")


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator:
    """Start Mosquitto for given node ids (config with their credentials and ACL); stopped by PID after."""
    started: list[Mosquitto] = []
    need_mosquitto()

    def start(node_ids: list[str], persistence: bool = False, groups: dict[str, list[str]] | None = None) -> Mosquitto:
        directory = tmp_path / f"broker-{len(started)}"
        broker = Mosquitto(node_ids, directory, persistence=persistence, groups=groups).start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        pid = broker.pid
        broker.close()
        if pid is not None:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)  # really gone


class NodeProcess:
    """`lalert-sim node --config node.toml` as its own process (a virtual Pi with mock pins)."""

    def __init__(
        self,
        directory: Path,
        broker: Mosquitto,
        node_id: str,
        signer: Signer,
        top: str = "",
        reconnect_max_s: float | None = None,
        groups: tuple[str, ...] = (),
    ) -> None:
        self.node_id = node_id
        self.directory = directory / node_id
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "password").write_text(broker.address(node_id).password or "")
        text = node_toml(
            node_id,
            f"mqtt://{broker.host}:{broker.port}",
            signer.key_id,
            signer.public_key_text(),
            mock=True,
            groups=groups,
        )
        if reconnect_max_s is not None:  # tests that restart the broker want the node back quickly
            text = text.replace("reconnect_max_s = 30 ", f"reconnect_max_s = {reconnect_max_s}")
        self.config = self.directory / "node.toml"
        self.config.write_text(f"pattern_scale = 0.01\n{top}\n{text}")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> NodeProcess:
        log = (self.directory / "agent.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lalert_sim", "node", "--config", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL: no goodbye, the broker publishes the last will."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(WAIT_S)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return (self.directory / "agent.log").read_text(errors="replace")


@pytest.fixture
def node_processes() -> Iterator[list[NodeProcess]]:
    """Node processes the test starts; all stopped by PID afterwards."""
    processes: list[NodeProcess] = []
    yield processes
    for process in processes:  # all asked at once, then waited for
        if process.process is not None and process.process.poll() is None:
            os.kill(process.process.pid, signal.SIGTERM)
    for process in processes:
        process.stop()
