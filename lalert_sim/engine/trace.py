"""The trace: one append-only row per alert per hop event, read as columns.

Metrics, reports and replays are all derived from it.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
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
WIDTH = len(COLUMNS)
COMPACT_CHUNK = 1 << 16  # rows moved into the typed array at once


class Rows:
    """The trace's rows: appended as tuples, kept as eight doubles each end to end in one typed array.

    ``append`` takes one row ``(time_s, alert, node, from_node, link, event,
    attempt, cause)`` and is a list's own ``append``: the cheapest call there is
    on the engine's hot path. Whoever reads the rows first moves those appended
    so far into the typed array (64 bytes a row instead of a tuple of Python
    objects) and empties the list in place, so later appends keep working. Ids and
    codes are small integers, exact in a double.
    """

    __slots__ = ("_pending", "append", "data")

    def __init__(self) -> None:
        self.data = array("d")
        self._pending: list[tuple[float, int, int, int, int, int, int, int]] = []
        self.append = self._pending.append

    def compact(self) -> None:
        """Move the rows appended since the last read into the typed array, a chunk at a time."""
        pending = self._pending
        while pending:  # each chunk's tuples freed as it moves, so the rows are not held twice
            self.data.frombytes(np.array(pending[:COMPACT_CHUNK], dtype=np.float64).tobytes())
            del pending[:COMPACT_CHUNK]

    def __len__(self) -> int:
        return len(self.data) // WIDTH + len(self._pending)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rows):
            return False
        self.compact()
        other.compact()
        return self.data == other.data

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list of rows it replaces

    def table(self) -> np.ndarray:
        """The rows as a (rows × 8) float array sharing the rows' memory (read it, do not keep it past a run)."""
        self.compact()
        return np.frombuffer(self.data, dtype=np.float64).reshape(-1, WIDTH) if self.data else np.empty((0, WIDTH))

    def __iter__(self) -> Iterator[tuple[float, int, int, int, int, int, int, int]]:
        table = self.table()
        times = table[:, 0].tolist()
        codes = table[:, 1:].astype(np.int64).tolist()
        for t, (a, n, f, k, e, attempt, c) in zip(times, codes, strict=True):
            yield t, a, n, f, k, e, attempt, c


class Trace:
    """Rows of (time_s, alert, node, from_node, link, event, attempt, cause) with id tables.

    Alerts, nodes and links are integer codes into ``alert_ids``, ``node_ids``
    and ``link_ids``; the rows live in one typed array (``Rows``) and columns
    are made from it on demand.
    """

    def __init__(self, alert_ids: list[str], node_ids: list[str], link_ids: list[str]) -> None:
        self.alert_ids = alert_ids
        self.node_ids = node_ids
        self.link_ids = link_ids
        self.rows = Rows()

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
        """The rows as a (rows × 8) float array (ids and codes are exact in a double); a copy."""
        return self.rows.table().copy()

    def arrays(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """The columns of rows ``start:stop`` as numpy arrays: ``time_s`` float64, the others int32 (ids
        as integer codes)."""
        table = self.rows.table()[start:stop]
        return {
            "time_s": table[:, 0].copy(),
            **{name: table[:, i].astype(np.int32) for i, name in enumerate(COLUMNS) if i},
        }

    def arrays_of(self, *events: Event) -> dict[str, np.ndarray]:
        """The columns of the rows of these events only, as ``arrays`` gives them (a summary's losses
        and duplicates without copying the whole trace)."""
        table = self.rows.table()
        chosen = np.flatnonzero(np.isin(table[:, COLUMNS.index("event")], [float(e) for e in events]))
        picked = table[chosen]
        return {
            "time_s": picked[:, 0].copy(),
            **{name: picked[:, i].astype(np.int32) for i, name in enumerate(COLUMNS) if i},
        }

    def labels(self) -> dict[str, list[str]]:
        """What the codes of the coded columns read as (code -1, none, reads as the empty string: the last label)."""
        return {
            "alert": list(self.alert_ids),
            "node": [*self.node_ids, ""],
            "from_node": [*self.node_ids, ""],
            "link": [*self.link_ids, ""],
            "event": [e.name.lower() for e in Event],
            "cause": [c.name.lower() if c else "" for c in Cause],
        }

    def named_columns(self, start: int = 0, stop: int | None = None) -> dict[str, list[object]]:
        """The columns of rows ``start:stop`` with ids and event names spelled out (empty string where
        none), for files people open."""
        table = self.rows.table()[start:stop]
        columns: dict[str, list[object]] = {}
        for i, (name, labels) in enumerate(self._spelled()):
            if labels is None:
                values = table[:, i] if i == 0 else table[:, i].astype(np.int64)
                columns[name] = values.tolist()
            else:
                columns[name] = labels[table[:, i].astype(np.int64)].tolist() if len(table) else []
        return columns

    def named_rows(self, chunk: int = 1 << 16) -> Iterator[tuple[object, ...]]:
        """Every row spelled out as in ``named_columns``, made a chunk at a time (a file of any length in
        bounded memory)."""
        for start in range(0, len(self), chunk):
            columns = self.named_columns(start, start + chunk)
            yield from zip(*(columns[c] for c in COLUMNS), strict=True)

    def _spelled(self) -> list[tuple[str, np.ndarray | None]]:
        labels = self.labels()
        return [(name, np.array(labels[name], dtype=object) if name in labels else None) for name in COLUMNS]

    def records(self) -> list[Record]:
        """Every row with ids and names spelled out (empty string where none)."""
        return [Record(*row) for row in self.named_rows()]  # type: ignore[arg-type]
