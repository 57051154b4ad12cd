"""Named random streams: one per (replication seed, component id, purpose).

Every random draw in a run comes from a stream named here, so two plans that
differ in one component keep identical draws everywhere else (common random
numbers), and a seed gives byte-identical results.
"""

from __future__ import annotations

import hashlib

import numpy as np

_BLOCK = 64
_TINY = 2.0**-54  # keeps uniforms inside (0, 1) for inverse-CDF sampling


def stream_key(name: str) -> int:
    """Stable 64-bit key of a stream name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Stream:
    """Uniform draws in (0, 1) from one named stream, fetched from numpy in blocks.

    The generator is made on the first draw, so a stream that is never used costs
    almost nothing (most nodes of a large topology draw nothing in a run).
    """

    __slots__ = ("seed", "name", "_generator", "_buffer")

    def __init__(self, seed: int, name: str) -> None:
        self.seed = seed
        self.name = name
        self._generator: np.random.Generator | None = None
        self._buffer: list[float] = []

    def uniform(self) -> float:
        """Next uniform in the open interval (0, 1)."""
        if not self._buffer:
            self._refill()
        return self._buffer.pop()

    def _refill(self) -> None:
        if self._generator is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(stream_key(self.name),))
            self._generator = np.random.Generator(np.random.PCG64(sequence))
        block = self._generator.random(_BLOCK)
        block[block == 0.0] = _TINY
        self._buffer = block.tolist()
        self._buffer.reverse()


def stable_fraction(name: str) -> float:
    """A fixed number in [0, 1) for a name: for choices that must not vary with the seed."""
    return stream_key(name) / 2.0**64
