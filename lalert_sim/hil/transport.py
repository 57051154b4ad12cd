"""The MQTT transport of the bridge and the field nodes: the one module that speaks aiomqtt.

What travels (topics, payloads, QoS) is the protocol's; a ``Session`` only connects with the socket
settings both sides want and hands each message on stamped with the receiver's clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import cast

import aiomqtt

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
    ) -> None:
        """``persistent``: the broker keeps the subscriptions and queues QoS 1 messages while we are away
        (needs a fixed ``identifier``); ``last_will``: (topic, payload) published, retained, if we vanish;
        ``max_queued``: bound on messages received and not yet handled (0: none); ``manual_ack``: a QoS 1
        message is acknowledged to the broker only by ``ack``, so one never handled is delivered again.
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
        # aiomqtt 2.5 does not expose paho's manual acknowledgement; its paho client does.
        self._paho = self._client._client
        self._paho.manual_ack_set(manual_ack)

    async def __aenter__(self) -> Session:
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

    def ack(self, message: Received) -> None:
        """Tell the broker ``message`` is handled (with ``manual_ack``; a no-op for QoS 0)."""
        if message.qos > 0:
            self._paho.ack(message.mid, message.qos)

    async def messages(self) -> AsyncIterator[Received]:
        """Incoming messages until the connection ends (then MqttError). QoS 1 messages dropped
        because the queue was full also end it, once those queued are handled: the broker delivers
        the dropped ones again on the next connection (a broker does not always hold back
        unacknowledged messages to its in-flight limit; Mosquitto 2.0 lets more through per PUBACK)."""
        async for item in self._client.messages:
            received_at, message = cast(tuple[float, aiomqtt.Message], item)
            payload = message.payload
            data = payload if isinstance(payload, bytes) else str(payload).encode()
            yield Received(str(message.topic), data, received_at, message.mid, message.qos)
            if self._queue.dropped and self._queue.empty():
                raise MqttError(f"{self._queue.dropped} messages dropped by the full incoming queue; reconnecting")
