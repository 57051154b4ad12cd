"""Link conditions on the wire: a small user-space TCP relay per impaired field node, between that
node and the broker, adding a one-way delay each way (order kept), a bandwidth limit (a token
bucket) and outage windows (connections cut, new ones refused) — the scenario's ``impair:``.

``bridge`` and ``demo-hil`` start one ``Relay`` per impaired node (``Relays``); the node connects to
the relay's port as if it were the broker. Outage windows count from the moment the scenario starts
running (``Bridge.scenario_started``). Delays are drawn from the named streams
``impair:<field node>/down`` (broker → node) and ``/up``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from lalert_sim.errors import BridgeError, InvalidInput
from lalert_sim.hil.broker import BrokerAddress
from lalert_sim.model.field_nodes import FieldNodes
from lalert_sim.model.impairments import FROM_MEDIUM, Impairment
from lalert_sim.prepare import Prepared
from lalert_sim.streams import Stream

if TYPE_CHECKING:
    from lalert_sim.hil.bridge import Bridge, BridgeRun

BURST_BYTES = 1500
"""The token bucket's depth: one Ethernet packet goes at once, more waits for its bits to be sent."""
CHUNK_BYTES = 64 * 1024
"""Most bytes read from a socket at once."""
PENDING_LIMIT_BYTES = 1024 * 1024
"""Bytes held in one direction before the relay stops reading (TCP back-pressure on the sender)."""
KEEPALIVE_ROUND_TRIP_S = 10.0
"""A node's default keepalive: a ping not answered within it breaks the connection."""
BROKER_PROBE_S = 0.2
"""How often a relay whose broker went away tries to reach it again."""
IMPAIRED_RECONNECT_MAX_S = 1.0
"""``demo-hil``'s virtual nodes behind a relay reconnect at most this far apart: an outage then delays an
alert by about its own length (a real node waits up to its node.toml ``broker.reconnect_max_s``)."""


# --- which node has which conditions ---------------------------------------------------------------------------


def resolve_impairments(prepared: Prepared, speed: float | None = None) -> dict[str, Impairment]:
    """Each impaired field node's conditions, ``from_medium`` resolved on the simulated link into its
    bound node (the first such link in the scenario) at ``speed`` (default the scenario's); InvalidInput
    names a binding where there is none."""
    settings = prepared.scenario.field_nodes
    if settings is None:
        return {}
    pace = speed or settings.speed
    resolved: dict[str, Impairment] = {}
    for index, binding in enumerate(settings.bindings):
        impair = settings.impair_of(binding)
        if impair is None or binding.field_node in resolved:
            continue
        if impair != FROM_MEDIUM:
            assert isinstance(impair, Impairment)
            resolved[binding.field_node] = impair
            continue
        link = next((k for k in prepared.topology.links if binding.node in k.targets), None)
        if link is None:
            raise InvalidInput(
                f"{prepared.source or 'scenario'}: field_nodes.bindings[{index}].impair: from_medium: "
                f"no link leads into {binding.node}, so it has no medium; give delay, bandwidth_bps or outages"
            )
        resolved[binding.field_node] = Impairment.of_link(link, pace)
    return resolved


def relay_ports(settings: FieldNodes, impaired: Mapping[str, object], base: int) -> dict[str, int]:
    """The fixed port of each impaired node's relay: ``base`` + the node's index in binding order
    (stable when another node gains or loses its impairment); InvalidInput when one passes 65535."""
    ports = {node: base + k for k, node in enumerate(settings.field_node_ids()) if node in impaired}
    if ports and max(ports.values()) > 65535:
        raise InvalidInput(f"--relay-port {base}: the relays would need ports up to {max(ports.values())} (> 65535)")
    return ports


# --- one direction of one connection ---------------------------------------------------------------------------


