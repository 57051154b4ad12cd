"""A link at run time: queue for a channel, transmit, lose or deliver, retry."""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import simpy

from lalert_sim.engine.availability import AvailabilityLog, Component
from lalert_sim.engine.channels import Slots, later
from lalert_sim.engine.state import AlertState
from lalert_sim.engine.trace import Cause, Event, Trace
from lalert_sim.model.distributions import Constant
from lalert_sim.model.media import Medium
from lalert_sim.model.network import Link
from lalert_sim.streams import Stream

if TYPE_CHECKING:
    from lalert_sim.engine.relay import NodeRuntime

_SENT, _LOST = Event.SENT, Event.LOST
_NONE, _LOSS, _LINK_DOWN, _RAIN_FADE = Cause.NONE, Cause.LOSS, Cause.LINK_DOWN, Cause.RAIN_FADE
_CONGESTION = Cause.CONGESTION
_SATELLITE = frozenset({Medium.SATELLITE_GEO, Medium.LG_SATELLITE, Medium.SATELLITE_LEO})
# A transmission that holds its channel: alert, sender, targets, attempt.
_Sent = tuple[AlertState, int, list["NodeRuntime"], int]


class LinkRuntime(Component):
    """Carries transmissions from one source to its targets.

    A transmission waits for a free channel (FIFO when all ``capacity`` are busy),
    holds it for size/bandwidth plus ``hold_s``, then each target either loses it
    (probability ``loss``) or receives it after ``latency_s``. Lost copies are
    retried after ``retry.backoff_s`` up to ``retry.max_attempts``.
    """

    __slots__ = (
        "index",
        "spec",
        "env",
        "targets",
        "_record",
        "_timeout",
        "_later",
        "_prefecture",
        "_channels",
        "_waiting",
        "_loss",
        "_latency",
        "_hold",
        "_holds",
        "_retry",
        "_retries",
        "_broadcast",
        "_satellite",
        "_gated",
        "congestion",
        "_latency_stream",
        "_loss_stream",
        "_hold_stream",
        "_backoff_stream",
    )

    def __init__(
        self,
        index: int,
        spec: Link,
        env: simpy.Environment,
        trace: Trace,
        targets: list[NodeRuntime],
        seed: int,
        log: AvailabilityLog,
    ) -> None:
        self._init_availability("link", spec.id, env, log)
        self.index = index
        self.spec = spec
        self.env = env
        self.targets = targets
        self._record = trace.rows.append  # hot path: one append per trace row
        self._timeout = env.timeout
        self._later = later(env)  # hot path: a hold and a latency per message
        prefectures = {t.area[:2] if t.area else None for t in targets}
        # When every target lies in one prefecture, one check skips links an alert does not concern.
        self._prefecture = prefectures.pop() if len(prefectures) == 1 else None
        self._latency_stream = Stream(seed, f"link:{spec.id}/latency")
        self._loss_stream = Stream(seed, f"link:{spec.id}/loss")
        self._hold_stream = Stream(seed, f"link:{spec.id}/hold")
        self._backoff_stream = Stream(seed, f"link:{spec.id}/backoff")
        self._channels = Slots(env, spec.capacity) if spec.capacity else None
        # Store-and-forward links keep what came while they were down and send it when back.
        self._waiting: list[tuple[AlertState, int, list[NodeRuntime], int]] | None = (
            [] if spec.store_and_forward else None
        )
        self._loss = spec.loss
        self._latency = spec.latency_s
        self._hold = spec.hold_s
        self._holds = spec.bandwidth_bps is not None or not (
            isinstance(spec.hold_s, Constant) and spec.hold_s.value == 0
        )
        self._retry = spec.retry
        self._retries = spec.retry.max_attempts > 1
        self._broadcast = spec.broadcast
        self._satellite = spec.medium in _SATELLITE
        # Some target takes only certain alert categories (a broadcaster's break-in desk).
        self._gated = any(t.spec.categories is not None for t in targets)
        self.congestion: list[tuple[float, float, float, float]] = []  # (start, end, latency factor, loss)

    def transmit(self, alert: AlertState, sender: int) -> None:
        """Send ``alert`` to every target in its area: once (broadcast) or once each."""
        targets = self.targets
        if self._gated:
            category = alert.spec.category
            targets = [t for t in targets if t.spec.accepts(category)]
            if not targets:
                return
        if alert.areas:
            if self._prefecture is not None and not alert.concerns_area(self._prefecture):
                return
            targets = [t for t in targets if alert.concerns(t.index, t.area)]
            if not targets:
                return
        if self._broadcast or len(targets) == 1:
            self._attempt(alert, sender, targets, 1)
        else:
            for target in targets:
                self._attempt(alert, sender, [target], 1)

    def _attempt(
        self,
        alert: AlertState,
        sender: int,
        targets: list[NodeRuntime],
        attempt: int,
        _event: simpy.Event | None = None,
    ) -> None:
        if self.down:
            if self._waiting is not None:
                self._waiting.append((alert, sender, targets, attempt))
                return
            self._note(alert, sender, targets, _LOST, attempt, _LINK_DOWN)
            self._retry_later(alert, sender, targets, attempt)
        elif self._channels is None:
            self._send(alert, sender, targets, attempt)
        else:
            self._channels.request(partial(self._send, alert, sender, targets, attempt))

    def _restored(self) -> None:
        if self._waiting:
            waiting, self._waiting = self._waiting, []
            for alert, sender, targets, attempt in waiting:
                self._attempt(alert, sender, targets, attempt)

    def _send(
        self,
        alert: AlertState,
        sender: int,
        targets: list[NodeRuntime],
        attempt: int,
        _event: simpy.Event | None = None,
    ) -> None:
        self._note(alert, sender, targets, _SENT, attempt, _NONE)
        if self._holds:
            hold = self.spec.transmit_s(alert.spec.size_bytes) + self._hold.sample(self._hold_stream)
            if hold > 0:
                self._later(hold, partial(self._release, (alert, sender, targets, attempt)))
                return
        self._release((alert, sender, targets, attempt))

    def _release(self, sent: _Sent, _event: simpy.Event | None = None) -> None:
        """The transmission is over: its channel is free; each copy is lost, faded or on its way."""
        alert, sender, targets, attempt = sent
        if self._channels is not None:
            self._channels.release()
        if self._loss:
            lose = self._loss_stream.uniform
            kept = [t for t in targets if lose() >= self._loss]
            if len(kept) < len(targets):
                lost = [t for t in targets if t not in kept]
                self._note(alert, sender, lost, _LOST, attempt, _LOSS)
                self._retry_later(alert, sender, lost, attempt)
                targets = kept
        if self._satellite and any(t.rain_fade for t in targets):
            faded = [t for t in targets if self._fades(t)]
            if faded:
                self._note(alert, sender, faded, _LOST, attempt, _RAIN_FADE)
                self._retry_later(alert, sender, faded, attempt)
                targets = [t for t in targets if t not in faded]
        after, sample, stream, link = self._later, self._latency.sample, self._latency_stream, self.index
        scale = 1.0
        if self.congestion:
            scale, targets = self._congested(alert, sender, targets, attempt)
        if self._retries:
            for target in targets:
                after(scale * sample(stream), partial(self._deliver, alert, sender, target, attempt))
        else:
            for target in targets:
                # receive's result (copy taken or not) only matters when the sender retries.
                after(scale * sample(stream), partial(target.receive, alert, sender, link, attempt))  # type: ignore[arg-type]

    def _congested(
        self, alert: AlertState, sender: int, targets: list[NodeRuntime], attempt: int
    ) -> tuple[float, list[NodeRuntime]]:
        """Congestion now: the latency factor, and the targets whose copy was not lost to it."""
        now = self.env.now
        active = [(factor, loss) for start, end, factor, loss in self.congestion if start <= now < end]
        if not active:
            return 1.0, targets
        factor = max(f for f, _ in active)
        kept_share = math.prod(1.0 - loss for _, loss in active)
        if kept_share < 1.0:
            lose = self._loss_stream.uniform
            lost = [t for t in targets if lose() >= kept_share]
            if lost:
                self._note(alert, sender, lost, _LOST, attempt, _CONGESTION)
                self._retry_later(alert, sender, lost, attempt)
                targets = [t for t in targets if t not in lost]
        return factor, targets

    def _fades(self, target: NodeRuntime) -> bool:
        now = self.env.now
        chance = max((p for start, end, p in target.rain_fade if start <= now < end), default=0.0)
        return chance > 0 and self._loss_stream.uniform() < chance

    def _deliver(self, alert: AlertState, sender: int, target: NodeRuntime, attempt: int, _event: simpy.Event) -> None:
        if not target.receive(alert, sender, self.index, attempt):
            self._retry_later(alert, sender, [target], attempt)

    def _retry_later(self, alert: AlertState, sender: int, targets: list[NodeRuntime], attempt: int) -> None:
        if attempt >= self._retry.max_attempts:
            return
        backoff = self._retry.backoff_s.sample(self._backoff_stream)
        self._timeout(backoff).callbacks.append(partial(self._attempt, alert, sender, targets, attempt + 1))

    def _note(
        self, alert: AlertState, sender: int, targets: list[NodeRuntime], event: Event, attempt: int, cause: Cause
    ) -> None:
        now, record, alert_index, link = self.env.now, self._record, alert.index, self.index
        for target in targets:
            record((now, alert_index, target.index, sender, link, event, attempt, cause))
