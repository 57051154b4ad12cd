"""The trace: one append-only row per alert per hop event, read as columns.

Metrics, reports and replays are all derived from it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

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
    STOPPED = 6  # a later message of its chain ended it at emitter ``node`` (see cause)
    STALE = 7  # it reached emitter ``node`` after a later message of its chain: not emitted


class Cause(IntEnum):
    """Why a transmission was lost, or why an output stopped sounding a message."""

    NONE = 0
    LOSS = 1  # random loss on the link
    LINK_DOWN = 2  # the link was out of service
    NODE_DOWN = 3  # the receiving node was out of service
    RAIN_FADE = 4  # a satellite copy faded out in heavy rain
    CONGESTION = 5  # a copy lost to network congestion (ordinary mobile and internet traffic)
    SUPERSEDED = 6  # an update or correction of the chain sounds in its place
    CANCEL = 7  # the chain was cancelled
    LIFT = 8  # the chain's hazard was lifted


class Record(NamedTuple):
    """One trace row with ids and names spelled out."""

    time_s: float
    alert: str
    node: str
    from_node: str
    link: str
    event: str
    attempt: int
    cause: str


COLUMNS = ("time_s", "alert", "node", "from_node", "link", "event", "attempt", "cause")


class Trace:
    """Rows of (time_s, alert, node, from_node, link, event, attempt, cause) with id tables.

    Rows are appended as tuples: one list append per event keeps the hot path
    cheap; columns and arrays are made on demand.
    """

    def __init__(self, alert_ids: list[str], node_ids: list[str], link_ids: list[str]) -> None:
        self.alert_ids = alert_ids
        self.node_ids = node_ids
        self.link_ids = link_ids
        self.rows: list[tuple[float, int, int, int, int, int, int, int]] = []

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
        self.rows.append((time_s, alert, node, from_node, link, event, attempt, cause))

    def __len__(self) -> int:
        return len(self.rows)

    def table(self) -> np.ndarray:
        """The rows as a (rows × 8) float array (ids and codes are exact in a double)."""
        return np.array(self.rows, dtype=np.float64).reshape(-1, len(COLUMNS))

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (ids as integer indices)."""
        table = self.table()
        return {
            "time_s": table[:, 0].copy(),
            **{name: table[:, i].astype(np.int32) for i, name in enumerate(COLUMNS) if i},
        }

    def records(self) -> list[Record]:
        """Every row with ids and names spelled out (empty string where none)."""
        events = {int(e): e.name.lower() for e in Event}
        causes = {int(c): c.name.lower() if c else "" for c in Cause}
        nodes = [*self.node_ids, ""]  # index -1 (no node) reads as ""
        links = [*self.link_ids, ""]
        return [
            Record(
                t,
                self.alert_ids[int(a)],
                nodes[int(n)],
                nodes[int(f)],
                links[int(k)],
                events[int(e)],
                int(attempt),
                causes[int(c)],
            )
            for t, a, n, f, k, e, attempt, c in self.rows
        ]

    def named_columns(self) -> dict[str, list[object]]:
        """The columns with ids and event names spelled out, for files people open."""
        records = self.records()
        if not records:
            return {name: [] for name in COLUMNS}
        return dict(zip(COLUMNS, (list(column) for column in zip(*records, strict=True)), strict=True))
