"""One replication: build run-time nodes and links on a SimPy environment, inject, run."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from heapq import heappop
from typing import TYPE_CHECKING

import simpy

from lalert_sim.engine.availability import DORMANT, AvailabilityLog
from lalert_sim.engine.chains import ChainBoard
from lalert_sim.engine.channels import later
from lalert_sim.engine.links import LinkRuntime
from lalert_sim.engine.receipts import NodeTimes, Receipts
from lalert_sim.engine.relay import NodeRuntime
from lalert_sim.engine.state import AlertState
from lalert_sim.engine.stations import StationOutage
from lalert_sim.engine.trace import Trace
from lalert_sim.model.chains import event_of, order_of
from lalert_sim.model.network import Channel
from lalert_sim.model.outputs import Outputs
from lalert_sim.prepare import Injection, Prepared, StreamMessages
from lalert_sim.streams import Stream
from lalert_sim.topology.graph import Topology

if TYPE_CHECKING:
    from lalert_sim.engine.responses import ResponseRecords


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector.

    Building and running a replication allocates many objects (run-time nodes,
    events, trace rows) but makes almost no reference cycles; the collector's
    repeated scans of them would otherwise cost about 40 % of the time on a
    nationwide topology. Cycles, if any, are collected once it is back on. Pauses nest: the
    outermost one turns it back on (a sweep pauses it over a whole replication, summary included,
    so that the run's objects, freed without cycles, are never scanned).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@dataclass
class RunResult:
    """What one replication produced: the trace and each alert's receipts and emissions."""

    topology: Topology
    alerts: list[AlertState]
    trace: Trace
    seed: int
    until_s: float
    events: int
    availability: AvailabilityLog
    responses: ResponseRecords | None = None
    stations: list[StationOutage] = field(default_factory=list)
    sounding_s: Mapping[Channel, float] = field(default_factory=lambda: Outputs().sounding())
    """Seconds each emitter channel sounds a message (see model/outputs.py)."""
    steered: Prepared | None = None
    """The scenario as operator actions left it (alerts issued early or added, incidents added), what its
    summary is made from; None: no actions (engine/actions.py)."""


SETTLE_EVERY = 1024
"""Events between two calls of the trace's ``settle`` in the step loops (one comparison per event)."""


def _stepped(env: simpy.Environment, until_s: float, settle: Callable[[], None]) -> int:
    """Process every event due by ``until_s`` with ``env.step`` (a real-time environment paces itself),
    calling ``settle`` every ``SETTLE_EVERY`` events."""
    events = 0
    peek, step = env.peek, env.step
    while peek() <= until_s:
        step()
        events += 1
        if not events % SETTLE_EVERY:
            settle()
    return events


def _steps(env: simpy.Environment, until_s: float, settle: Callable[[], None]) -> int:
    """What ``_stepped`` does for a plain environment, SimPy's ``step`` inlined: the per-event loop of every run.

    Same order, same clock, same failure for an event that failed undefused; the count of events processed.
    ``settle`` (the trace's, which moves its pending rows into storage once there are many) is called every
    ``SETTLE_EVERY`` events.
    """
    events = 0
    settle_at = SETTLE_EVERY
    queue = env._queue
    while queue and queue[0][0] <= until_s:
        env._now, _, _, event = heappop(queue)
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # as SimPy does
        for callback in callbacks:
            callback(event)
        events += 1
        if events == settle_at:
            settle()
            settle_at += SETTLE_EVERY
        if not event._ok and not hasattr(event, "_defused"):
            failure = type(event._value)(*event._value.args)
            failure.__cause__ = event._value
            raise failure
    return events


