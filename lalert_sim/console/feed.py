"""The console's state and its deltas, built from trace rows: what the page colours, counts and lists.

One ``Feed`` serves a live run (rows read from the running simulation's trace) and a replay (rows
read from a finished run's trace file) alike; ``take`` gives the delta since the last call, ``snapshot``
everything so far, both in the stream's ``Batch`` shape (console/protocol.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lalert_sim.console.protocol import (
    Batch,
    Clock,
    CorrectionState,
    EventRow,
    FieldState,
    MessageType,
    MunicipalityState,
    ObjectiveState,
    Status,
    WarnedPoint,
)
from lalert_sim.engine.trace import Cause, Event
from lalert_sim.topology.graph import Topology

MAX_BATCH_EVENTS = 1000
"""Most log events one message carries (the latest ones; counters and colours still count them all)."""
MAX_SNAPSHOT_EVENTS = 2000
"""Most log events a snapshot carries (the latest ones)."""
LOGGED = frozenset(Event) - {Event.SENT}
"""Trace events the log shows: every transmission's start would drown the rest."""
_EVENT_NAMES = {event.value: event.name.lower() for event in Event}
_CAUSE_NAMES = {cause.value: "" if cause is Cause.NONE else cause.name.lower() for cause in Cause}
_LOGGED_CODES = np.array(sorted(event.value for event in LOGGED), dtype=np.float64)
_RANK = {Status.DOWN: -1, Status.IDLE: 0, Status.FAILED: 1, Status.REACHED: 2, Status.SOUNDING: 3}  # what outranks what


@dataclass(frozen=True)
class NodePlaces:
    """Per trace node code: its id, its emitter channel (None if not an emitter) and its municipality."""

    ids: Sequence[str]
    channels: Sequence[str | None]
    municipalities: Sequence[str | None]

    @classmethod
    def of(cls, topology: Topology) -> NodePlaces:
        """In the topology's node order (the trace's node codes)."""
        nodes = list(topology.nodes.values())
        return cls(
            [n.id for n in nodes],
            [n.channel.value if n.kind.value == "emitter" and n.channel is not None else None for n in nodes],
            [n.area if n.area is not None and len(n.area) == 5 else None for n in nodes],
        )


