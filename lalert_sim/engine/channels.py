"""The per-message path's events, lean: channels and servers as a FIFO of slots, and timed callbacks.

A link's channels and a node's servers are taken and given back once per message; SimPy's Resource
builds a Request and a Release object (with their put and get queues) each time. ``Slots`` keeps only a
count and a queue of callbacks, but schedules the same events at the same moments (a granted
request, a release whose processing grants the next in line), and ``later`` puts on SimPy's queue the
entry ``env.timeout(delay)`` would, without a Timeout object: runs are identical, row for row.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappush

import simpy
from simpy.events import NORMAL

Granted = Callable[[simpy.Event], None]
"""Called when a slot is granted (with the event that granted it, as SimPy callbacks are)."""


class _Ready(simpy.Event):
    """An event already succeeded (value None) with one callback, scheduled straight onto SimPy's queue.

    What ``Event(env).succeed()`` puts there, without its checks: SimPy's step reads only ``callbacks``
    and ``_ok``; the queue entry (now, NORMAL, next id) is the one ``Environment.schedule`` makes.
    """

    _ok = True
    _value = None

    def __init__(self, callback: Granted) -> None:  # no Event.__init__: nothing reads its env
        self.callbacks = [callback]


def later(env: simpy.Environment) -> Callable[[float, Granted], None]:
    """A function ``(delay, callback)`` that runs ``callback`` ``delay`` seconds from now, as a Timeout's would."""
    queue, ids = env._queue, env._eid

    def schedule(delay: float, callback: Granted) -> None:
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        heappush(queue, (env._now + delay, NORMAL, next(ids), _Ready(callback)))

    return schedule


class Slots:
    """``capacity`` slots taken first come, first served."""

    __slots__ = ("capacity", "users", "_waiting", "_env")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.capacity = capacity
        self.users = 0
        self._waiting: deque[Granted] = deque()
        self._env = env

    def request(self, granted: Granted) -> None:
        """Queue for a slot; ``granted`` runs once one is ours (at the earliest as the next event now)."""
        self._waiting.append(granted)
        self._grant()

    def release(self) -> None:
        """Give a slot back now; the next in line is granted when this release is processed (as in SimPy)."""
        self.users -= 1
        env = self._env
        heappush(env._queue, (env._now, NORMAL, next(env._eid), _Ready(self._grant)))

    def _grant(self, _event: simpy.Event | None = None) -> None:
        # As Resource._trigger_put: only the head of the queue, and only when a slot is free.
        if self._waiting and self.users < self.capacity:
            self.users += 1
            env = self._env
            heappush(env._queue, (env._now, NORMAL, next(env._eid), _Ready(self._waiting.popleft())))
