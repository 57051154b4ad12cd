"""Message chains at the outputs: what each emitter is sounding, and what a later message does to it.

An emitter sounds a message for its channel's sounding time. A later message of
the same chain (a higher serial; at the same serial a correction, then a cancel
or lift, outranks an issue or update) that reaches it while an earlier one is
still sounding ends that one there: an update or correction sounds in its place,
a cancel or lift stops it. A message that reaches an emitter after a later one of
its chain already did is stale and not emitted (messages overtaking each other).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from lalert_sim.engine.state import AlertState
from lalert_sim.engine.trace import Cause, Event
from lalert_sim.model.alerts import Alert, MessageKind
from lalert_sim.model.chains import STOPPING

_STOP_CAUSE = {MessageKind.CANCEL: Cause.CANCEL, MessageKind.LIFT: Cause.LIFT}
_STOPPED, _STALE = Event.STOPPED, Event.STALE
Row = tuple[float, int, int, int, int, int, int, int]


def own_sounding_s(alert: Alert, sounding_s: float) -> float:
    """How long an output sounds this message: its channel's time, but a cancel or lift on a channel that
    shows a message until withdrawn (``inf``) is that withdrawal and leaves nothing shown."""
    if alert.chain is not None and alert.chain.kind in STOPPING and math.isinf(sounding_s):
        return 0.0
    return sounding_s


class ChainBoard:
    """Per chain and emitter, the message it sounds last and until when; decides each arrival."""

    __slots__ = ("_current", "_record")

    def __init__(self, record: Callable[[Row], None]) -> None:
        self._current: dict[tuple[str, int], tuple[tuple[int, int], AlertState]] = {}
        self._record = record

    def adopt(self, alert: AlertState, node: int, sounding_s: float, emitted_s: float) -> None:
        """Record that ``alert``, the first of its chain, was emitted at ``node`` at ``emitted_s`` without the
        board (it was alone in its chain then): what ``arrive`` would have recorded."""
        alert.until[node] = emitted_s + own_sounding_s(alert.spec, sounding_s)
        self._current[(alert.event or "", node)] = (alert.order, alert)

    def arrive(self, alert: AlertState, node: int, sounding_s: float, now: float) -> bool:
        """A message of a chain is ready to emit at ``node`` now: False when it is stale (not emitted);
        else it sounds there, ending the earlier message of its chain if that one still sounds."""
        key = (alert.event or "", node)
        current = self._current.get(key)
        if current is not None:
            order, earlier = current
            if alert.order <= order:
                alert.stale[node] = now
                self._record((now, alert.index, node, -1, -1, _STALE, 0, Cause.NONE))
                return False
            if earlier.until[node] > now:
                earlier.until[node] = now
                earlier.stopped[node] = now
                alert.stops[node] = (now, earlier.index)
                cause = (
                    _STOP_CAUSE.get(alert.spec.chain.kind, Cause.SUPERSEDED) if alert.spec.chain else Cause.SUPERSEDED
                )
                self._record((now, earlier.index, node, -1, -1, _STOPPED, 0, cause))
        alert.until[node] = now + own_sounding_s(alert.spec, sounding_s)
        self._current[key] = (alert.order, alert)
        return True
