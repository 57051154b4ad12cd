"""The field-node agent: a Raspberry Pi (or a virtual node on any PC) that sounds what the bridge sends.

It keeps a persistent MQTT session under a fixed client id, so alerts sent while it was offline
are delivered when it reconnects; it reconnects with exponential backoff; it acts only on alerts
the protocol's Verifier accepts, and answers every alert with an Ack carrying its own timestamps.
An alert is acknowledged to the broker only once it is recorded and answered, so a crash loses
nothing the broker handed over: the broker delivers it again and a handled one gets its first answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections import Counter
from pathlib import Path
from typing import IO, Any

from lalert_sim.hil.node_config import NodeConfig
from lalert_sim.hil.outputs import OutputDriver, PatternPlayer, limited, pattern_for
from lalert_sim.hil.protocol import (
    NODE_READS,
    QOS,
    Ack,
    AlertPayload,
    Clock,
    Outcome,
    Reason,
    Rejected,
    ReplayGuard,
    Status,
    TimePing,
    TimePong,
    Topic,
    Verifier,
    offline_status,
    parse_public_key,
    topic,
)
from lalert_sim.hil.transport import Backoff, MqttError, Received, Session

log = logging.getLogger("lalert_sim.node")
_MQTT_LOG = logging.getLogger("lalert_sim.node.mqtt")
_MQTT_LOG.setLevel(logging.ERROR)  # aiomqtt warns of each message a full queue drops: the agent says it once

STATUS_DELAY_S = 1.0  # counters are re-published this long after they change, not on the alert's critical path
MAX_QUEUED = 1000  # messages received and not yet handled; the broker's in-flight window keeps it far lower


class NodeAgent:
    """One field node: its MQTT session, verifier, outputs and counters."""

    def __init__(self, config: NodeConfig, driver: OutputDriver | None = None) -> None:
        self.config = config
        self.node_id = node_id = config.node_id
        self.clock = Clock(config.clock_skew_s)
        state_dir = config.state_dir
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
        self._events: IO[str] | None = (state_dir / "events.jsonl").open("a") if state_dir else None
        self.verifier = Verifier(
            node_id,
            {k: parse_public_key(v) for k, v in config.keys.items()},
            ReplayGuard(state_dir / "handled.jsonl" if state_dir else None),
            config.safety.clock_tolerance_s,
            config.safety.max_validity_s,
            config.safety.max_message_bytes,
        )
        self.driver = driver or OutputDriver(config.outputs, self._output_changed)
        self.player = PatternPlayer(self.driver)
        self.rejected: Counter[str] = Counter()
        self.actuated = 0
        self.connected = asyncio.Event()
        self.topics = {c: topic(node_id, c) for c in Topic}
        self._speech = shutil.which(config.speech.command) if config.speech.enabled else None
        if config.speech.enabled and self._speech is None:
            log.warning(
                "%s: speech enabled but %r is not installed; going on without it", node_id, config.speech.command
            )
        self._session: Session | None = None
        self._background: asyncio.TaskGroup | None = None  # while running
        self._status_task: asyncio.Task[None] | None = None
        self._online_since = 0.0

    # --- session ------------------------------------------------------------------------------------------------

    def _new_session(self) -> Session:
        settings = self.config.broker
        return Session(
            self.config.broker_address(),
            self.node_id,
            persistent=True,  # queued alerts survive a disconnect
            last_will=(self.topics[Topic.STATUS], offline_status(self.node_id)),
            keepalive_s=settings.keepalive_s,
            clock=self.clock.now,
            max_queued=MAX_QUEUED,
            manual_ack=True,  # an alert is acknowledged once handled (``_handle``), not on arrival
            logger=_MQTT_LOG,
        )

    async def run(self) -> None:
        """Serve until cancelled: connect, subscribe, handle messages; reconnect with backoff on loss."""
        try:
            async with asyncio.TaskGroup() as background:  # delayed status updates and speech
                self._background = background
                await self._stay_connected()
        finally:
            self._background = None
            self.connected.clear()
            self.player.stop()

    async def _stay_connected(self) -> None:
        settings = self.config.broker
        backoff = Backoff(settings.reconnect_min_s, settings.reconnect_max_s)
        while True:
            try:
                async with self._new_session() as session:
                    self._session = session
                    self._online_since = self.clock.now()
                    await session.subscribe(*((self.topics[t], QOS[t]) for t in NODE_READS))
                    await self._publish_status()
                    self.connected.set()
                    self._event("connected")
                    backoff.reset()
                    try:
                        async for message in session.messages():
                            await self._handle(message)
                    except asyncio.CancelledError:
                        await asyncio.wait_for(self._publish_offline(session), 2)
                        raise
            except MqttError as exc:
                self.connected.clear()
                self._session = None
                delay = backoff.next_s()
                log.warning("%s: broker connection lost or refused (%s); retrying in %.1f s", self.node_id, exc, delay)
                self._event("disconnected", detail=str(exc))
                await asyncio.sleep(delay)

    async def _publish_offline(self, session: Session) -> None:
        try:
            await session.publish(
                self.topics[Topic.STATUS], offline_status(self.node_id, self.clock.now()), QOS[Topic.STATUS], True
            )
        except MqttError:
            pass  # the broker publishes the last will instead

    async def _publish_status(self) -> None:
        if self._session is None:
            return
        status = Status(
            node_id=self.node_id,
            state="online",
            since=self._online_since,  # a new value tells the bridge this is a new connection
            outputs=[str(name) for name in self.driver.pins],
            rejected=dict(self.rejected),
            actuated=self.actuated,
        )
        await self._session.publish(self.topics[Topic.STATUS], status.model_dump_json(), QOS[Topic.STATUS], True)

    # --- messages -----------------------------------------------------------------------------------------------

    async def _handle(self, message: Received) -> None:
        """Answer one message, then acknowledge it to the broker (not before: see the module's docstring)."""
        if message.topic == self.topics[Topic.TIME_PING]:
            await self._pong(message.payload, message.received_at)
        elif message.topic == self.topics[Topic.ALERT]:
            await self._alert(message.payload, message.received_at)
        assert self._session is not None
        self._session.ack(message)

    async def _pong(self, payload: bytes, t2: float) -> None:
        try:
            ping = TimePing.model_validate_json(payload)
        except ValueError:
            return
        pong = TimePong(seq=ping.seq, t1=ping.t1, t2=t2, t3=self.clock.now())
        await self._publish(Topic.TIME_PONG, pong.model_dump_json())

    async def _publish(self, kind: Topic, payload: str) -> None:
        """Publish on one of this node's topics (only ever while connected: it answers a message)."""
        assert self._session is not None
        await self._session.publish(self.topics[kind], payload, QOS[kind])

    def handle_alert(self, raw: bytes, received_at: float) -> Ack:
        """Check one alert and act on it: the Ack to send back (also the unit under test)."""
        try:
            alert = self.verifier.check(raw, received_at)
        except Rejected as exc:
            self.rejected[exc.reason.value] += 1
            log.warning("%s: rejected alert %s: %s", self.node_id, exc.msg_id or "?", exc)
            self._event("rejected", msg_id=exc.msg_id, reason=exc.reason.value, detail=exc.detail)
            first = self._first_answer(exc)
            return first or self._ack(exc.msg_id, Outcome.REJECTED, received_at, reason=exc.reason)
        ack = self._act(alert, received_at)
        self.verifier.remember(alert, received_at, ack.model_dump_json())  # before the broker hears of it
        return ack

    def _first_answer(self, replay: Rejected) -> Ack | None:
        """The answer first given to a replayed message id, sent again (e.g. the broker or the bridge
        re-sent an alert whose answer was lost); None when none was recorded."""
        if replay.reason is not Reason.REPLAYED or replay.msg_id is None:
            return None
        try:
            first = Ack.model_validate_json(self.verifier.replay.answer(replay.msg_id))
        except ValueError:  # none recorded (or a damaged line)
            return None
        return first.model_copy(update={"duplicate": True, "sent_at": self.clock.now()})

    def _act(self, alert: AlertPayload, received_at: float) -> Ack:
        """Sound a verified alert, or refuse it when this node does not accept its mode."""
        if alert.mode not in self.config.safety.accept_modes:
            self._event("refused", msg_id=alert.msg_id, reason=Reason.MODE_REFUSED.value, mode=alert.mode)
            log.warning(
                "%s: refused %s alert %s (accept_modes: %s)",
                self.node_id,
                alert.mode,
                alert.msg_id,
                ", ".join(self.config.safety.accept_modes),
            )
            return self._ack(alert.msg_id, Outcome.REFUSED, received_at, reason=Reason.MODE_REFUSED)
        actuated_at = self._actuate(alert)
        return self._ack(alert.msg_id, Outcome.ACTUATED, received_at, actuated_at=actuated_at)

    def _ack(
        self,
        msg_id: str | None,
        outcome: Outcome,
        received_at: float,
        reason: Reason | None = None,
        actuated_at: float | None = None,
    ) -> Ack:
        """The answer to one alert, stamped as it is built (just before it is published)."""
        return Ack(
            node_id=self.node_id,
            msg_id=msg_id,
            outcome=outcome,
            reason=reason,
            received_at=received_at,
            actuated_at=actuated_at,
            sent_at=self.clock.now(),
        )

    def _actuate(self, alert: AlertPayload) -> float:
        safety = self.config.safety
        steps = limited(
            pattern_for(alert.category), self.config.pattern_scale, safety.max_actuation_s, safety.siren_max_on_s
        )
        self.player.start(steps)
        actuated_at = self.clock.now()
        self.actuated += 1
        self._event(
            "actuated",
            msg_id=alert.msg_id,
            alert_id=alert.alert_id,
            category=alert.category,
            mode=alert.mode,
            sim_issue_s=alert.sim_issue_s,
        )
        if self._speech is not None and alert.headline and self._background is not None:
            self._background.create_task(self._speak(self._speech, alert.headline))
        return actuated_at

    async def _alert(self, raw: bytes, received_at: float) -> None:
        ack = self.handle_alert(raw, received_at)  # stamped sent_at as it was built, just before this publish
        await self._publish(Topic.ACK, ack.model_dump_json())
        self._status_soon()

    def _status_soon(self) -> None:
        """Re-publish the counters shortly (once for a burst of alerts)."""
        pending = self._status_task is not None and not self._status_task.done()
        if not pending and self._background is not None:
            self._status_task = self._background.create_task(self._status_later())

    async def _status_later(self) -> None:
        await asyncio.sleep(STATUS_DELAY_S)
        try:
            await self._publish_status()
        except MqttError:
            pass  # published again at the next (re)connection

    async def _speak(self, command: str, text: str) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                command,
                "-v",
                self.config.speech.voice,
                text,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:  # speech is a courtesy: it must not stop the node
            log.warning("%s: cannot speak the headline: %s", self.node_id, exc)
            return
        await process.wait()

    # --- records ------------------------------------------------------------------------------------------------

    def _output_changed(self, name: str, on: bool) -> None:
        self._event("output", output=name, on=on)

    def _event(self, event: str, **fields: object) -> None:
        if self._events is not None:
            self._events.write(
                json.dumps({"t": self.clock.now(), "node": self.node_id, "event": event, **fields}) + "\n"
            )
            self._events.flush()

    def close(self) -> None:
        """Release pins and files."""
        self.player.stop()
        self.driver.close()
        if self._events is not None:
            self._events.close()
            self._events = None


def read_events(state_dir: Path) -> list[dict[str, Any]]:
    """A node's event log (what it received, rejected, actuated, and each output change)."""
    path = state_dir / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
