"""The trace: one append-only row per alert per hop event, read as columns.

Metrics, reports and replays are all derived from it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from enum import IntEnum
from itertools import chain
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
NARROW = 2**15 - 1
"""Codes (and counts of labels) below this fit in 16 bits."""


def row_type(nodes: int, links: int) -> np.dtype:
    """A stored row for a topology of ``nodes`` nodes and ``links`` links, every value exact: the time as a
    double, node and link codes in 16 bits where the topology is small enough (21 bytes a row), else 32
    (27 bytes); alert codes in 32 bits (a stream may issue many messages), the small codes in 8."""
    node = "<i2" if nodes < NARROW else "<i4"
    link = "<i2" if links < NARROW else "<i4"
    return np.dtype(
        [
            ("time_s", "<f8"),
            ("alert", "<i4"),
            ("node", node),
            ("from_node", node),
            ("link", link),
            ("event", "i1"),  # Event: 0..7
            ("attempt", "i1"),  # at most 100 (RetryPolicy.max_attempts)
            ("cause", "i1"),  # Cause: 0..8
        ]
    )


CHUNK = 1 << 16  # rows per stored chunk
SETTLE_AT = CHUNK  # pending rows that a run moves into chunks as it goes (about 15 MiB of tuples)


class Rows:
    """The trace's rows: appended as tuples, stored in chunks of packed typed rows (``row``).

    ``append`` takes one row ``(time_s, alert, node, from_node, link, event,
    attempt, cause)`` and is a list's own ``append``: the cheapest call there is
    on the engine's hot path. The rows appended so far move into chunks of
    ``CHUNK`` packed rows (``row_type``: 21 or 27 bytes a row, not a tuple of Python objects)
    when a run has gathered ``SETTLE_AT`` of them (``settle``, called by the
    engine's step loop) and when anyone reads them (``compact``); the list is
    emptied in place, so later appends keep working.
    """

    __slots__ = ("_pending", "_chunks", "_starts", "append", "row")

    def __init__(self, nodes: int = NARROW, links: int = NARROW) -> None:
        """``nodes``, ``links``: how many the topology has (the codes' range), which sets ``row``."""
        self.row = row_type(nodes, links)
        self._pending: list[tuple[float, int, int, int, int, int, int, int]] = []
        self._chunks: list[np.ndarray] = []
        self._starts: list[int] = [0]  # the first row of each chunk, then the number of rows stored
        self.append = self._pending.append

    def settle(self) -> None:
        """Move whole chunks of pending rows into storage once ``SETTLE_AT`` have gathered (bounded memory
        during a long run; a short run keeps its tuples until the first read, which costs the same)."""
        if len(self._pending) >= SETTLE_AT:
            self._move(len(self._pending) - len(self._pending) % CHUNK)

    def compact(self) -> None:
        """Move every row appended since the last read into storage."""
        self._move(len(self._pending))

    def _move(self, count: int) -> None:
        pending = self._pending
        while count > 0:  # each chunk's tuples freed as it moves, so the rows are not held twice
            size = min(count, CHUNK)
            chunk = _packed(pending[:size], self.row)
            del pending[:size]
            count -= size
            if self._chunks and len(self._chunks[-1]) < CHUNK:  # a short chunk left by an earlier read
                chunk = np.concatenate((self._chunks.pop(), chunk))
                self._starts.pop()
            self._chunks.append(chunk)
            self._starts.append(self._starts[-1] + len(chunk))

    def __len__(self) -> int:
        return self._starts[-1] + len(self._pending)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rows):
            return False
        return len(self) == len(other) and bool(np.array_equal(self.table(), other.table()))

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list of rows it replaces

    def packed(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``start:stop`` (``row`` records): a view into one chunk where they lie in one, else a copy."""
        self.compact()
        start, stop, _ = slice(start, stop).indices(self._starts[-1])
        if stop <= start:
            return np.empty(0, self.row)
        first = bisect_right(self._starts, start) - 1
        last = bisect_right(self._starts, stop - 1) - 1
        pieces = [
            self._chunks[k][max(start - self._starts[k], 0) : stop - self._starts[k]] for k in range(first, last + 1)
        ]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def column(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Column ``name`` of rows ``start:stop`` as one contiguous array of its stored type (a new array,
        made from the chunks without copying the other columns)."""
        self.compact()
        start, stop, _ = slice(start, stop).indices(self._starts[-1])
        if stop <= start:
            return np.empty(0, self.row[name])
        first = bisect_right(self._starts, start) - 1
        last = bisect_right(self._starts, stop - 1) - 1
        return np.concatenate(
            [
                self._chunks[k][name][max(start - self._starts[k], 0) : stop - self._starts[k]]
                for k in range(first, last + 1)
            ]
        )

    def chunks(self) -> Iterator[np.ndarray]:
        """The stored rows chunk by chunk (``row`` records, views): for reading all of them in bounded memory."""
        self.compact()
        yield from self._chunks

    def table(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``start:stop`` as a (rows × 8) float array (ids and codes are exact in a double); a new array."""
        rows = self.packed(start, stop)
        table = np.empty((len(rows), WIDTH))
        for i, name in enumerate(COLUMNS):
            table[:, i] = rows[name]
        return table

    def __iter__(self) -> Iterator[tuple[float, int, int, int, int, int, int, int]]:
        for chunk in self.chunks():
            times = chunk["time_s"].tolist()
            codes = zip(*(chunk[name].tolist() for name in COLUMNS[1:]), strict=True)
            for t, (a, n, f, k, e, attempt, c) in zip(times, codes, strict=True):
                yield t, a, n, f, k, e, attempt, c


def _packed(rows: list[tuple[float, int, int, int, int, int, int, int]], row: np.dtype) -> np.ndarray:
    """Tuples as ``row`` records, through one flat array of doubles (every value is exact in a double)."""
    flat = np.fromiter(chain.from_iterable(rows), np.float64, count=WIDTH * len(rows)).reshape(-1, WIDTH)
    packed = np.empty(len(rows), row)
    for i, name in enumerate(COLUMNS):
        packed[name] = flat[:, i]
    return packed


class Trace:
    """Rows of (time_s, alert, node, from_node, link, event, attempt, cause) with id tables.

    Alerts, nodes and links are integer codes into ``alert_ids``, ``node_ids``
    and ``link_ids``; the rows live in chunks of packed typed rows (``Rows``)
    and columns are made from them on demand.
    """

    def __init__(self, alert_ids: list[str], node_ids: list[str], link_ids: list[str]) -> None:
        self.alert_ids = alert_ids
        self.node_ids = node_ids
        self.link_ids = link_ids
        self.rows = Rows(len(node_ids), len(link_ids))

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
        """The rows as a (rows × 8) float array (ids and codes are exact in a double); a new array."""
        return self.rows.table()

    def arrays(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """The columns of rows ``start:stop`` as numpy arrays: ``time_s`` float64, the others int32 (ids
        as integer codes)."""
        return _columns(self.rows.packed(start, stop))

    def arrays_of(self, *events: Event) -> dict[str, np.ndarray]:
        """The columns of the rows of these events only, as ``arrays`` gives them (a summary's losses
        and duplicates without copying the whole trace): picked chunk by chunk."""
        codes = [int(e) for e in events]
        picked = [chunk[np.isin(chunk["event"], codes)] for chunk in self.rows.chunks()]
        return _columns(np.concatenate(picked) if picked else np.empty(0, self.rows.row))

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
        rows = self.rows.packed(start, stop)
        columns: dict[str, list[object]] = {}
        for name, labels in self._spelled():
            if labels is None:
                columns[name] = rows[name].tolist()
            else:
                columns[name] = labels[rows[name].astype(np.intp)].tolist() if len(rows) else []
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


def _columns(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Stored rows as one array per column: ``time_s`` float64, the codes int32."""
    return {"time_s": rows["time_s"].copy(), **{name: rows[name].astype(np.int32) for name in COLUMNS[1:]}}
