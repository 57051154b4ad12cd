"""One alert's facts per node (first receipt, emission) in arrays over the topology's node indices.

A dict entry and a tuple per node cost about 150 bytes; these arrays cost 8 bytes a
node for a time and 4 for each index, whether the node was reached or not. They
read like the dicts they replace (node index → value, ``in``, ``get``, ``items``),
in node order; the engine writes the arrays directly on its hot path.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from functools import lru_cache
from typing import TypeVar

import numpy as np

NEVER = math.inf
"""The time of a node the alert has not reached (or where it was not emitted)."""

V = TypeVar("V")


@lru_cache(maxsize=16)
def _blanks(nodes: int) -> tuple[array[float], array[int]]:
    """``nodes`` times ``NEVER`` and ``nodes`` times -1, to be copied with ``__copy__`` (a tenth of the
    cost of building them or of ``[:]`` on small arrays: a stream makes a message's state thousands of
    times a run). Never written: callers copy."""
    return array("d", [NEVER]) * nodes, array("i", [-1]) * nodes


class _ByNode(Mapping[int, V]):
    """Node index → value, for the nodes whose time ``at_s`` is set (finite); the values come from arrays."""

    __slots__ = ("at_s",)

    at_s: array[float]

    def times(self) -> np.ndarray:
        """``at_s`` as a numpy view (``NEVER`` where none)."""
        return np.frombuffer(self.at_s, dtype=np.float64)

    def _present(self) -> list[int]:
        return np.flatnonzero(self.times() < NEVER).tolist()

    def _value(self, node: int) -> V:
        raise NotImplementedError

    def _values(self, nodes: list[int]) -> list[V]:
        raise NotImplementedError

    def __contains__(self, node: object) -> bool:
        try:
            index = operator.index(node)  # type: ignore[arg-type]
        except TypeError:
            return False
        return 0 <= index < len(self.at_s) and self.at_s[index] < NEVER

    def __getitem__(self, node: int) -> V:
        if node not in self:
            raise KeyError(node)
        return self._value(node)

    def __iter__(self) -> Iterator[int]:
        return iter(self._present())

    def __len__(self) -> int:
        return int(np.count_nonzero(self.times() < NEVER))

    def items(self) -> ItemsView[int, V]:
        return _Items(self)

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())})"


class _Items(ItemsView[int, V]):
    """``items()`` made from the arrays at once, not by one lookup per node."""

    _mapping: _ByNode[V]

    def __iter__(self) -> Iterator[tuple[int, V]]:
        nodes = self._mapping._present()
        return zip(nodes, self._mapping._values(nodes), strict=True)


class _Values(ValuesView[V]):
    """``values()`` made from the arrays at once, not by one lookup per node."""

    _mapping: _ByNode[V]

    def __iter__(self) -> Iterator[V]:
        return iter(self._mapping._values(self._mapping._present()))


class NodeTimes(_ByNode[float]):
    """When something happened at each node (e.g. the alert was emitted there): ``at_s[node]``, ``NEVER``
    where it did not."""

    __slots__ = ()

    def __init__(self, nodes: int = 0) -> None:
        self.at_s = _blanks(nodes)[0].__copy__()

    def _value(self, node: int) -> float:
        return self.at_s[node]

    def _values(self, nodes: list[int]) -> list[float]:
        return self.times()[nodes].tolist()  # type: ignore[no-any-return]

    def copy(self) -> NodeTimes:
        """An independent copy (the engine goes on writing the original)."""
        copied = NodeTimes()
        copied.at_s = array("d", self.at_s)
        return copied


class Receipts(_ByNode[tuple[float, int, int]]):
    """Each node's first receipt: ``at_s[node]`` (``NEVER`` when none), and the ``sender`` node and the
    ``link`` it came from (-1: none, as at the origin); reads as node → (time, sender, link)."""

    __slots__ = ("sender", "link")

    def __init__(self, nodes: int = 0) -> None:
        times, indices = _blanks(nodes)
        self.at_s, self.sender, self.link = times.__copy__(), indices.__copy__(), indices.__copy__()

    def _value(self, node: int) -> tuple[float, int, int]:
        return self.at_s[node], self.sender[node], self.link[node]

    def _values(self, nodes: list[int]) -> list[tuple[float, int, int]]:
        senders = np.frombuffer(self.sender, dtype=np.intc)[nodes].tolist()
        links = np.frombuffer(self.link, dtype=np.intc)[nodes].tolist()
        return list(zip(self.times()[nodes].tolist(), senders, links, strict=True))
