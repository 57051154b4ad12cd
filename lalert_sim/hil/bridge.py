"""The bridge: the relay engine on a real-time clock, sending real alerts to field nodes at the
simulated moments and measuring, per node, what really happened.

The engine runs in a thread on a ``PacedEnvironment`` (SimPy's ``RealtimeEnvironment`` whose waits
can be cut short); when a bound node first receives an alert, the asyncio side signs it and
publishes it with QoS 1. Acks carry the node's own receipt and actuation stamps; they are put on
the bridge's clock with the NTP-style offset measured over the time-sync topics before (and
after) the run.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from time import monotonic
from typing import assert_never

from simpy.core import EmptySchedule, Environment
from simpy.rt import RealtimeEnvironment

from lalert_sim.engine.state import AlertState
from lalert_sim.hil.broker import BrokerAddress
from lalert_sim.hil.protocol import (
    NODE_WRITES,
    QOS,
    Ack,
    AlertPayload,
    Offset,
    Outcome,
    Signer,
    Status,
    TimePing,
    TimePong,
    Topic,
    any_node,
    estimate_offset,
    new_message_id,
    parse_topic,
    topic,
)
from lalert_sim.hil.transport import MqttError, Received, Session, first_error
from lalert_sim.model.field_nodes import FieldNodes
from lalert_sim.prepare import Prepared
from lalert_sim.runner import build

_QUIET = logging.getLogger("lalert_sim.bridge.mqtt")
_QUIET.setLevel(logging.ERROR)  # aiomqtt warns whenever more than ten publishes are in flight: a fan-out does that


class _Stopped(Exception):
    pass


class PacedEnvironment(RealtimeEnvironment):
    """SimPy's real-time environment (``factor`` wall seconds per simulated second, never strict)
    whose waits end early when ``stop`` is set, so a bridge can be interrupted mid-scenario."""

    def __init__(self, factor: float, stop: threading.Event) -> None:
        super().__init__(0, factor, strict=False)
        self._stop = stop

    def step(self) -> None:
        """Wait (interruptibly) until the next event is due in wall time, then process it."""
        when = self.peek()
        if when == float("inf"):
            raise EmptySchedule
        due = self.real_start + (when - self.env_start) * self.factor
        while (delta := due - monotonic()) > 0:
            if self._stop.wait(delta):
                raise _Stopped
        if self._stop.is_set():
            raise _Stopped
        Environment.step(self)


@dataclass
class Delivery:
    """One alert to one field node: the simulated moment and every real timestamp (bridge clock, POSIX s)."""

    field_node: str
    sim_node: str
    alert_id: str
    msg_id: str
    sim_issue_s: float
    sim_arrival_s: float
    scheduled_at: float
    published_at: float = 0.0
    puback_at: float | None = None
    ack: Ack | None = None
    ack_at: float | None = None
    sim_emitted_s: float | None = None


@dataclass
class NodeState:
    """What the bridge knows of one field node."""

    node_id: str
    status: Status | None = None
    offset_before: Offset | None = None
    offset_after: Offset | None = None

    @property
    def online(self) -> bool:
        """Its latest retained status says online."""
        return self.status is not None and self.status.state == "online"

    @property
    def offset(self) -> Offset | None:
        """The estimate used for correction: before the run, else after it (a node that came late)."""
        return self.offset_before or self.offset_after


@dataclass
class BridgeOptions:
    """How the bridge runs (defaults from the scenario's ``field_nodes`` section)."""

    speed: float = 1.0
    until_s: float | None = None
    ack_deadline_s: float = 10.0
    validity_s: float = 600.0
    presence_wait_s: float = 10.0
    sync_samples: int = 8
    sync_timeout_s: float = 1.0

    @classmethod
    def of(cls, settings: FieldNodes, **overrides: object) -> BridgeOptions:
        """The scenario's settings, with the command line's overrides (None = keep)."""
        options = cls(
            speed=settings.speed,
            until_s=settings.until_s,
            ack_deadline_s=settings.ack_deadline_s,
            validity_s=settings.validity_s,
        )
        for name, value in overrides.items():
            if value is not None:
                setattr(options, name, value)
        return options


@dataclass
class BridgeRun:
    """Everything one bridge run recorded (turned into the report by ``hil.report``)."""

    scenario: str
    broker: str
    started_at: float
    options: BridgeOptions
    nodes: dict[str, NodeState]
    bindings: dict[str, list[str]]
    deliveries: list[Delivery] = field(default_factory=list)
    stray_acks: list[tuple[float, Ack]] = field(default_factory=list)
    sim_until_s: float = 0.0
    interrupted: bool = False
    error: str | None = None  # the broker connection broke off: what came before is still reported
    ended_at: float = 0.0


class Bridge:
    """Runs a prepared scenario against real field nodes through one MQTT broker."""

    def __init__(
        self,
        prepared: Prepared,
        signer: Signer,
        broker: BrokerAddress,
        options: BridgeOptions | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        settings = prepared.scenario.field_nodes
        if settings is None:
            raise ValueError("the scenario has no field_nodes section (bindings of simulated to field nodes)")
        self.prepared = prepared
        self.signer = signer
        self.broker = broker
        self.options = options or BridgeOptions.of(settings)
        self.bindings: dict[str, list[str]] = defaultdict(list)
        for binding in settings.bindings:
            self.bindings[binding.node].append(binding.field_node)
        self.field_nodes = settings.field_node_ids()
        self._log = log or (lambda _line: None)
        self._session: Session | None = None
        self._pongs: dict[tuple[str, int], asyncio.Future[tuple[float, float, float, float]]] = {}
        self._seq = 0
        self._pending: dict[str, Delivery] = {}
        self._signed: dict[tuple[int, str], tuple[str, bytes, float]] = {}  # (alert, field node) → message
        self._sending: asyncio.TaskGroup | None = None  # signing and publishing while the scenario runs
        self._all_online = asyncio.Event()
        self._acked = asyncio.Event()  # set by every ack that answers a delivery
        self._stop = threading.Event()
        self.record = BridgeRun(
            prepared.source or prepared.scenario.metadata.name,
            broker.url(),
            time.time(),
            self.options,
            {n: NodeState(n) for n in self.field_nodes},
            dict(self.bindings),
        )

    # --- the whole run ---------------------------------------------------------------------------------------------

    async def run(self) -> BridgeRun:
        """Connect, wait for presence, measure clock offsets, run the scenario, collect acks, re-measure."""
        identifier = f"lalert-bridge-{new_message_id()[:8]}"
        async with Session(self.broker, identifier, max_inflight=1000, logger=_QUIET) as session:
            self._session = session
            try:
                async with asyncio.TaskGroup() as tasks:
                    receiver = tasks.create_task(self._receive(session))
                    await session.subscribe(*((any_node(kind), QOS[kind]) for kind in NODE_WRITES))
                    await self._await_presence()
                    await self._sync_all("before")
                    async with asyncio.TaskGroup() as sending:  # left once every alert is published
                        self._sending = sending
                        await self._simulate()
                    self._sending = None
                    await self._collect()
                    await self._sync_all("after")
                    receiver.cancel()
            except* (MqttError, OSError) as lost:  # the connection broke off mid-run
                self._stop.set()
                self._sending = None
                self.record.error = f"broker connection lost: {first_error(lost)}"
                self._log(self.record.error)
        self.record.ended_at = time.time()
        return self.record

    def stop(self) -> None:
        """Interrupt the simulation (Ctrl-C): what was recorded so far is kept and reported."""
        self.record.interrupted = True
        self._stop.set()

    # --- incoming --------------------------------------------------------------------------------------------------

    async def _receive(self, session: Session) -> None:
        async for message in session.messages():
            parsed = parse_topic(message.topic)
            if parsed is not None:
                try:
                    self._on_message(*parsed, message)
                except ValueError as exc:
                    self._log(f"ignored a malformed {parsed[1].value} message from {parsed[0]}: {exc}")

    def _on_message(self, node_id: str, kind: Topic, message: Received) -> None:
        now = message.received_at
        match kind:
            case Topic.ACK:
                self._on_ack(node_id, Ack.model_validate_json(message.payload), now)
            case Topic.TIME_PONG:
                pong = TimePong.model_validate_json(message.payload)
                future = self._pongs.pop((node_id, pong.seq), None)
                if future is not None and not future.done():
                    future.set_result((pong.t1, pong.t2, pong.t3, now))
            case Topic.STATUS:
                if node_id in self.record.nodes:
                    self.record.nodes[node_id].status = Status.model_validate_json(message.payload)
                    self._presence_changed()
            case Topic.ALERT | Topic.TIME_PING:
                pass  # the bridge's own messages to the nodes (not subscribed to)
            case _:
                assert_never(kind)

    def _presence_changed(self) -> None:
        if all(state.online for state in self.record.nodes.values()):
            self._all_online.set()
        else:
            self._all_online.clear()

    def _on_ack(self, node_id: str, ack: Ack, now: float) -> None:
        delivery = self._pending.get(ack.msg_id) if ack.msg_id else None
        if delivery is None or delivery.field_node != node_id or ack.node_id != node_id:
            self.record.stray_acks.append((now, ack))  # e.g. a rejection of a message we did not send
            return
        if delivery.ack is not None and delivery.ack.outcome is Outcome.ACTUATED:
            return  # a duplicate delivery answered as a replay; the first answer stands
        delivery.ack, delivery.ack_at = ack, now
        self._acked.set()

    # --- presence and clocks ---------------------------------------------------------------------------------------

    async def _await_presence(self) -> None:
        try:
            await asyncio.wait_for(self._all_online.wait(), self.options.presence_wait_s)
        except TimeoutError:
            pass
        missing = [n for n, s in self.record.nodes.items() if not s.online]
        if missing:
            self._log(
                f"not online after {self.options.presence_wait_s:g} s: {', '.join(missing)} "
                "(their alerts are still sent; the broker keeps them for persistent sessions)"
            )

    async def _sync_all(self, when: str) -> None:
        online = [n for n, s in self.record.nodes.items() if s.online]
        limit = asyncio.Semaphore(4)  # a few at a time: concurrent pings queue behind each other and widen the bound

        async def one(node_id: str) -> None:
            async with limit:
                offset = await self.measure_offset(node_id)
            state = self.record.nodes[node_id]
            if when == "before":
                state.offset_before = offset
            else:
                state.offset_after = offset

        async with asyncio.TaskGroup() as tasks:
            for node_id in online:
                tasks.create_task(one(node_id))

    async def measure_offset(self, node_id: str) -> Offset | None:
        """Node clock − bridge clock from ``sync_samples`` ping/pong exchanges (None if it never answers)."""
        session = self._session
        assert session is not None
        exchanges = []
        ping_topic = topic(node_id, Topic.TIME_PING)
        loop = asyncio.get_running_loop()
        for _ in range(self.options.sync_samples):
            self._seq += 1
            future: asyncio.Future[tuple[float, float, float, float]] = loop.create_future()
            self._pongs[(node_id, self._seq)] = future
            ping = TimePing(seq=self._seq, t1=time.time())
            await session.publish(ping_topic, ping.model_dump_json(), QOS[Topic.TIME_PING])
            try:
                exchanges.append(await asyncio.wait_for(future, self.options.sync_timeout_s))
            except TimeoutError:
                self._pongs.pop((node_id, self._seq), None)
            await asyncio.sleep(0.002)
        return estimate_offset(exchanges)

    # --- the simulation in real time -------------------------------------------------------------------------------

    async def _simulate(self) -> None:
        loop = asyncio.get_running_loop()
        env = PacedEnvironment(1.0 / self.options.speed, self._stop)
        simulation, _responder = build(self.prepared, env=env)
        for sim_node in self.bindings:
            simulation.nodes[sim_node].probe = partial(self._from_engine, loop, sim_node)
        for alert in simulation.alerts:  # signing ahead, at the alert's issue, keeps it off the arrival's path
            env.timeout(alert.spec.issue_s).callbacks.append(partial(self._issued_in_engine, loop, alert))
        until = min(self.options.until_s or self.prepared.scenario.duration_s, self.prepared.scenario.duration_s)
        self.record.sim_until_s = until
        self._epoch = time.time()
        env.sync()
        self._log(f"scenario running at {self.options.speed:g}× real time until {until:g} simulated s")

        def advance() -> None:
            try:
                env.run(until=until)
            except _Stopped:
                pass

        await asyncio.to_thread(advance)
        alerts = {alert.spec.id: alert for alert in simulation.alerts}
        for delivery in self.record.deliveries:  # the simulated emission beside the real actuation
            emitted = alerts[delivery.alert_id].emitted
            delivery.sim_emitted_s = emitted.get(simulation.nodes[delivery.sim_node].index)

    def _from_engine(self, loop: asyncio.AbstractEventLoop, sim_node: str, alert: AlertState, sim_time: float) -> None:
        """Called in the engine's thread: hand the arrival to the event loop."""
        loop.call_soon_threadsafe(self._arrived, sim_node, alert, sim_time)

    def _issued_in_engine(self, loop: asyncio.AbstractEventLoop, alert: AlertState, _event: object) -> None:
        loop.call_soon_threadsafe(self._issued, alert)

    def _issued(self, alert: AlertState) -> None:
        """An alert entered the simulated network: sign its messages to every bound node ahead of arrival."""
        if self._sending is not None:
            self._sending.create_task(self._presign(alert))

    async def _presign(self, alert: AlertState) -> None:
        for k, field_node in enumerate(self.field_nodes):
            if (alert.index, field_node) not in self._signed:
                self._signed[(alert.index, field_node)] = self._sign(alert, field_node)
            if k % 50 == 49:
                await asyncio.sleep(0)  # let arrivals and acks through

    def _sign(self, alert: AlertState, field_node: str) -> tuple[str, bytes, float]:
        now = time.time()
        spec = alert.spec
        payload = AlertPayload(
            msg_id=new_message_id(),
            node_id=field_node,
            alert_id=spec.id,
            category=spec.category.value,
            mode=spec.mode,
            headline=spec.headline,
            issued_at=now,
            expires_at=now + self.options.validity_s,
            sim_issue_s=spec.issue_s,
        )
        return payload.msg_id, self.signer.sign(payload), now

    def _arrived(self, sim_node: str, alert: AlertState, sim_time: float) -> None:
        sending = self._sending
        if sending is None:  # the run broke off: the engine's last arrivals go nowhere
            return
        scheduled = self._epoch + sim_time / self.options.speed
        now = time.time()
        for field_node in self.bindings[sim_node]:
            signed = self._signed.pop((alert.index, field_node), None)
            if signed is None or signed[2] + self.options.validity_s / 2 < now:  # not yet, or too old: sign now
                signed = self._sign(alert, field_node)
            msg_id, wire, _ = signed
            delivery = Delivery(field_node, sim_node, alert.spec.id, msg_id, alert.spec.issue_s, sim_time, scheduled)
            self.record.deliveries.append(delivery)
            self._pending[msg_id] = delivery
            sending.create_task(self._publish(delivery, wire))

    async def _publish(self, delivery: Delivery, wire: bytes) -> None:
        assert self._session is not None
        delivery.published_at = time.time()
        await self._session.publish(topic(delivery.field_node, Topic.ALERT), wire, QOS[Topic.ALERT])
        delivery.puback_at = time.time()

    async def _collect(self) -> None:
        """Wait for every delivery's ack (all are published by now), each up to its deadline."""
        deadline_s = self.options.ack_deadline_s
        while waiting := [d for d in self.record.deliveries if d.ack is None]:
            remaining = max(d.published_at for d in waiting) + deadline_s - time.time()
            if remaining <= 0:
                return
            self._acked.clear()
            try:
                await asyncio.wait_for(self._acked.wait(), remaining)
            except TimeoutError:
                return
