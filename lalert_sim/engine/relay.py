"""A node at run time: receive once, wait its processing delay, emit, forward."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import simpy

from lalert_sim.engine.availability import AvailabilityLog, Component
from lalert_sim.engine.channels import Slots, later
from lalert_sim.engine.receipts import NEVER as _NEVER
from lalert_sim.engine.state import AlertState
from lalert_sim.engine.trace import Cause, Event, Trace
from lalert_sim.model.distributions import Constant
from lalert_sim.model.network import Node, NodeKind

if TYPE_CHECKING:
    from lalert_sim.engine.chains import ChainBoard
    from lalert_sim.engine.links import LinkRuntime
    from lalert_sim.streams import Stream

_ISSUED, _RECEIVED, _DUPLICATE = Event.ISSUED, Event.RECEIVED, Event.DUPLICATE
_LOST, _EMITTED = Event.LOST, Event.EMITTED
_NONE, _NODE_DOWN = Cause.NONE, Cause.NODE_DOWN


class NodeRuntime(Component):
    """Relays each alert once: the first arrival wins, later copies are duplicates."""

    __slots__ = (
        "index",
        "spec",
        "area",
        "env",
        "trace",
        "out_links",
        "_record",
        "_later",
        "_delay",
        "_fixed_delay_s",
        "_stream",
        "_servers",
        "_emits",
        "rain_fade",
        "probe",
        "board",
        "sounding_s",
    )

    def __init__(
        self, index: int, spec: Node, env: simpy.Environment, trace: Trace, stream: Stream, log: AvailabilityLog
    ) -> None:
        self._init_availability("node", spec.id, env, log)
        self.index = index
        self.spec = spec
        self.area = spec.area
        self.env = env
        self.trace = trace
        self.out_links: list[LinkRuntime] = []
        self._record = trace.rows.append  # hot path: one append per trace row
        self._later = later(env)  # hot path: a processing delay per message
        self._delay = spec.delay_s
        # A constant delay needs no draw: keep it as a number (None when it varies).
        self._fixed_delay_s = spec.delay_s.value if isinstance(spec.delay_s, Constant) else None
        self._stream = stream
        self._servers = Slots(env, spec.servers) if spec.servers else None
        self._emits = spec.kind is NodeKind.EMITTER
        self.rain_fade: list[tuple[float, float, float]] = []  # (start, end, chance a satellite copy is lost)
        # Told of each alert's first arrival (the field-node bridge): (alert, time) -> None.
        self.probe: Callable[[AlertState, float], None] | None = None
        # Message chains (set by the simulation): what each emitter sounds, and for how long it sounds one.
        self.board: ChainBoard | None = None
        self.sounding_s = 0.0

    def issue(self, alert: AlertState) -> None:
        """The alert enters the network here."""
        self._record((self.env.now, alert.index, self.index, -1, -1, _ISSUED, 0, _NONE))
        self.receive(alert, -1, -1, 0)

    def receive(
        self, alert: AlertState, sender: int, link: int, attempt: int, _event: simpy.Event | None = None
    ) -> bool:
        """Take a copy arriving now; False when the node is down and the copy is lost.

        Also serves directly as an event callback (SimPy passes the event last).
        """
        now = self.env.now
        index = self.index
        if self.down:
            self._record((now, alert.index, index, sender, link, _LOST, attempt, _NODE_DOWN))
            return False
        first = alert.first
        if first.at_s[index] < _NEVER:
            self._record((now, alert.index, index, sender, link, _DUPLICATE, attempt, _NONE))
            return True
        first.at_s[index], first.sender[index], first.link[index] = now, sender, link
        if self.probe is not None:
            self.probe(alert, now)
        if sender >= 0:
            self._record((now, alert.index, index, sender, link, _RECEIVED, attempt, _NONE))
        if self._servers is None:
            self._process(alert)
        else:
            self._servers.request(partial(self._process, alert))
        return True

    def _process(self, alert: AlertState, _event: simpy.Event | None = None) -> None:
        delay = self._fixed_delay_s
        if delay is None:
            delay = self._delay.sample(self._stream)
        if delay > 0:
            self._later(delay, partial(self._done, alert))
        else:
            self._done(alert)

    def _done(self, alert: AlertState, _event: simpy.Event | None = None) -> None:
        if self._servers is not None:
            self._servers.release()
        if self._emits:
            now = self.env.now
            if alert.event is None or self.board is None or self.board.arrive(alert, self.index, self.sounding_s, now):
                alert.emitted.at_s[self.index] = now
                self._record((now, alert.index, self.index, -1, -1, _EMITTED, 0, _NONE))
        for link in self.out_links:
            link.transmit(alert, self.index)