class Shaper:
    """When each chunk read in one direction is due at the far side: sent at the bucket's pace, then
    delayed; never before the chunk ahead of it (TCP keeps order)."""

    def __init__(self, impairment: Impairment, stream: Stream, now: float) -> None:
        self.delay = impairment.delay
        self.rate_bytes_s = None if impairment.bandwidth_bps is None else impairment.bandwidth_bps / 8
        self.stream = stream
        self.tokens = float(BURST_BYTES)
        self.refilled_at = now
        self.last_due = now

    def packets(self, chunk: bytes) -> list[bytes]:
        """The chunk whole, or in 1,500-byte packets on a limited link (so a slow link passes bytes on
        as they trickle through rather than holding a whole read of up to 64 KiB)."""
        if self.rate_bytes_s is None or len(chunk) <= BURST_BYTES:
            return [chunk]
        view = memoryview(chunk)
        return [bytes(view[k : k + BURST_BYTES]) for k in range(0, len(chunk), BURST_BYTES)]

    def due(self, size_bytes: int, now: float) -> float:
        """The moment a chunk of ``size_bytes`` read at ``now`` is written on."""
        sent = now
        if self.rate_bytes_s is not None:
            self.tokens = min(BURST_BYTES, self.tokens + (now - self.refilled_at) * self.rate_bytes_s)
            self.refilled_at = now
            self.tokens -= size_bytes
            if self.tokens < 0:  # in debt: the bits ahead of it are still being sent
                sent = now - self.tokens / self.rate_bytes_s
        due = sent + (0.0 if self.delay is None else self.delay.sample(self.stream))
        self.last_due = max(due, self.last_due)
        return self.last_due


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, shaper: Shaper) -> None:
    """Forward what ``reader`` gives to ``writer``, each chunk when ``shaper`` says; half-close at the end."""
    loop = asyncio.get_running_loop()
    queue: deque[tuple[float, bytes]] = deque()
    arrived, room = asyncio.Event(), asyncio.Event()
    pending_bytes = 0
    ended = False

    async def read() -> None:
        nonlocal ended, pending_bytes
        while chunk := await reader.read(CHUNK_BYTES):
            now = loop.time()
            for packet in shaper.packets(chunk):  # each written once its own last bit is through
                queue.append((shaper.due(len(packet), now), packet))
            pending_bytes += len(chunk)
            arrived.set()
            while pending_bytes > PENDING_LIMIT_BYTES:
                room.clear()
                await room.wait()
        ended = True
        arrived.set()

    async def write() -> None:
        nonlocal pending_bytes
        while True:
            if not queue:
                if ended:
                    break
                arrived.clear()
                await arrived.wait()
                continue
            due, chunk = queue[0]
            if (wait_s := due - loop.time()) > 0:
                await asyncio.sleep(wait_s)
            queue.popleft()
            writer.write(chunk)
            await writer.drain()
            pending_bytes -= len(chunk)
            room.set()
        if writer.can_write_eof():
            writer.write_eof()

    async with asyncio.TaskGroup() as both:
        both.create_task(read())
        both.create_task(write())


# --- a relay ---------------------------------------------------------------------------------------------------


@dataclass
class RelayCounts:
    """What one relay did: connections forwarded, and those an outage cut."""

    connections: int = 0
    cut: int = 0


@dataclass(eq=False)  # hashed by identity: the relay keeps a set of its open connections
class _Connection:
    writers: tuple[asyncio.StreamWriter, asyncio.StreamWriter]

    def abort(self) -> None:
        for writer in self.writers:
            writer.transport.abort()