class Simulation:
    """The relay network of one topology on one SimPy environment, seeded."""

    def __init__(
        self,
        topology: Topology,
        seed: int,
        env: simpy.Environment | None = None,
        sounding_s: Mapping[Channel, float] | None = None,
    ) -> None:
        """``env``: a real-time environment for the field-node bridge; default a plain one (as fast as it goes).
        ``sounding_s``: seconds each channel sounds a message; default the packaged ones (model/outputs.py)."""
        with collector_paused():
            self._build(topology, seed, env or simpy.Environment(), sounding_s or Outputs().sounding())

    def _build(
        self, topology: Topology, seed: int, env: simpy.Environment, sounding_s: Mapping[Channel, float]
    ) -> None:
        self.topology = topology
        self.seed = seed
        self.env = env
        node_ids = list(topology.nodes)
        self.trace = Trace([], node_ids, [link.id for link in topology.links])
        self.availability = AvailabilityLog()
        log = self.availability
        self.nodes = {
            node_id: NodeRuntime(i, node, self.env, self.trace, Stream(seed, f"node:{node_id}/delay"), log)
            for i, (node_id, node) in enumerate(topology.nodes.items())
        }
        self.links: dict[str, LinkRuntime] = {}
        for i, link in enumerate(topology.links):
            runtime = LinkRuntime(i, link, self.env, self.trace, [self.nodes[t] for t in link.targets], seed, log)
            self.nodes[link.source].out_links.append(runtime)
            self.links[link.id] = runtime
        self.sounding_s = sounding_s
        board = self.board = ChainBoard(self.trace.rows.append)
        for node in self.nodes.values():
            if node.spec.channel is not None:
                node.board = board
                node.sounding_s = sounding_s[node.spec.channel]
            for k, window in enumerate(node.spec.outages):
                node.schedule_outage(window.start_s, window.end_s, f"outage-{k}")
        for runtime in self.links.values():
            for k, window in enumerate(runtime.spec.outages):
                runtime.schedule_outage(window.start_s, window.end_s, f"outage-{k}")
            if runtime.spec.dormant:
                runtime.go_down(DORMANT)
        self.alerts: list[AlertState] = []
        self.stations: list[StationOutage] = []  # stations running down in power outages
        self._chains: dict[str, list[AlertState]] = {}  # alerts by chain event
        self.events = 0  # SimPy events processed so far, over every call of ``advance`` and ``run``

    def inject(self, injection: Injection) -> AlertState:
        """Schedule an alert to enter at its origin at its issue time (now or later)."""
        alert = injection.alert
        state = AlertState(
            len(self.alerts),
            alert,
            injection.origin,
            tuple(alert.areas),
            Receipts(len(self.nodes)),
            NodeTimes(len(self.nodes)),
            order=order_of(alert),
        )
        self.alerts.append(state)
        chain = self._chains.setdefault(event_of(alert), [])
        chain.append(state)
        if len(chain) > 1:  # a chain of several: its messages go through the board at the emitters
            for member in chain:
                if member.event is None:
                    member.event = event_of(alert)
                    self._adopt(member)
        self.trace.alert_ids.append(alert.id)
        self.env.timeout(alert.issue_s - self.env.now).callbacks.append(lambda _event: self.issue(state))
        return state

    def issue(self, state: AlertState) -> None:
        """The alert enters the network at its origin now, unless it already has (issued early by an operator)."""
        if state.issued:
            return
        state.issued = True
        self.nodes[state.origin].issue(state)

    def _adopt(self, state: AlertState) -> None:
        """A message that joins a chain after it emitted alone (a correction sent during the run): the board
        learns what it sounds where, as if it had gone through it (it would have decided the same)."""
        channels = [node.spec.channel for node in self.nodes.values()]
        for index, emitted_s in state.emitted.items():
            channel = channels[index]
            if channel is not None:
                self.board.adopt(state, index, self.sounding_s[channel], emitted_s)

    def advance(self, until_s: float) -> None:
        """Process every event due before ``until_s`` and stand at ``until_s`` (``env.run(until=until_s)``'s
        semantics, counted): where operator actions apply, the same point however the clock was sliced."""
        env = self.env
        if until_s <= env.now:
            return
        before_s = math.nextafter(until_s, -math.inf)
        with collector_paused():
            plain = type(env) is simpy.Environment
            settle = self.trace.rows.settle
            self.events += _steps(env, before_s, settle) if plain else _stepped(env, before_s, settle)
            if plain:
                env._now = until_s
            else:
                env.run(until=until_s)

    def inject_stream(self, stream: StreamMessages, seed: int | None = None) -> int:
        """Schedule a stream's messages (drawn for ``seed``, default the run's) and return how many there are.

        One pending event at a time however long the stream: each arrival schedules the next, and a
        message becomes an alert and its state only when it is issued (indices in issue order).
        """
        times = stream.times(self.seed if seed is None else seed).tolist()
        if not times:
            return 0
        env, after, alerts, alert_ids = self.env, later(self.env), self.alerts, self.trace.alert_ids
        origin = self.nodes[stream.origin]
        origin_id, areas, count = stream.origin, tuple(stream.template.areas), len(times)
        message = stream.message
        number, nodes = 0, len(self.nodes)

        def arrive(_event: simpy.Event) -> None:
            nonlocal number
            now = env.now
            alert = message(number, now)
            state = AlertState(len(alerts), alert, origin_id, areas, Receipts(nodes), NodeTimes(nodes))
            alerts.append(state)
            alert_ids.append(alert.id)
            number += 1
            if number < count:
                after(times[number] - now, arrive)
            origin.issue(state)

        after(times[0] - env.now, arrive)
        return count

    def run(self, until_s: float) -> RunResult:
        """Advance to ``until_s`` and hand back everything recorded.

        The cyclic garbage collector is paused meanwhile (see ``collector_paused``).
        """
        env = self.env
        with collector_paused():
            settle = self.trace.rows.settle
            plain = type(env) is simpy.Environment
            self.events += _steps(env, until_s, settle) if plain else _stepped(env, until_s, settle)
            if env.now < until_s:
                env.run(until=until_s)
        return self.result(until_s)

    def result(self, until_s: float) -> RunResult:
        """Everything recorded so far, as the result of a run to ``until_s`` (nothing more is processed: for
        a run driven on another clock, e.g. the field-node bridge's real-time one)."""
        return RunResult(
            self.topology,
            self.alerts,
            self.trace,
            self.seed,
            until_s,
            self.events,
            self.availability,
            None,
            self.stations,
            self.sounding_s,
        )