class Feed:
    """Node and municipality statuses, channel counters, the warned curve, objectives, field nodes and
    the event log, updated from trace rows; thread-safe (the engine writes, the server reads)."""

    def __init__(self, places: NodePlaces) -> None:
        self.places = places
        self._members: dict[str, list[int]] = {}
        for code, municipality in enumerate(places.municipalities):
            if municipality is not None:
                self._members.setdefault(municipality, []).append(code)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to nothing having happened (a replay seeking backwards)."""
        with self._lock:
            count = len(self.places.ids)
            self._base = [Status.IDLE] * count  # what the alert did at each node
            self._down: list[set[str]] = [set() for _ in range(count)]  # causes holding each node down
            self._channels: dict[str, int] = {}
            self._warned: list[WarnedPoint] = []
            self._municipal_warned: dict[str, float] = {}
            self._objectives: list[ObjectiveState] = []
            self._field: dict[str, FieldState] = {}
            self._corrections: list[CorrectionState] = []
            self._log: list[EventRow] = []
            self._sent_log = 0  # log rows already sent
            self._sent_warned = 0
            self._dirty_nodes: set[int] = set()
            self._dirty_channels: set[str] = set()
            self._dirty_field: set[str] = set()
            self._dirty_towns: set[str] = set()

    # --- updates (the engine's side) --------------------------------------------------------------------------------

    def add_rows(self, rows: np.ndarray, alert_ids: Sequence[str]) -> None:
        """Trace rows (n × 8: time_s, alert, node, from_node, link, event, attempt, cause codes), in time order."""
        if not len(rows):
            return
        events = rows[:, 5].astype(np.int64)
        with self._lock:
            for code, event in zip(rows[:, 2].astype(np.int64).tolist(), events.tolist(), strict=True):
                self._on_event(code, event)
            logged = rows[np.isin(rows[:, 5], _LOGGED_CODES)]
            if len(logged) > MAX_SNAPSHOT_EVENTS:
                logged = logged[-MAX_SNAPSHOT_EVENTS:]
            ids = self.places.ids
            for t, a, n, e, c in zip(
                logged[:, 0].tolist(),
                logged[:, 1].astype(np.int64).tolist(),
                logged[:, 2].astype(np.int64).tolist(),
                logged[:, 5].astype(np.int64).tolist(),
                logged[:, 7].astype(np.int64).tolist(),
                strict=True,
            ):
                self._log.append(
                    (
                        t,
                        _EVENT_NAMES[e],
                        ids[n] if n >= 0 else "",
                        alert_ids[a] if a >= 0 else "",
                        _CAUSE_NAMES.get(c, ""),
                    )
                )
            self._trim_log()

    def _on_event(self, node: int, event: int) -> None:
        if node < 0:
            return
        before = self._base[node]
        if event == Event.EMITTED:
            after = Status.SOUNDING
            channel = self.places.channels[node]
            if channel is not None:
                self._channels[channel] = self._channels.get(channel, 0) + 1
                self._dirty_channels.add(channel)
        elif event in (Event.RECEIVED, Event.STOPPED, Event.STALE, Event.DUPLICATE):
            after = Status.REACHED
        elif event == Event.LOST:
            after = Status.FAILED
        else:
            return
        if _RANK[after] > _RANK[before]:
            self._base[node] = after
            self._mark(node)

    def _mark(self, node: int) -> None:
        self._dirty_nodes.add(node)
        municipality = self.places.municipalities[node]
        if municipality is not None:
            self._dirty_towns.add(municipality)

    def add_availability(self, rows: Iterable[tuple[float, str, str, bool, str]]) -> None:
        """Components going down and coming back: (time_s, "node"|"link", id, went_down, cause)."""
        codes = {node_id: code for code, node_id in enumerate(self.places.ids)}
        with self._lock:
            for time_s, kind, component, went_down, cause in rows:
                self._log.append((time_s, "down" if went_down else "up", component, "", cause))
                code = codes.get(component) if kind == "node" else None
                if code is not None:
                    (self._down[code].add if went_down else self._down[code].discard)(cause)
                    self._mark(code)
            self._trim_log()

    def add_log(self, row: EventRow) -> None:
        """One more line of the log (an operator action, a field node's answer)."""
        with self._lock:
            self._log.append(row)
            self._trim_log()

    def _trim_log(self) -> None:
        extra = len(self._log) - MAX_SNAPSHOT_EVENTS
        if extra > 0:
            del self._log[:extra]
            self._sent_log = max(0, self._sent_log - extra)

    def add_warned(self, point: WarnedPoint, municipalities: Mapping[str, float]) -> None:
        """A new point of the warned curve and each municipality's warned share at that time."""
        with self._lock:
            self._warned.append(point)
            for code, share in municipalities.items():
                if self._municipal_warned.get(code) != share:
                    self._municipal_warned[code] = share
                    self._dirty_towns.add(code)

    def set_objectives(self, objectives: list[ObjectiveState]) -> None:
        """The objectives, each met, not met or not yet decided."""
        with self._lock:
            self._objectives = objectives

    def set_field(self, field: Mapping[str, FieldState]) -> None:
        """Field nodes' measured answers (only those that changed need be given)."""
        with self._lock:
            for node, state in field.items():
                if self._field.get(node) != state:
                    self._field[node] = state
                    self._dirty_field.add(node)

    def set_corrections(self, corrections: list[CorrectionState]) -> None:
        """Correction times of updates and cancels so far."""
        with self._lock:
            self._corrections = corrections

    # --- reading (the server's side) --------------------------------------------------------------------------------

    def status(self, node: int) -> Status:
        """A node's colour: down while any cause holds it, else what the alert did there."""
        return Status.DOWN if self._down[node] else self._base[node]

    def _town(self, code: str) -> MunicipalityState:
        statuses = [self.status(n) for n in self._members.get(code, ())]
        best = max((s for s in statuses if s is not Status.DOWN), key=_RANK.__getitem__, default=Status.IDLE)
        shown = Status.DOWN if best is Status.IDLE and Status.DOWN in statuses else best
        return {"warned": self._municipal_warned.get(code, 0.0), "status": shown.value}

    def take(self, clock: Clock) -> Batch:
        """What changed since the last ``take`` (or ``snapshot``)."""
        with self._lock:
            events = self._log[self._sent_log :][-MAX_BATCH_EVENTS:]
            batch: Batch = {
                "type": MessageType.BATCH.value,
                "clock": clock,
                "events": events,
                "nodes": {self.places.ids[n]: self.status(n).value for n in sorted(self._dirty_nodes)},
                "municipalities": {code: self._town(code) for code in sorted(self._dirty_towns)},
                "warned": self._warned[self._sent_warned :],
                "channels": {c: self._channels[c] for c in sorted(self._dirty_channels)},
                "objectives": list(self._objectives),
                "field": {n: self._field[n] for n in sorted(self._dirty_field)},
                "corrections": list(self._corrections),
            }
            self._clean()
            return batch

    def snapshot(self, clock: Clock) -> Batch:
        """Everything so far (the log's latest lines), for a viewer that just connected; changes nothing."""
        with self._lock:
            ids = self.places.ids
            return {
                "type": MessageType.SNAPSHOT.value,
                "clock": clock,
                "events": self._log[-MAX_SNAPSHOT_EVENTS:],
                "nodes": {ids[n]: self.status(n).value for n in range(len(ids))},
                "municipalities": {code: self._town(code) for code in sorted(self._members)},
                "warned": list(self._warned),
                "channels": dict(self._channels),
                "objectives": list(self._objectives),
                "field": dict(self._field),
                "corrections": list(self._corrections),
            }

    def _clean(self) -> None:
        self._sent_log = len(self._log)
        self._sent_warned = len(self._warned)
        self._dirty_nodes.clear()
        self._dirty_channels.clear()
        self._dirty_field.clear()
        self._dirty_towns.clear()

    def changed(self) -> bool:
        """Whether ``take`` has anything beyond the clock to send."""
        with self._lock:
            return bool(
                self._sent_log < len(self._log)
                or self._sent_warned < len(self._warned)
                or self._dirty_nodes
                or self._dirty_channels
                or self._dirty_field
                or self._dirty_towns
            )

    def emitted(self) -> dict[str, int]:
        """Emissions so far by channel."""
        with self._lock:
            return dict(self._channels)
