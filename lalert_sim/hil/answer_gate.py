"""When the node agents of one process send their answers: after every alert already arriving is actuated.

Many virtual nodes can share one process (``demo-hil``, the benchmarks). Each alert is actuated
as its message is read, but answering it (publishing the Ack, then the alert's PUBACK, then
reading the Ack's PUBACK) costs about as much again; sent at once, the answers of the first nodes
would delay the actuation of those whose alert is still in the socket. So the answers are held
until a turn of the event loop has read no new alert, then sent in the order they were given.
A node alone in its process (a Raspberry Pi) answers in the loop's next turn, as soon as before.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

ANSWER_HOLD_MAX_S = 1.0
"""Longest an answer waits while alerts keep coming (a continuous stream must not starve answers)."""


class AnswerGate:
    """The answers held on one event loop; ``gate_of(loop)`` gives the loop's one gate. It keeps no
    reference to its loop (it is the value of a weak mapping keyed by the loop): it works on the
    running one."""

    def __init__(self) -> None:
        self._held: list[Callable[[], None]] = []
        self._reads = 0  # alerts read (answers held) on this loop so far
        self._reads_seen = 0  # ... as of the last check
        self._first_held_s = 0.0

    def hold(self, answer: Callable[[], None]) -> None:
        """Call ``answer`` (of an alert just read) once a turn of the loop has read no new alert,
        or ANSWER_HOLD_MAX_S after the first answer held."""
        self._reads += 1
        if not self._held:
            self._first_held_s = asyncio.get_running_loop().time()
            self._reads_seen = self._reads
            self._check_after_reads()
        self._held.append(answer)

    def _check_after_reads(self) -> None:
        # A timer due now runs in the loop's next turn after the messages read in that turn
        # (asyncio appends due timers to the ready handles after the I/O callbacks).
        loop = asyncio.get_running_loop()
        loop.call_at(loop.time(), self._release)

    def _release(self) -> None:
        loop = asyncio.get_running_loop()
        more_read = self._reads != self._reads_seen
        if more_read and loop.time() - self._first_held_s < ANSWER_HOLD_MAX_S:
            self._reads_seen = self._reads
            self._check_after_reads()
            return
        held, self._held = self._held, []
        for answer in held:  # one node's failure must not keep the others' answers back
            try:
                answer()
            except Exception as exc:  # as the loop reports an error in a callback, then goes on
                loop.call_exception_handler({"message": "a node's answer failed", "exception": exc})


_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AnswerGate] = weakref.WeakKeyDictionary()


def gate_of(loop: asyncio.AbstractEventLoop) -> AnswerGate:
    """The gate of ``loop``, shared by every node agent running on it (released with the loop)."""
    gate = _GATES.get(loop)
    if gate is None:
        gate = _GATES[loop] = AnswerGate()
    return gate