class Relay:
    """One field node's link: listens on ``host:port`` (0: any free port) and forwards each connection
    to ``upstream`` under ``impairment``; ``begin`` starts its outage windows' clock."""

    def __init__(
        self,
        node_id: str,
        impairment: Impairment,
        upstream: tuple[str, int],
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.node_id = node_id
        self.impairment = impairment
        self.upstream = upstream
        self.host, self.port = host, port
        self.counts = RelayCounts()
        self.down = False  # inside an outage window
        self._streams = (Stream(seed, f"impair:{node_id}/down"), Stream(seed, f"impair:{node_id}/up"))
        self._server: asyncio.Server | None = None
        self._open: set[_Connection] = set()
        self._handlers: set[asyncio.Task[None]] = set()  # one per accepted connection, awaited on close
        self._windows: asyncio.Task[None] | None = None
        self._broker_up = True  # as far as the last try to reach it says
        self._watch: asyncio.Task[None] | None = None  # reaching for the broker while it is away
        self._closed = False

    async def start(self) -> Relay:
        """Listen; OSError (the port is taken) is the caller's to report."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def _listen_as_due(self) -> None:
        """Listen exactly while the link is up and the broker reachable: otherwise a node's connection
        attempt is refused at once, as by a broker that is not there (accepting it and hanging up would
        leave its MQTT client waiting out its connect timeout). Back on the same port, tried every 0.1 s
        should it be busy for a moment."""
        wanted = not (self.down or self._closed) and self._broker_up
        if not wanted and self._server is not None:
            self._server.close()
            self._server = None
        while wanted and self._server is None and not self._closed:
            try:
                await self.start()
            except OSError:
                await asyncio.sleep(0.1)

    def _check_broker(self) -> None:
        """A connection to the broker failed or ended: see whether it is still there (and stop
        listening until it is back if not)."""
        if not self._closed and (self._watch is None or self._watch.done()):
            self._watch = asyncio.get_running_loop().create_task(self._watch_broker())

    async def _watch_broker(self) -> None:
        while True:
            try:
                _, probe = await asyncio.open_connection(*self.upstream)
                probe.transport.abort()
                reachable = True
            except OSError:
                reachable = False
            if reachable != self._broker_up:
                self._broker_up = reachable
                await self._listen_as_due()
            if reachable:
                return
            await asyncio.sleep(BROKER_PROBE_S)

    def begin(self, epoch_s: float | None = None, elapsed: RunClock | None = None) -> None:
        """The scenario starts now (or at monotonic ``epoch_s``): outage windows count from here; or, with
        ``elapsed``, on that clock of the run (one that pauses and changes speed: the console's)."""
        if self.impairment.outages and self._windows is None:
            start = time.monotonic() if epoch_s is None else epoch_s
            clock = elapsed or (lambda: time.monotonic() - start)
            self._windows = asyncio.get_running_loop().create_task(self._outages(clock, elapsed is None))

    async def _outages(self, elapsed: RunClock, steady: bool) -> None:
        for window in self.impairment.outages:
            await _reached(elapsed, window.start_s, steady)
            self.down = True
            await self._listen_as_due()  # not listening: a connection attempt is refused at once
            for connection in list(self._open):
                self.counts.cut += 1
                connection.abort()
            await _reached(elapsed, window.end_s, steady)
            self.down = False
            await self._listen_as_due()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            await self._forward(client_reader, client_writer)
        finally:
            self._handlers.discard(handler)

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.down:  # accepted just before the listener closed
            client_writer.transport.abort()
            return
        try:
            broker_reader, broker_writer = await asyncio.open_connection(*self.upstream)
        except OSError:  # the broker is not there: refuse the next ones until it is back
            client_writer.transport.abort()
            self._check_broker()
            return
        if self.down:  # an outage began while the broker was being reached
            client_writer.transport.abort()
            broker_writer.transport.abort()
            return
        self.counts.connections += 1
        connection = _Connection((client_writer, broker_writer))
        self._open.add(connection)
        now = asyncio.get_running_loop().time()
        down, up = (Shaper(self.impairment, stream, now) for stream in self._streams)
        try:
            async with asyncio.TaskGroup() as pipes:
                pipes.create_task(_pipe(broker_reader, client_writer, down))
                pipes.create_task(_pipe(client_reader, broker_writer, up))
        except* (OSError, asyncio.IncompleteReadError):
            pass  # one side reset (or an outage cut both): the other goes with it
        finally:
            self._open.discard(connection)
            connection.abort()
            if not self.down:
                self._check_broker()

    async def close(self) -> None:
        """Stop listening and cut every connection."""
        self._closed = True
        for task in (self._windows, self._watch):
            if task is not None:
                task.cancel()
                await asyncio.wait([task])  # ended, so it cannot listen again behind our back
        if self._server is not None:
            self._server.close()
        for connection in list(self._open):
            connection.abort()
        if self._handlers:  # each ends once its sockets are aborted
            await asyncio.wait(list(self._handlers), timeout=2)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)


RunClock = Callable[[], float]
"""Seconds of the run so far at its nominal speed (what ``impair:`` outage windows count in)."""
FOLLOW_S = 0.05
"""How often a relay on a clock that may pause or change speed looks at it (outage edges this close)."""


async def _reached(elapsed: RunClock, at_s: float, steady: bool) -> None:
    """Return once ``elapsed()`` reaches ``at_s``: one sleep on a steady clock, else a look every FOLLOW_S."""
    while (left := at_s - elapsed()) > 0:
        await asyncio.sleep(left if steady else min(left, FOLLOW_S))


class Relays:
    """The relays of every impaired field node of one run, started and stopped together:
    ``async with Relays(impairments, broker) as relays: relays.address(node, its_address)``."""

    def __init__(
        self,
        impairments: Mapping[str, Impairment],
        broker: BrokerAddress,
        seed: int = 0,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        elapsed: RunClock | None = None,
    ) -> None:
        """``elapsed``: the run's own clock for the outage windows, when it can pause or change speed (the
        console's); default the wall clock from the scenario's start."""
        upstream = (broker.host, broker.port)
        self.elapsed = elapsed
        self.relays = {
            node: Relay(node, impairment, upstream, seed, host, (ports or {}).get(node, 0))
            for node, impairment in impairments.items()
        }
        self._follower: asyncio.Task[None] | None = None

    def address(self, node_id: str, direct: BrokerAddress) -> BrokerAddress:
        """How ``node_id`` reaches the broker: through its relay if it has one (the same user and
        settings, e.g. TLS, which the relay passes through untouched), else ``direct``."""
        relay = self.relays.get(node_id)
        return direct if relay is None else dataclasses.replace(direct, host=relay.host, port=relay.port)

    def described(self) -> dict[str, str]:
        """Each impaired node's conditions in the report's notation."""
        return {node: relay.impairment.describe() for node, relay in self.relays.items()}

    def attach(self, bridge: Bridge, log: Callable[[str], None] | None = None) -> None:
        """Tell ``bridge``'s report which node had which conditions, say where each relay listens, and
        begin every relay's outage clock when the bridge's scenario starts."""
        say = log or (lambda _line: None)
        bridge.record.impairments = self.described()
        for node, relay in self.relays.items():
            say(f"{node}: through the relay on {relay.host}:{relay.port} ({relay.impairment.describe()})")
            delay = relay.impairment.delay
            if delay is not None and 2 * delay.mean > KEEPALIVE_ROUND_TRIP_S:
                say(
                    f"{node}: a round trip of {2 * delay.mean:g} s on average is longer than MQTT keepalives "
                    f"allow (node.toml broker.keepalive_s, default 10 s): the node may not stay connected"
                )

        async def follow() -> None:
            await bridge.scenario_started.wait()
            now = time.monotonic()
            for relay in self.relays.values():
                relay.begin(now, self.elapsed)

        self._follower = asyncio.get_running_loop().create_task(follow())

    async def run(self, bridge: Bridge, log: Callable[[str], None] | None = None) -> BridgeRun:
        """``bridge``'s whole run with these relays in place (started first, stopped after)."""
        async with self:
            self.attach(bridge, log)
            return await bridge.run()

    async def __aenter__(self) -> Relays:
        for relay in self.relays.values():
            try:
                await relay.start()
            except OSError as exc:  # e.g. the port is taken: the run cannot go as the nodes were told
                await self.__aexit__(None, None, None)
                raise BridgeError(
                    f"relay of field node {relay.node_id}: cannot listen on {relay.host}:{relay.port}: {exc.strerror}"
                ) from None
        return self

    async def __aexit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._follower is not None:
            self._follower.cancel()
        for relay in self.relays.values():
            await relay.close()
