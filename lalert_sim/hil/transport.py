"""The MQTT transport of the bridge and the field nodes: the one module that speaks aiomqtt.

What travels (topics, payloads, QoS) is the protocol's; a ``Session`` only connects with the socket
settings both sides want and hands each message on stamped with the receiver's clock, either through
``messages()`` or, for a field node, straight to a handler as it comes off the socket (``on_message``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import cast

import aiomqtt
import paho.mqtt.client as mqtt

from lalert_sim.hil.broker import BrokerAddress

MqttError = aiomqtt.MqttError  # the connection was refused or broke off
TCP_NODELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small packets leave at once (no Nagle delay)


def first_error(error: BaseException) -> BaseException:
    """The first error inside a (nested) exception group, as task groups raise them: what broke off."""
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


class Backoff:
    """Reconnection delays: exponential from ``min_s`` to ``max_s``, each drawn from its upper half
    (jitter, so many clients that lost one broker do not all come back at the same instant)."""

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None) -> None:
        self.min_s, self.max_s = min_s, max_s
        self._rng = rng or random.Random()
        self._next_s = min_s

    def next_s(self) -> float:
        """The delay before the next try (and double the one after, up to ``max_s``)."""
        delay = self._next_s * self._rng.uniform(0.5, 1.0)
        self._next_s = min(self._next_s * 2, self.max_s)
        return delay

    def reset(self) -> None:
        """Connected again: the next loss starts from ``min_s``."""
        self._next_s = self.min_s


@dataclass(frozen=True)
class Received:
    """One incoming message and when it came off the socket (the receiver's clock, POSIX s);
    ``mid`` and ``qos`` identify it to ``Session.ack``."""

    topic: str
    payload: bytes
    received_at: float
    mid: int = 0
    qos: int = 0


class _StampedQueue(asyncio.Queue[object]):
    """aiomqtt's incoming queue, stamping each message as the client reads it off the socket:
    receipt times then do not include work queued behind it in this process (e.g. other
    virtual nodes verifying signatures). When it is full aiomqtt drops the message; ``dropped``
    counts those with QoS > 0, which the broker redelivers only on a new connection."""

    now: Callable[[], float] = time.time
    dropped = 0

    def put_nowait(self, item: object) -> None:
        try:
            super().put_nowait(item)
        except asyncio.QueueFull:
            if getattr(item, "qos", 0) > 0:
                self.dropped += 1
            raise

    def _put(self, item: object) -> None:
        super()._put((self.now(), item))


class Session:
    """One connection to a broker: ``async with Session(address) as session``; reusable, not re-entrant."""

    def __init__(
        self,
        address: BrokerAddress,
        identifier: str | None = None,
        *,
        persistent: bool = False,
        last_will: tuple[str, bytes] | None = None,
        keepalive_s: int = 60,
        clock: Callable[[], float] = time.time,
        max_inflight: int | None = None,
        max_queued: int = 0,
        manual_ack: bool = False,
        logger: logging.Logger | None = None,
        on_message: Callable[[Received], None] | None = None,
    ) -> None:
        """``persistent``: the broker keeps the subscriptions and queues QoS 1 messages while we are away
        (needs a fixed ``identifier``); ``last_will``: (topic, payload) published, retained, if we vanish;
        ``max_queued``: bound on messages received and not yet handled (0: none); ``manual_ack``: a QoS 1
        message is acknowledged to the broker only by ``ack``, so one never handled is delivered again;
        ``on_message``: each message is given to it as the client reads it off the socket (inside its
        read callback: no queue, task or wake-up per message) instead of through ``messages()``, from
        the first one after the CONNACK (a persistent session's backlog can come before the SUBACK).
        An ``address`` with TLS settings connects over TLS, checking the broker's certificate and name."""
        queue_type = type("StampedQueue", (_StampedQueue,), {"now": staticmethod(clock)})
        will = None if last_will is None else aiomqtt.Will(last_will[0], last_will[1], qos=1, retain=True)
        self._client = aiomqtt.Client(
            address.host,
            address.port,
            username=address.username,
            password=address.password,
            identifier=identifier,
            clean_session=not persistent,
            keepalive=keepalive_s,
            will=will,
            socket_options=[TCP_NODELAY],
            tls_context=None if address.tls is None else address.tls.context(),
            queue_type=cast(type[asyncio.Queue[aiomqtt.Message]], queue_type),
            max_queued_incoming_messages=max_queued,
            max_inflight_messages=max_inflight,
            logger=logger,
        )
        self._queue = cast(_StampedQueue, self._client._queue)
        self._clock = clock
        # aiomqtt 2.5 does not expose paho's manual acknowledgement; its paho client does.
        self._paho = self._client._client
        self._paho.manual_ack_set(manual_ack)
        self._handler = on_message
        if on_message is not None:
            self._paho.on_message = self._on_message
        self._writer_fd: int | None = None  # while the socket is full and paho waits to write the rest

    async def __aenter__(self) -> Session:
        self._loop, self._loop_thread = asyncio.get_running_loop(), threading.get_ident()
        self._paho.on_socket_register_write = self._write_soon  # instead of aiomqtt's: see there
        self._paho.on_socket_unregister_write = self._written
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._client.__aexit__(exc_type, exc, traceback)

    async def subscribe(self, *filters: tuple[str, int]) -> None:
        """Subscribe to (topic filter, QoS) pairs."""
        await self._client.subscribe(list(filters))

    async def publish(self, topic: str, payload: bytes | str, qos: int, retain: bool = False) -> None:
        """Publish; with QoS 1 this returns once the broker has acknowledged it."""
        await self._client.publish(topic, payload, qos=qos, retain=retain)

    def publish_now(self, topic: str, payload: bytes | str, qos: int) -> None:
        """Publish without waiting for the broker: written with whatever else this loop iteration
        sends, in order. paho keeps a QoS 1 message until its PUBACK but only for this connection,
        so this is for answers whose loss with the connection is covered otherwise: a node's Ack
        goes out before the PUBACK (``ack``) of the alert it answers, on the same connection, so a
        broker that has the PUBACK has the Ack; without it the alert comes again and is answered again.
        Needs ``max_inflight=0`` for QoS 1 (paho would hold back a message over its in-flight limit)."""
        info = self._paho.publish(topic, payload, qos)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise MqttError(f"cannot publish on {topic}: {mqtt.error_string(info.rc)}")

    def ack(self, message: Received) -> None:
        """Tell the broker ``message`` is handled (with ``manual_ack``; a no-op for QoS 0)."""
        if message.qos > 0:
            self._paho.ack(message.mid, message.qos)

    def _on_message(self, _client: object, _userdata: object, message: mqtt.MQTTMessage) -> None:
        assert self._handler is not None
        self._handler(_received(message.topic, message.payload, self._clock(), message.mid, message.qos))

    async def closed(self) -> None:
        """Wait until the connection ends: then MqttError (why, when it broke off), or what
        ``on_message`` raised, as it was raised."""
        await asyncio.shield(self._client._disconnected)  # aiomqtt's future of this connection's end
        raise MqttError("the broker closed the connection")

    # --- writes: paho asks for them, the loop makes them -----------------------------------------------------------

    def _write_soon(self, _client: object, _userdata: object, sock: object) -> None:
        """paho has packets to send: send them once the callbacks already due in this loop iteration
        have queued theirs (an Ack and its alert's PUBACK, many agents' answers), in one go. aiomqtt
        would register the socket for writing through a thread-safe wake-up of the loop and take it
        off again after each write; the socket is writable nearly always, so it is only registered
        when it is full (``_flush``)."""
        if threading.get_ident() == self._loop_thread:
            self._loop.call_soon(self._flush)
        else:  # paho's connect, which aiomqtt runs in an executor thread
            self._loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        try:
            self._paho.loop_write()
        except Exception as exc:  # as aiomqtt's own write callback: a broken pipe ends the connection
            if not self._client._disconnected.done():
                self._client._disconnected.set_exception(exc)
            return
        sock = self._paho.socket()
        if self._paho.want_write() and sock is not None and self._writer_fd is None:  # full: write when it drains
            self._writer_fd = sock.fileno()
            self._loop.add_writer(self._writer_fd, self._flush)

    def _written(self, _client: object, _userdata: object, _sock: object) -> None:
        """paho has nothing left to send (or the socket closes)."""
        if self._writer_fd is not None:
            self._loop.remove_writer(self._writer_fd)
            self._writer_fd = None

    async def messages(self) -> AsyncIterator[Received]:
        """Incoming messages until the connection ends (then MqttError). QoS 1 messages dropped
        because the queue was full also end it, once those queued are handled: the broker delivers
        the dropped ones again on the next connection (a broker does not always hold back
        unacknowledged messages to its in-flight limit; Mosquitto 2.0 lets more through per PUBACK)."""
        async for item in self._client.messages:
            received_at, message = cast(tuple[float, aiomqtt.Message], item)
            yield _received(str(message.topic), message.payload, received_at, message.mid, message.qos)
            if self._queue.dropped and self._queue.empty():
                raise MqttError(f"{self._queue.dropped} messages dropped by the full incoming queue; reconnecting")


def _received(topic: str, payload: object, received_at: float, mid: int, qos: int) -> Received:
    data = payload if isinstance(payload, bytes) else str(payload).encode()
    return Received(topic, data, received_at, mid, qos)
