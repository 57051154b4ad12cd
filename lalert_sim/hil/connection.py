"""A broker connection kept up for a whole bridge run: a persistent session under a fixed client id,
re-established with jittered exponential backoff whenever it breaks; publishing says whether the
broker took the message instead of raising, so a caller can keep what it must send again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from lalert_sim.hil.transport import Backoff, MqttError, Received, Session


class Connection:
    """``await connection.run()`` until cancelled; ``connected`` is set while a session is up."""

    def __init__(
        self,
        new_session: Callable[[], Session],
        backoff: Backoff,
        on_connect: Callable[[Session], Awaitable[None]],
        on_message: Callable[[Received], None],
        on_lost: Callable[[str], None],
    ) -> None:
        """``on_connect`` runs on each new session before it counts as connected (subscribe there);
        ``on_lost`` is told why a session ended, before the next try."""
        self._new_session = new_session
        self._backoff = backoff
        self._on_connect = on_connect
        self._on_message = on_message
        self._on_lost = on_lost
        self.session: Session | None = None
        self.connected = asyncio.Event()
        self._ended = asyncio.Event()  # the current session's end (a fresh one per session)
        self.sessions = 0

    async def run(self) -> None:
        """Connect and receive; reconnect after a loss. The first connection's error is raised
        (a broker that was never there is a mistake, not an outage)."""
        while True:
            try:
                async with self._new_session() as session:
                    await self._on_connect(session)
                    self._up(session)
                    async for message in session.messages():
                        self._on_message(message)
                reason = "the broker closed the connection"
            except (MqttError, OSError) as exc:
                if self.sessions == 0:
                    raise
                reason = str(exc) or type(exc).__name__
            finally:
                self._down()
            self._on_lost(reason)
            await asyncio.sleep(self._backoff.next_s())

    def _up(self, session: Session) -> None:
        self.session = session
        self.sessions += 1
        self._ended = asyncio.Event()
        self._backoff.reset()
        self.connected.set()

    def _down(self) -> None:
        self.session = None
        self.connected.clear()
        self._ended.set()

    async def publish(self, topic: str, payload: bytes | str, qos: int, timeout_s: float) -> bool:
        """True once the broker has the message (its PUBACK for QoS 1); False when not connected, or
        the session ended or ``timeout_s`` passed first."""
        session, ended = self.session, self._ended
        if session is None:
            return False
        sending = asyncio.ensure_future(session.publish(topic, payload, qos))
        waiting = asyncio.ensure_future(ended.wait())
        try:
            await asyncio.wait((sending, waiting), timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            if not sending.done():
                sending.cancel()
        return sending.done() and not sending.cancelled() and sending.exception() is None
