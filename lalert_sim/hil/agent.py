"""The field-node agent: a Raspberry Pi (or a virtual node on any PC) that sounds what the bridge sends.

It keeps a persistent MQTT session under a fixed client id, so alerts sent while it was offline
are delivered when it reconnects; it reconnects with exponential backoff; it subscribes to its own
alert topic and to those of its delivery groups; it acts only on alerts the protocol's Verifier
accepts, and answers every alert with an Ack carrying its own timestamps.
An alert is acknowledged to the broker only once it is recorded and answered, so a crash loses
nothing the broker handed over: the broker delivers it again and a handled one gets its first answer.

The receive path is kept short and runs as the MQTT client reads the message off the socket (no
queue or task per message): verify, switch the outputs on (the actuation moment), append the message
id to the replay journal; then the Ack and the alert's PUBACK are queued and written together once
the loop has read every alert arriving (the next turn for a node alone in its process). The rest
of the pattern, the event log, the printed line and the status update run after the Ack has gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

from lalert_sim.hil.answer_gate import gate_of
from lalert_sim.hil.node_config import NodeConfig
from lalert_sim.hil.outputs import OutputDriver, PatternPlayer, Step, limited, pattern_for
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
    group_topic,
    offline_status,
    parse_public_key,
    topic,
)
from lalert_sim.hil.transport import Backoff, MqttError, Received, Session
from lalert_sim.i18n import Messages

log = logging.getLogger("lalert_sim.node")
_MQTT_LOG = logging.getLogger("lalert_sim.node.mqtt")
_MQTT_LOG.setLevel(logging.ERROR)  # the client's errors are shown; its notes on each packet are not even formatted

STATUS_DELAY_S = 1.0  # rejection counters are re-published this long after they change, off the alert's path


@dataclass(frozen=True, slots=True)
class AlertLine:
    """What a node did with one alert message, for its one printed line (``lalert-sim node``)."""

    node_id: str
    outcome: Outcome | None  # None: on a group topic but addressed to other nodes (not answered)
    msg_id: str | None
    alert_id: str | None
    reason: Reason | None
    received_at: float  # the node's clock, POSIX s
    actuated_at: float | None
    issued_at: float | None  # the bridge's stamp in the signed payload (when it was signed)
    group: str | None  # the group topic it came on, if any

    @property
    def handling_ms(self) -> float | None:
        """Receipt to actuation on the node's own clock, in ms (None when not actuated)."""
        return None if self.actuated_at is None else (self.actuated_at - self.received_at) * 1e3

    @property
    def age_s(self) -> float | None:
        """Receipt minus the bridge's issue stamp (seconds; includes the clock offset between them)."""
        return None if self.issued_at is None else self.received_at - self.issued_at


