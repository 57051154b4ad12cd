"""Components going down and coming back: a set of active causes per node or link.

A component is down while any cause holds (a scheduled outage, damage, an empty
battery, a dormant substitute link not yet set up). Every change is logged once,
for the report of outages over time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

DORMANT = "dormant"  # a substitute link waiting for its unit to be set up


@dataclass
class AvailabilityLog:
    """(time, kind, id, went_down, cause) rows, in the order they happened, and who listens."""

    rows: list[tuple[float, str, str, bool, str]] = field(default_factory=list)
    listeners: dict[tuple[str, str], list[Callable[[], None]]] = field(default_factory=dict)

    def listen(self, kind: str, name: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every change of the component ``kind``/``name``."""
        self.listeners.setdefault((kind, name), []).append(callback)


class Component:
    """Base of run-time nodes and links: the causes that hold it down right now."""

    __slots__ = ("down", "_log", "_kind", "_name", "_clock")

    def _init_availability(self, kind: str, name: str, env: simpy.Environment, log: AvailabilityLog) -> None:
        self.down: set[str] = set()
        self._log = log
        self._kind = kind
        self._name = name
        self._clock = env

    def go_down(self, cause: str) -> None:
        """Add a cause; the component is down while any cause holds."""
        if cause not in self.down:
            self.down.add(cause)
            self._log.rows.append((self._clock.now, self._kind, self._name, True, cause))
            self._tell()

    def come_up(self, cause: str) -> None:
        """Remove a cause; when none is left the component works again."""
        if cause in self.down:
            self.down.discard(cause)
            self._log.rows.append((self._clock.now, self._kind, self._name, False, cause))
            if not self.down:
                self._restored()
            self._tell()

    def _tell(self) -> None:
        for callback in self._log.listeners.get((self._kind, self._name), ()):
            callback()

    def _restored(self) -> None:
        """Hook for what happens when the last cause is gone (links flush waiting traffic)."""

    def schedule_outage(self, start_s: float, end_s: float, cause: str) -> None:
        """Down from ``start_s`` until ``end_s`` (inf: for the rest of the run)."""
        env = self._clock
        if start_s <= env.now:
            self.go_down(cause)
        else:
            env.timeout(start_s - env.now).callbacks.append(lambda _event: self.go_down(cause))
        if end_s != float("inf"):
            env.timeout(end_s - env.now).callbacks.append(lambda _event: self.come_up(cause))
