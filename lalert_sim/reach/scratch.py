"""Work arrays reused from one resident reach to the next.

The reach of a small scenario touches a few MiB of arrays, each for a few microseconds; taken
fresh every replication, their pages are faulted in anew each time (the allocator hands the memory
back in between), which cost about as much as the arithmetic. A computation takes a ``Scratch``
from the pool, reuses its arrays, and gives it back; the large ones (nationwide) are let go after use.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_KEPT_BYTES = 8 << 20
"""A work array larger than this is not kept for the next computation."""
_POOL: list[Scratch] = []


class Scratch:
    """Named work arrays, grown as needed and handed out as C-ordered views of the shape asked for.

    An array's contents are whatever its last user left: callers fill or overwrite it.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: type[np.floating] = np.float32) -> np.ndarray:
        """A (shape) array of ``dtype`` for the use ``name``, valid until the next request of that name."""
        size = math.prod(shape)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = self._buffers[name] = np.empty(max(size, 1), dtype=dtype)
        return buffer[:size].reshape(shape)

    def zeros(self, name: str, shape: tuple[int, ...], dtype: type[np.floating] = np.float32) -> np.ndarray:
        """``array`` filled with zeros."""
        array = self.array(name, shape, dtype)
        array.fill(0.0)
        return array

    def let_go_of_large(self) -> None:
        """Drop the arrays larger than ``_KEPT_BYTES``."""
        self._buffers = {name: b for name, b in self._buffers.items() if b.nbytes <= _KEPT_BYTES}


@contextmanager
def scratch() -> Iterator[Scratch]:
    """A scratch set from the pool (a new one when none is free: threads each get their own), given back after."""
    try:
        taken = _POOL.pop()
    except IndexError:
        taken = Scratch()
    try:
        yield taken
    finally:
        taken.let_go_of_large()
        _POOL.append(taken)