class NodeAgent:
    """One field node: its MQTT session, verifier, outputs and counters."""

    def __init__(
        self,
        config: NodeConfig,
        driver: OutputDriver | None = None,
        on_alert: Callable[[AlertLine], None] | None = None,
    ) -> None:
        """``on_alert`` is told, after each alert's Ack has gone, what the node did with it."""
        self.config = config
        self.on_alert = on_alert
        self.node_id = node_id = config.node_id
        self.clock = Clock(config.clock_skew_s)
        state_dir = config.state_dir
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
        self._events: IO[str] | None = (state_dir / "events.jsonl").open("a") if state_dir else None
        self.verifier = Verifier(
            node_id,
            {k: parse_public_key(v) for k, v in config.keys.items()},
            ReplayGuard(state_dir / "handled.jsonl" if state_dir else None, self.clock.now()),
            config.safety.clock_tolerance_s,
            config.safety.max_validity_s,
            config.safety.max_message_bytes,
            frozenset(config.groups),
        )
        if state_dir is not None:
            self._recover_events(state_dir)
        self.driver = driver or OutputDriver(config.outputs, self._output_changed)
        self.player = PatternPlayer(self.driver)
        self.rejected: Counter[str] = Counter()
        self.actuated = 0
        self.connected = asyncio.Event()
        self.topics = {c: topic(node_id, c) for c in Topic}
        self.group_topics = {group_topic(g): g for g in config.groups}
        self._speech = shutil.which(config.speech.command) if config.speech.enabled else None
        if config.speech.enabled and self._speech is None:
            log.warning(
                "%s: speech enabled but %r is not installed; going on without it", node_id, config.speech.command
            )
        self._session: Session | None = None
        self._background: asyncio.TaskGroup | None = None  # while running
        self._status_task: asyncio.Task[None] | None = None
        self._online_since = 0.0
        self._after_ack: list[Callable[[], None]] = []  # work deferred past the Ack now being sent
        self._holding = False  # between an alert's receipt and its Ack: the event log is written after
        self._answer: tuple[Ack, str] | None = None  # the latest Ack and its JSON
        self._patterns: dict[str, tuple[Step, ...]] = {}  # each category's pattern within the safety limits

    # --- session ------------------------------------------------------------------------------------------------

    def _new_session(self) -> Session:
        settings = self.config.broker
        return Session(
            self.config.broker_address(),
            self.node_id,
            persistent=True,  # queued alerts survive a disconnect
            last_will=(self.topics[Topic.STATUS], offline_status(self.node_id, groups=self.config.groups)),
            keepalive_s=settings.keepalive_s,
            clock=self.clock.now,
            max_inflight=0,  # an Ack is never held back behind others: it must leave before its alert's PUBACK
            manual_ack=True,  # an alert is acknowledged once handled (``_handle``), not on arrival
            logger=_MQTT_LOG,
            on_message=self._handle,
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
                self._session = session = self._new_session()
                async with session:
                    self._online_since = self.clock.now()
                    await session.subscribe(
                        *((self.topics[t], QOS[t]) for t in NODE_READS),
                        *((name, QOS[Topic.ALERT]) for name in self.group_topics),
                    )
                    await self._publish_status()
                    self.connected.set()
                    self._event("connected")
                    self._flush_events()
                    backoff.reset()
                    try:
                        await session.closed()
                    except asyncio.CancelledError:
                        await asyncio.wait_for(self._publish_offline(session), 2)
                        raise
            except MqttError as exc:
                self.connected.clear()
                self._session = None
                delay = backoff.next_s()
                log.warning("%s: broker connection lost or refused (%s); retrying in %.1f s", self.node_id, exc, delay)
                self._event("disconnected", detail=str(exc))
                self._flush_events()
                await asyncio.sleep(delay)

    async def _publish_offline(self, session: Session) -> None:
        try:
            await session.publish(
                self.topics[Topic.STATUS],
                offline_status(self.node_id, self.clock.now(), self.config.groups),
                QOS[Topic.STATUS],
                True,
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
            groups=list(self.config.groups),
        )
        await self._session.publish(self.topics[Topic.STATUS], status.model_dump_json(), QOS[Topic.STATUS], True)

    # --- messages -----------------------------------------------------------------------------------------------

    def _handle(self, message: Received) -> None:
        """Act on one message as it is read. An alert's Ack, and then its acknowledgement to the broker
        (not before: see the module's docstring), go once the loop has read every alert arriving
        (``answer_gate``): many virtual nodes can share one process, and none waits for another's
        answer to switch its outputs."""
        session = self._session
        assert session is not None
        group = self.group_topics.get(message.topic)
        if group is not None or message.topic == self.topics[Topic.ALERT]:
            ack = self.handle_alert(message.payload, message.received_at, group)
            answer = self._answer
            reply = None if ack is None else answer[1] if answer and answer[0] is ack else ack.model_dump_json()
            gate_of(asyncio.get_running_loop()).hold(partial(self._send_answer, session, message, ack, reply))
            return
        if message.topic == self.topics[Topic.TIME_PING]:
            self._pong(session, message.payload, message.received_at)
        session.ack(message)

    def _send_answer(self, session: Session, message: Received, ack: Ack | None, reply: str | None) -> None:
        try:
            if reply is not None:
                session.publish_now(self.topics[Topic.ACK], reply, QOS[Topic.ACK])
            session.ack(message)
        except MqttError:
            pass  # the connection is gone: the broker sends the alert again and it gets its first answer
        finally:
            # once the Ack has gone: the loop runs the write that publishing queued before this
            asyncio.get_running_loop().call_soon(self.after_ack)
        if ack is None or ack.outcome is not Outcome.ACTUATED:
            self._status_soon()  # the bridge reads rejections from the status; an actuation it has in the Ack

    def _pong(self, session: Session, payload: bytes, t2: float) -> None:
        try:
            ping = TimePing.model_validate_json(payload)
        except ValueError:
            return
        pong = TimePong(seq=ping.seq, t1=ping.t1, t2=t2, t3=self.clock.now())
        session.publish_now(self.topics[Topic.TIME_PONG], pong.model_dump_json(), QOS[Topic.TIME_PONG])

    def handle_alert(self, raw: bytes, received_at: float, group: str | None = None) -> Ack | None:
        """Check one alert and act on it: the Ack to send back (also the unit under test); None for an
        alert on ``group``'s topic addressed to other nodes (counted as wrong_address, not answered).

        Work that can wait (the pattern's later steps, the event log, the printed line) is queued
        and done by ``after_ack``."""
        self._holding = True
        try:
            alert = self.verifier.check(raw, received_at)
        except Rejected as exc:
            self.rejected[exc.reason.value] += 1
            self._defer(partial(self._log_rejection, exc, received_at, group))
            if group is not None and exc.reason is Reason.WRONG_ADDRESS:
                return None  # for other members of the group: not this node's to answer
            first = self._first_answer(exc)
            return first or self._ack(exc.msg_id, Outcome.REJECTED, received_at, reason=exc.reason)
        ack = self._act(alert, received_at, group)
        answer = ack.model_dump_json()
        self.verifier.remember(alert, received_at, answer)  # before the broker hears of it
        self._answer = (ack, answer)  # serialised once: the journal's answer is what is published
        return ack

    def _log_rejection(self, exc: Rejected, received_at: float, group: str | None) -> None:
        log.warning("%s: rejected alert %s: %s", self.node_id, exc.msg_id or "?", exc)
        self._event("rejected", msg_id=exc.msg_id, reason=exc.reason.value, detail=exc.detail, group=group)
        answered = group is None or exc.reason is not Reason.WRONG_ADDRESS
        outcome = Outcome.REJECTED if answered else None
        self._tell(AlertLine(self.node_id, outcome, exc.msg_id, None, exc.reason, received_at, None, None, group))

    def _tell(self, line: AlertLine) -> None:
        if self.on_alert is not None:
            try:
                self.on_alert(line)
            except OSError as exc:  # e.g. a closed terminal: the line is a courtesy, the node goes on
                log.warning("%s: cannot print the alert's line: %s", self.node_id, exc)

    def _defer(self, work: Callable[[], None]) -> None:
        self._after_ack.append(work)

    def after_ack(self) -> None:
        """Do what ``handle_alert`` put off (called once the Ack is published; by tests directly)."""
        work, self._after_ack = self._after_ack, []
        self._holding = False
        for item in work:
            item()
        self._flush_events()

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

    def _act(self, alert: AlertPayload, received_at: float, group: str | None = None) -> Ack:
        """Sound a verified alert, or refuse it when this node does not accept its mode."""
        if alert.mode not in self.config.safety.accept_modes:
            self._defer(partial(self._log_refusal, alert, received_at, group))
            return self._ack(alert.msg_id, Outcome.REFUSED, received_at, reason=Reason.MODE_REFUSED)
        actuated_at = self._actuate(alert, received_at, group)
        return self._ack(alert.msg_id, Outcome.ACTUATED, received_at, actuated_at=actuated_at)

    def _log_refusal(self, alert: AlertPayload, received_at: float, group: str | None) -> None:
        self._event("refused", msg_id=alert.msg_id, reason=Reason.MODE_REFUSED.value, mode=alert.mode)
        log.warning(
            "%s: refused %s alert %s (accept_modes: %s)",
            self.node_id,
            alert.mode,
            alert.msg_id,
            ", ".join(self.config.safety.accept_modes),
        )
        self._tell(
            AlertLine(
                self.node_id,
                Outcome.REFUSED,
                alert.msg_id,
                alert.alert_id,
                Reason.MODE_REFUSED,
                received_at,
                None,
                alert.issued_at,
                group,
            )
        )

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

    def _actuate(self, alert: AlertPayload, received_at: float, group: str | None) -> float:
        """Switch the first step on now (the actuation moment); the rest plays after the Ack."""
        safety = self.config.safety
        steps = self._patterns.get(alert.category)
        if steps is None:
            steps = limited(
                pattern_for(alert.category), self.config.pattern_scale, safety.max_actuation_s, safety.siren_max_on_s
            )
            self._patterns[alert.category] = steps
        self.player.start(steps)
        actuated_at = self.clock.now()
        self.actuated += 1
        self._defer(partial(self._log_actuation, alert, received_at, actuated_at, group))
        return actuated_at

    def _log_actuation(self, alert: AlertPayload, received_at: float, actuated_at: float, group: str | None) -> None:
        self._event(
            "actuated",
            msg_id=alert.msg_id,
            alert_id=alert.alert_id,
            category=alert.category,
            mode=alert.mode,
            sim_issue_s=alert.sim_issue_s,
            group=group,
        )
        if self._speech is not None and alert.headline and self._background is not None:
            self._background.create_task(self._speak(self._speech, alert.headline))
        line = AlertLine(
            self.node_id,
            Outcome.ACTUATED,
            alert.msg_id,
            alert.alert_id,
            None,
            received_at,
            actuated_at,
            alert.issued_at,
            group,
        )
        self._tell(line)

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
        if not self._holding:  # a pattern's later step (not the actuation itself): written at once
            self._flush_events()

    def _event(self, event: str, **fields: object) -> None:
        """Append one line to the event log (written out by ``_flush_events``)."""
        if self._events is not None:
            self._events.write(
                json.dumps({"t": self.clock.now(), "node": self.node_id, "event": event, **fields}) + "\n"
            )

    def _recover_events(self, state_dir: Path) -> None:
        """Log what the journal says was done but the event log lacks: a node killed between an
        alert's journal line (written before its Ack) and the event-log line (written after) switched
        its outputs, and says so with ``recovered: true`` rather than lose the record."""
        logged = {e.get("msg_id") for e in read_events(state_dir) if e.get("event") in _ANSWERED_EVENTS}
        for msg_id, answer in self.verifier.replay.answers():
            if msg_id in logged or not answer:
                continue
            try:
                ack = Ack.model_validate_json(answer)
            except ValueError:
                continue
            if ack.outcome in (Outcome.ACTUATED, Outcome.REFUSED):
                self._event(ack.outcome.value, msg_id=msg_id, recovered=True, actuated_at=ack.actuated_at)
        self._flush_events()

    def _flush_events(self) -> None:
        if self._events is not None:
            self._events.flush()

    def close(self) -> None:
        """Release pins and files (after doing what was put off past an Ack)."""
        self.after_ack()
        self.player.stop()
        self.driver.close()
        self.verifier.replay.close()
        if self._events is not None:
            self._events.close()
            self._events = None


def alert_line_text(line: AlertLine, messages: Messages) -> str:
    """The one line a node prints for an alert message: actuated, refused, rejected (with the reason)
    or ignored (on a group topic, for other nodes), with its latency."""
    msg = (line.msg_id or "?")[:8]
    via = "" if line.group is None else messages("field.via_group", group=line.group)
    reason = "" if line.reason is None else line.reason.value
    match line.outcome:
        case Outcome.ACTUATED:
            handling, age = line.handling_ms, line.age_s
            return messages(
                "field.node_actuated",
                node=line.node_id,
                alert=line.alert_id,
                msg=msg,
                via=via,
                handling=f"{handling or 0.0:.2f}",
                age=f"{age or 0.0:.3f}",
            )
        case Outcome.REFUSED:
            return messages(
                "field.node_refused", node=line.node_id, alert=line.alert_id, msg=msg, via=via, reason=reason
            )
        case Outcome.REJECTED:
            return messages("field.node_rejected", node=line.node_id, msg=msg, via=via, reason=reason)
        case None:
            return messages("field.node_ignored", node=line.node_id, msg=msg, group=line.group)


_ANSWERED_EVENTS = frozenset({Outcome.ACTUATED.value, Outcome.REFUSED.value})


def read_events(state_dir: Path) -> list[dict[str, Any]]:
    """A node's event log (what it received, rejected, actuated, and each output change)."""
    path = state_dir / "events.jsonl"
    if not path.exists():
        return []
    events: list[dict[str, Any]] = []
    for line in path.read_text(errors="replace").splitlines():
        try:  # a line cut by a kill mid-write is not an event
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events
