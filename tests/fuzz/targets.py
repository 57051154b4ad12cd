"""What each fuzz input is fed to, in the worker process: the project's own entry points, as the CLI
and the node agent call them. A target returns a one-word verdict; any exception it lets out is a finding.

Documented outcomes: scenario, message-file (CAP, JMA, EDXL-DE) and node.toml inputs either load or raise
the project's own errors (``LalertError``: ``ScenarioError`` for scenarios and message files, ``BridgeError``
for node.toml); a node answers
every MQTT payload with an Ack (a rejection carries its reason) and never raises.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from pathlib import Path

from lalert_sim.errors import LalertError
from lalert_sim.hil.agent import NodeAgent
from lalert_sim.hil.answer_gate import ANSWER_HOLD_MAX_S
from lalert_sim.hil.node_config import NodeConfig, load_node_config
from lalert_sim.hil.protocol import Ack, Outcome, Topic, topic
from lalert_sim.hil.transport import Received
from lalert_sim.model.alert_files import read_alert_file
from lalert_sim.model.cap import write_cap
from lalert_sim.prepare import Prepared, load
from lalert_sim.runner import reaches, run, summarise
from tests.fuzz.inputs import NODE_ID, NOW_S, Input, Kind, node_toml_seed

SIMULATED_HORIZON_S = 600.0  # simulated seconds at most, for the share of valid scenarios that is also run
# Only networks up to this size are also run: a nationwide one takes longer than the time limit by design.
SIMULATED_NODES_MAX = 1000


class BadVerdict(AssertionError):
    """A target answered, but not as the project documents (e.g. a rejection without a reason)."""


def run_target(kind: Kind, item: Input, workdir: Path) -> str:
    """Feed ``item`` to the entry point of ``kind``; ``workdir`` is an empty folder for this input's files."""
    match kind:
        case Kind.SCENARIO:
            return scenario_target(item, workdir)
        case Kind.CAP:
            return cap_target(item, workdir)
        case Kind.NODE_TOML:
            return node_toml_target(item, workdir)
        case Kind.MQTT:
            return mqtt_target(item, workdir)


def scenario_target(item: Input, workdir: Path) -> str:
    """``lalert-sim validate`` (and, when asked, a short ``run`` without writing files)."""
    path = workdir / item.origin  # its own name, so relative paths resolve beside it as in scenarios/
    path.write_bytes(item.data)
    try:
        prepared = load(path)
    except LalertError:
        return "invalid"
    if item.options.get("simulate") and len(prepared.topology.nodes) <= SIMULATED_NODES_MAX:
        _simulate(prepared)
        return "simulated"
    return "valid"


def _simulate(prepared: Prepared) -> None:
    scenario = prepared.scenario
    short = scenario.model_copy(update={"duration_s": min(scenario.duration_s, SIMULATED_HORIZON_S)})
    prepared = dataclasses.replace(prepared, scenario=short)
    result = run(prepared)
    summarise(prepared, result, reaches(prepared, result)).to_json()
    for injection in prepared.injections:
        write_cap(injection.alert, scenario.metadata.epoch)


def cap_target(item: Input, workdir: Path) -> str:
    """``lalert-sim validate ALERT.xml``: the file read as the CLI reads it (CAP 1.2, JMA XML or EDXL-DE)."""
    path = workdir / "alert.xml"
    path.write_bytes(item.data)
    try:
        read_alert_file(path)
    except LalertError:
        return "invalid"
    return "valid"


def node_toml_target(item: Input, workdir: Path) -> str:
    """``lalert-sim node --config node.toml`` up to its first connection: settings, password, broker address."""
    path = workdir / "node.toml"
    path.write_bytes(item.data)
    (workdir / "password").write_text("fuzz-password\n")
    try:
        config = load_node_config(path)
        config = config.model_copy(update={"state_dir": workdir / "state"})  # never write outside the sandbox
        asyncio.run(_first_connection(config))
    except LalertError:
        return "invalid"
    return "valid"


async def _first_connection(config: NodeConfig) -> None:
    agent = NodeAgent(config.model_copy(update={"outputs": config.outputs.model_copy(update={"mock": True})}))
    try:
        agent._new_session()  # what run() does first: the broker address and credentials
    finally:
        agent.close()


class _Session:
    """Stands in for the MQTT session: keeps what the node publishes and what it tells the broker it handled."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str | bytes]] = []
        self.handled: list[Received] = []

    def publish_now(self, topic: str, payload: str | bytes, qos: int = 0) -> None:
        self.published.append((topic, payload))

    def ack(self, message: Received) -> None:
        self.handled.append(message)


def mqtt_target(item: Input, workdir: Path) -> str:
    """A message arriving on the node's alert (or time/ping) topic, handled as the agent handles it."""
    return asyncio.run(_deliver(item, workdir))


async def _deliver(item: Input, workdir: Path) -> str:
    settings = {**node_toml_seed(), "node_id": NODE_ID, "outputs": {"mock": True}, "state_dir": str(workdir / "state")}
    settings.pop("broker")
    agent = NodeAgent(NodeConfig.model_validate({**settings, "pattern_scale": 0.01}))
    session = _Session()
    agent._session = session  # type: ignore[assignment]  # only publish_now() and ack() are used while handling a message
    kind = Topic(item.options.get("topic", "alert"))
    try:
        agent._handle(Received(topic(NODE_ID, kind), item.data, NOW_S, mid=1, qos=1))
        # An alert is answered once a turn of the loop has read no new one (hil/answer_gate.py), at the latest
        # ANSWER_HOLD_MAX_S later; then one more turn, where a second answer would show.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_HOLD_MAX_S + 1.0
        while not session.handled and loop.time() < deadline:
            await asyncio.sleep(0)
        await asyncio.sleep(0)
    finally:
        agent.close()
        shutil.rmtree(workdir / "state", ignore_errors=True)
    if len(session.handled) != 1:
        raise BadVerdict(f"the message was acknowledged to the broker {len(session.handled)} times, not once")
    if kind is Topic.TIME_PING:
        return "pong" if session.published else "ignored"
    if len(session.published) != 1:
        raise BadVerdict(f"an alert message got {len(session.published)} acks, not one")
    ack = Ack.model_validate_json(session.published[0][1])
    if ack.outcome is not Outcome.ACTUATED and ack.reason is None:
        raise BadVerdict(f"{ack.outcome.value} without a reason")
    return ack.outcome.value if ack.reason is None else f"{ack.outcome.value}:{ack.reason.value}"
