"""The columnar trace: one append-only row per alert per hop event.

Metrics, reports and replays are all derived from it. Columns are plain lists
while the simulation runs (cheap appends) and numpy arrays afterwards.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

NO_ID = -1


class Event(IntEnum):
    """What happened in a trace row."""

    ISSUED = 0  # the alert entered the network at its origin
    SENT = 1  # a transmission towards ``node`` began on ``link``
    RECEIVED = 2  # first arrival at ``node``
    DUPLICATE = 3  # a later copy arrived at ``node`` and was not forwarded
    LOST = 4  # a transmission towards ``node`` did not arrive (see cause)
    EMITTED = 5  # an emitter put the alert in front of residents


class Cause(IntEnum):
    """Why a transmission was lost."""

    NONE = 0
    LOSS = 1  # random loss on the link
    LINK_DOWN = 2  # the link was out of service
    NODE_DOWN = 3  # the receiving node was out of service


COLUMNS = ("time_s", "alert", "node", "from_node", "link", "event", "attempt", "cause")


class Trace:
    """Rows of (time_s, alert, node, from_node, link, event, attempt, cause) with id tables."""

    def __init__(self, alert_ids: list[str], node_ids: list[str], link_ids: list[str]) -> None:
        self.alert_ids = alert_ids
        self.node_ids = node_ids
        self.link_ids = link_ids
        self.time_s: list[float] = []
        self.alert: list[int] = []
        self.node: list[int] = []
        self.from_node: list[int] = []
        self.link: list[int] = []
        self.event: list[int] = []
        self.attempt: list[int] = []
        self.cause: list[int] = []

    def record(
        self,
        time_s: float,
        alert: int,
        node: int,
        event: Event,
        from_node: int = NO_ID,
        link: int = NO_ID,
        attempt: int = 0,
        cause: Cause = Cause.NONE,
    ) -> None:
        """Append one row."""
        self.time_s.append(time_s)
        self.alert.append(alert)
        self.node.append(node)
        self.from_node.append(from_node)
        self.link.append(link)
        self.event.append(event)
        self.attempt.append(attempt)
        self.cause.append(cause)

    def __len__(self) -> int:
        return len(self.time_s)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (ids as integer indices)."""
        return {
            "time_s": np.asarray(self.time_s, dtype=np.float64),
            **{name: np.asarray(getattr(self, name), dtype=np.int32) for name in COLUMNS[1:]},
        }

    def named_columns(self) -> dict[str, list]:
        """The columns with ids and event names spelled out, for files people open."""
        def names(table: list[str], column: list[int]) -> list[str]:
            return [table[i] if i != NO_ID else "" for i in column]

        return {
            "time_s": self.time_s,
            "alert": names(self.alert_ids, self.alert),
            "node": names(self.node_ids, self.node),
            "from_node": names(self.node_ids, self.from_node),
            "link": names(self.link_ids, self.link),
            "event": [Event(e).name.lower() for e in self.event],
            "attempt": self.attempt,
            "cause": [Cause(c).name.lower() if c else "" for c in self.cause],
        }
