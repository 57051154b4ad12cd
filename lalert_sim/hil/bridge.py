"""The bridge: the relay engine on a real-time clock, sending real alerts to field nodes at the
simulated moments and measuring, per node, what really happened.

With ``delivery: group`` (the default) an alert reaching a bound simulated node is signed once and
published once on its delivery group's topic, addressed to the group; every member acknowledges it
on its own ack topic. A member whose status does not list the group (an older node.toml, or a node
never seen) gets its own copy, addressed to it, on its own topic. ``delivery: node`` sends one
message per field node on its own topic.

The engine runs in a thread on a ``PacedEnvironment`` (SimPy's ``RealtimeEnvironment`` whose waits
can be cut short); when a bound node first receives an alert, the asyncio side signs it and
publishes it with QoS 1. Acks carry the node's own receipt and actuation stamps; they are put on
the bridge's clock with the NTP-style offset measured over the time-sync topics before (and
after) the run.

The broker connection survives outages (``Connection``): what the broker never took is sent on
reconnection, and what a node has not answered is sent again when that node connects anew (a
node answers an alert it already handled with its first answer, so re-sending is safe).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from time import monotonic
from typing import Literal, assert_never

from simpy.core import EmptySchedule, Environment
from simpy.rt import RealtimeEnvironment

from lalert_sim.engine.simulation import RunResult, Simulation
from lalert_sim.engine.state import AlertState
from lalert_sim.hil.broker import BRIDGE_USER, BrokerAddress
from lalert_sim.hil.connection import Connection
from lalert_sim.hil.protocol import (
    NODE_WRITES,
    QOS,
    Ack,
    AlertPayload,
    Offset,
    Signer,
    Status,
    TimePing,
    TimePong,
    Topic,
    any_node,
    estimate_offset,
    group_topic,
    new_message_id,
    parse_topic,
    topic,
)
from lalert_sim.hil.records import BridgeOptions, BridgeRun, Delivery, NodeState, Outage
from lalert_sim.hil.transport import Backoff, Received, Session
from lalert_sim.model.field_nodes import MAX_MESSAGE_BYTES
from lalert_sim.prepare import Prepared
from lalert_sim.runner import build

__all__ = ["Bridge", "BridgeOptions", "BridgeRun", "PacedEnvironment"]  # the records, re-exported for callers

_QUIET = logging.getLogger("lalert_sim.bridge.mqtt")
_QUIET.setLevel(logging.ERROR)  # aiomqtt warns whenever more than ten publishes are in flight: a fan-out does that


class _Stopped(Exception):
    pass


_Target = Literal["node", "group"]  # what a message is addressed to: one field node, or one group


@dataclass(frozen=True, slots=True)
class _Wire:
    """One signed message and the topic it goes on (a group's, or one node's)."""

    topic: str
    msg_id: str
    data: bytes


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


class Bridge:
    """Runs a prepared scenario against real field nodes through one MQTT broker."""

    def __init__(
        self,
        prepared: Prepared,
        signer: Signer,
        broker: BrokerAddress,
        options: BridgeOptions | None = None,
        log: Callable[[str], None] | None = None,
        on_change: Callable[[str | None], None] | None = None,
        drive: Callable[[Simulation], object] | None = None,
    ) -> None:
        """``drive``: runs the built simulation to its end on another clock (the live console's) in the engine's
        thread, instead of the bridge's own paced one."""
        settings = prepared.scenario.field_nodes
        if settings is None:
            raise ValueError("the scenario has no field_nodes section (bindings of simulated to field nodes)")
        self.prepared = prepared
        self.signer = signer
        self.broker = broker
        self.options = options or BridgeOptions.of(settings)
        self.bindings: dict[str, list[str]] = defaultdict(list)
        self._groups_at: dict[str, dict[str, None]] = defaultdict(dict)  # simulated node → its groups
        self._home: dict[tuple[str, str], str] = {}  # (group, field node) → the simulated node it is bound to
        for binding in settings.bindings:
            self.bindings[binding.node].append(binding.field_node)
            self._groups_at[binding.node][binding.group_name] = None
            self._home.setdefault((binding.group_name, binding.field_node), binding.node)
        self.field_nodes = settings.field_node_ids()
        self.groups = settings.group_members()
        self.delivery = settings.delivery
        self._sent_groups: set[tuple[int, str]] = set()  # (alert, group) already published
        self._told_deaf: set[str] = set()  # groups whose members without it were reported
        self._log = log or (lambda _line: None)
        self.on_change = on_change  # called with a field node whose state changed (None: any may have)
        self._drive = drive
        self.simulated: RunResult | None = None
        """The simulated run once it has ended (its trace, emissions, outages): written beside the report."""
        self._pongs: dict[tuple[str, int], asyncio.Future[tuple[float, float, float, float]]] = {}
        self._seq = 0
        self._pending: dict[tuple[str, str], Delivery] = {}  # every delivery by (message id, field node)
        self._unanswered: dict[tuple[str, str], tuple[Delivery, _Wire]] = {}  # not yet acked, with its message
        self._since: dict[str, float] = {}  # each node's connection (its online status's ``since``)
        self._connection: Connection | None = None
        self._tasks: asyncio.TaskGroup | None = None  # re-sends
        self._signed: dict[tuple[int, _Target, str], tuple[str, bytes, float]] = {}  # (alert, node|group, id) → message
        self._sending: asyncio.TaskGroup | None = None  # signing and publishing while the scenario runs
        self._all_online = asyncio.Event()
        self._progress = asyncio.Event()  # set by every ack that answers a delivery and every publish
        self._stop = threading.Event()
        self.scenario_started = asyncio.Event()  # simulated second 0 is now (impaired links' outage clocks start)
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
        """Connect, wait for presence, measure clock offsets, run the scenario, collect acks, re-measure.

        The first connection must succeed (else MqttError); later losses are outages it rides out."""
        options = self.options
        identifier = self.broker.username or BRIDGE_USER  # brokers bind the client id to the user name
        async with Session(self.broker, identifier, logger=_QUIET):
            pass  # a clean session, to drop an earlier run's (the acks and statuses queued for it since)
        connection = Connection(
            lambda: Session(self.broker, identifier, persistent=True, max_inflight=1000, logger=_QUIET),
            Backoff(options.reconnect_min_s, options.reconnect_max_s),
            self._subscribe,
            self._receive,
            self._lost,
        )
        self._connection = connection
        async with asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            keeper = tasks.create_task(connection.run())
            up = tasks.create_task(connection.connected.wait())
            await asyncio.wait((keeper, up), return_when=asyncio.FIRST_COMPLETED)
            if keeper.done():  # the broker is not there at all: the task group raises its error
                return self.record
            await self._await_presence()
            await self._sync_all("before")
            async with asyncio.TaskGroup() as sending:  # left once every alert has had its first try
                self._sending = sending
                await self._simulate()
            self._sending = None
            await self._collect()
            await self._sync_all("after")
            keeper.cancel()
        self._tasks = None
        if self.record.outages and self.record.outages[-1].back_at is None:
            self.record.error = f"broker connection lost: {self.record.outages[-1].reason}; not back by the end"
            self._log(self.record.error)
        self.record.ended_at = time.time()
        return self.record

    def stop(self) -> None:
        """Interrupt the simulation (Ctrl-C): what was recorded so far is kept and reported."""
        self.record.interrupted = True
        self._stop.set()

    # --- incoming --------------------------------------------------------------------------------------------------

    async def _subscribe(self, session: Session) -> None:
        await session.subscribe(*((any_node(kind), QOS[kind]) for kind in NODE_WRITES))
        if self.record.outages:  # back after an outage: what the broker never took goes now
            self.record.outages[-1].back_at = time.time()
            self._log(f"broker connection back after {time.time() - self.record.outages[-1].lost_at:.1f} s")
            self._resend(lambda d: d.puback_at is None)  # these run once the connection counts as up

    def _lost(self, reason: str) -> None:
        """A session ended, or a reconnection failed (then the outage goes on)."""
        outages = self.record.outages
        if outages and outages[-1].back_at is None:
            return
        outages.append(Outage(time.time(), reason))
        for state in self.record.nodes.values():
            state.stale = True  # until its retained status (or last will) is read again
        self._presence_changed()
        self._changed(None)
        self._log(f"broker connection lost ({reason}); reconnecting")

    def _resend(self, which: Callable[[Delivery], bool], own_topic: str | None = None) -> None:
        """Publish again the unanswered deliveries ``which`` selects (same message id: a node never acts
        twice), each message once; ``own_topic``: on that one node's topic, a group's message too (its
        addressing names the node's group, so the node accepts it there and the others are spared)."""
        if self._tasks is None:
            return
        batches: dict[tuple[str, str], tuple[list[Delivery], _Wire]] = {}
        for delivery, wire in list(self._unanswered.values()):
            if which(delivery):
                if own_topic is not None:
                    wire = _Wire(own_topic, wire.msg_id, wire.data)
                batches.setdefault((wire.topic, wire.msg_id), ([], wire))[0].append(delivery)
        for deliveries, wire in batches.values():
            self._tasks.create_task(self._publish(deliveries, wire))

    def _receive(self, message: Received) -> None:
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
                    self._on_status(self.record.nodes[node_id], Status.model_validate_json(message.payload))
            case Topic.ALERT | Topic.TIME_PING:
                pass  # the bridge's own messages to the nodes (not subscribed to)
            case _:
                assert_never(kind)

    def _on_status(self, state: NodeState, status: Status) -> None:
        state.status, state.stale = status, False
        self._presence_changed()
        self._changed(state.node_id)
        if status.state == "online" and self._since.get(state.node_id, status.since) != status.since:
            # A new connection of the node: what it has not answered may have been lost with its old one.
            self._resend(lambda d: d.field_node == state.node_id, topic(state.node_id, Topic.ALERT))
        if status.state == "online":
            self._since[state.node_id] = status.since

    def _changed(self, node_id: str | None) -> None:
        """Tell the observer (``on_change``, e.g. the live table) that a node's state changed."""
        if self.on_change is not None:
            self.on_change(node_id)

    def _presence_changed(self) -> None:
        if all(state.online for state in self.record.nodes.values()):
            self._all_online.set()
        else:
            self._all_online.clear()

    def _on_ack(self, node_id: str, ack: Ack, now: float) -> None:
        delivery = self._pending.get((ack.msg_id, node_id)) if ack.msg_id else None
        if delivery is None or ack.node_id != node_id:
            self.record.stray_acks.append((now, ack))  # e.g. a rejection of a message we did not send
            return
        if delivery.ack is not None:
            return  # a re-sent alert answered again: the first answer stands
        delivery.ack, delivery.ack_at = ack, now
        self._unanswered.pop((delivery.msg_id, node_id), None)
        self._progress.set()
        self._changed(node_id)

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
        connection = self._connection
        assert connection is not None
        exchanges = []
        ping_topic = topic(node_id, Topic.TIME_PING)
        loop = asyncio.get_running_loop()
        for _ in range(self.options.sync_samples):
            self._seq += 1
            future: asyncio.Future[tuple[float, float, float, float]] = loop.create_future()
            self._pongs[(node_id, self._seq)] = future
            ping = TimePing(seq=self._seq, t1=time.time())
            if not await connection.publish(
                ping_topic, ping.model_dump_json(), QOS[Topic.TIME_PING], self.options.sync_timeout_s
            ):
                self._pongs.pop((node_id, self._seq), None)
                break  # the broker connection is down
            try:
                exchanges.append(await asyncio.wait_for(future, self.options.sync_timeout_s))
            except TimeoutError:
                self._pongs.pop((node_id, self._seq), None)
            await asyncio.sleep(0.002)
        return estimate_offset(exchanges)

    # --- the simulation in real time -------------------------------------------------------------------------------

    async def _simulate(self) -> None:
        loop = asyncio.get_running_loop()
        env = PacedEnvironment(1.0 / self.options.speed, self._stop) if self._drive is None else Environment()
        simulation, _responder = build(self.prepared, env=env)
        for sim_node in self.bindings:
            simulation.nodes[sim_node].probe = partial(self._from_engine, loop, sim_node)
        for alert in simulation.alerts:  # signing ahead, at the alert's issue, keeps it off the arrival's path
            env.timeout(alert.spec.issue_s).callbacks.append(partial(self._issued_in_engine, loop, alert))
        until = min(self.options.until_s or self.prepared.scenario.duration_s, self.prepared.scenario.duration_s)
        self.record.sim_until_s = until
        self._epoch = time.time()
        self.scenario_started.set()
        if isinstance(env, PacedEnvironment):
            env.sync()
        self._log(f"scenario running at {self.options.speed:g}× real time until {until:g} simulated s")

        def advance() -> None:
            if self._drive is not None:
                self._drive(simulation)
                return
            try:
                env.run(until=until)
            except _Stopped:
                pass

        await asyncio.to_thread(advance)
        if self._drive is None:  # on another clock the driver has the result
            self.simulated = simulation.result(min(env.now, until) if self.record.interrupted else until)
            self.simulated.responses = _responder.records
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
        targets: list[tuple[_Target, str]]
        if self.delivery == "node":
            targets = [("node", n) for n in self.field_nodes]
        else:  # each group's message, and the own copies of members that do not list their group
            targets = [("group", g) for g in self.groups]
            targets += [
                ("node", n) for g, members in self.groups.items() for n in members if g not in self._announced(n)
            ]
        for k, (kind, name) in enumerate(targets):
            if (alert.index, kind, name) not in self._signed:
                self._signed[(alert.index, kind, name)] = self._sign_to(alert, kind, name)
            if k % 50 == 49:
                await asyncio.sleep(0)  # let arrivals and acks through

    def _sign(
        self, alert: AlertState, field_node: str | None = None, group: str | None = None
    ) -> tuple[str, bytes, float]:
        """(message id, wire bytes, when signed) of ``alert`` addressed to one field node or one group."""
        now = time.time()
        spec = alert.spec
        payload = AlertPayload(
            msg_id=new_message_id(),
            nodes=() if field_node is None else (field_node,),
            groups=() if group is None else (group,),
            alert_id=spec.id,
            category=spec.category.value,
            mode=spec.mode,
            headline=spec.headline,
            issued_at=now,
            expires_at=now + self.options.validity_s,
            sim_issue_s=spec.issue_s,
        )
        return payload.msg_id, self.signer.sign(payload), now

    def _sign_to(self, alert: AlertState, kind: _Target, name: str) -> tuple[str, bytes, float]:
        return self._sign(alert, field_node=name) if kind == "node" else self._sign(alert, group=name)

    def _signed_for(self, alert: AlertState, kind: _Target, name: str, now: float) -> tuple[str, bytes]:
        """The message signed ahead for (alert, node or group), or one signed now (none yet, or too old)."""
        signed = self._signed.pop((alert.index, kind, name), None)
        if signed is None or signed[2] + self.options.validity_s / 2 < now:
            signed = self._sign_to(alert, kind, name)
        return signed[0], signed[1]

    def _arrived(self, sim_node: str, alert: AlertState, sim_time: float) -> None:
        if self._sending is None:  # the run broke off: the engine's last arrivals go nowhere
            return
        scheduled = self._epoch + sim_time / self.options.speed
        now = time.time()
        spec = alert.spec

        def delivery(field_node: str, home: str, msg_id: str, group: str | None = None) -> Delivery:
            return Delivery(field_node, home, spec.id, msg_id, spec.issue_s, sim_time, scheduled, group=group)

        if self.delivery == "node":
            for field_node in self.bindings[sim_node]:
                msg_id, data = self._signed_for(alert, "node", field_node, now)
                self._send(
                    [delivery(field_node, sim_node, msg_id)], _Wire(topic(field_node, Topic.ALERT), msg_id, data)
                )
            return
        for group in self._groups_at[sim_node]:
            if (alert.index, group) in self._sent_groups:
                continue  # the group sounded when the alert first reached one of its simulated nodes
            self._sent_groups.add((alert.index, group))
            msg_id, data = self._signed_for(alert, "group", group, now)
            members = self.groups[group]
            listening = [n for n in members if group in self._announced(n)]
            self._send(
                [delivery(n, self._home[(group, n)], msg_id, group) for n in listening],
                _Wire(group_topic(group), msg_id, data),
            )
            deaf = [n for n in members if n not in listening]
            if deaf and group not in self._told_deaf:
                self._told_deaf.add(group)
                self._log(
                    f"group {group}: {', '.join(deaf[:5])}{' ...' if len(deaf) > 5 else ''} "
                    "do not list it in their status (node.toml groups); each gets its own copy"
                )
            for field_node in members:
                if field_node not in listening:  # not subscribed to the group: its own copy, addressed to it
                    own_id, own = self._signed_for(alert, "node", field_node, now)
                    self._send(
                        [delivery(field_node, self._home[(group, field_node)], own_id)],
                        _Wire(topic(field_node, Topic.ALERT), own_id, own),
                    )

    def _announced(self, field_node: str) -> list[str]:
        """The groups a field node's latest status lists (the topics it subscribes to)."""
        status = self.record.nodes[field_node].status
        return status.groups if status is not None else []

    def _send(self, deliveries: list[Delivery], wire: _Wire) -> None:
        """Record ``deliveries`` (one message for each) and publish the message once."""
        if not deliveries or self._sending is None:
            return
        for item in deliveries:
            self.record.deliveries.append(item)
            self._pending[(wire.msg_id, item.field_node)] = item
        if len(wire.data) > MAX_MESSAGE_BYTES:  # brokers and nodes would refuse it: say so instead of losing it
            for item in deliveries:
                item.refused = f"too large ({len(wire.data)} bytes > {MAX_MESSAGE_BYTES})"
            return
        for item in deliveries:
            self._unanswered[(wire.msg_id, item.field_node)] = (item, wire)
        self._sending.create_task(self._publish(deliveries, wire))

    async def _publish(self, deliveries: list[Delivery], wire: _Wire) -> None:
        """One try for one message (to all of ``deliveries``); a failed one is repeated when the broker
        connection comes back."""
        assert self._connection is not None
        for item in deliveries:
            item.attempts += 1
        started = time.time()
        if not await self._connection.publish(wire.topic, wire.data, QOS[Topic.ALERT], self.options.publish_timeout_s):
            return
        done = time.time()
        for item in deliveries:
            if item.puback_at is None:
                item.published_at, item.puback_at = started, done
            elif item.ack is None:
                item.resent_at = started
        self._progress.set()
        for item in deliveries:
            self._changed(item.field_node)

    async def _collect(self) -> None:
        """Wait for every delivery's ack, each up to its deadline after its latest publish (one never
        published: after the scenario's end, in case the broker comes back)."""
        deadline_s, ended = self.options.ack_deadline_s, time.time()
        while waiting := [d for d, _ in self._unanswered.values()]:
            remaining = max(d.due_at(deadline_s, ended) for d in waiting) - time.time()
            if remaining <= 0 or self._stop.is_set():
                return
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                return
